/**
 * A run form made from a tool's input schema: one field per property, and the typed values turned
 * into the tool's input. What a person types is sent as faithfully as it can be: a number field
 * holding "abc" is sent as the text "abc", so the API's schema check names the mistake (the page
 * never guesses, and never hides a message the API would give).
 */
import type { FieldProblem } from './api-errors';
import { parseJsonText } from './json-text';

export type FieldKind = 'text' | 'number' | 'integer' | 'boolean' | 'choice' | 'json' | 'any';

export interface FormField {
  name: string;
  kind: FieldKind;
  required: boolean;
  description?: string;
  /** for `choice`: the enum's values */
  choices?: string[];
}

type JsonSchema = Record<string, unknown>;

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** "string", or the first type of ["string", "null"] that is not null */
function typeOf(schema: JsonSchema): string | undefined {
  const { type } = schema;
  if (typeof type === 'string') return type;
  if (Array.isArray(type)) return type.find((entry): entry is string => typeof entry === 'string' && entry !== 'null');
  return undefined;
}

function kindOf(schema: JsonSchema): Pick<FormField, 'kind' | 'choices'> {
  const choices = Array.isArray(schema.enum) ? schema.enum : undefined;
  if (choices && choices.every((choice) => typeof choice === 'string')) return { kind: 'choice', choices };
  switch (typeOf(schema)) {
    case 'string':
      return { kind: 'text' };
    case 'number':
      return { kind: 'number' };
    case 'integer':
      return { kind: 'integer' };
    case 'boolean':
      return { kind: 'boolean' };
    case 'object':
    case 'array':
      return { kind: 'json' };
    default:
      return { kind: 'any' };
  }
}

/**
 * The fields of an object schema: its properties in order, then any required name it does not
 * describe (a model sometimes writes only `required`). None: the input is written as JSON.
 */
export function formFieldsOf(schema: unknown): FormField[] {
  if (!isObject(schema)) return [];
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = new Set(
    Array.isArray(schema.required) ? schema.required.filter((name) => typeof name === 'string') : [],
  );
  const described = Object.entries(properties).map(([name, property]): FormField => {
    const propertySchema = isObject(property) ? property : {};
    const description = typeof propertySchema.description === 'string' ? propertySchema.description : undefined;
    return { name, required: required.has(name), ...kindOf(propertySchema), ...(description ? { description } : {}) };
  });
  const undescribed = [...required]
    .filter((name) => !(name in properties))
    .map((name): FormField => ({ name, kind: 'any', required: true }));
  return [...described, ...undescribed];
}

const NUMERAL = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** The value a field's text stands for; a problem only where the API could never be told what was meant. */
function valueOf(field: FormField, text: string): { value: unknown } | { problem: string } {
  switch (field.kind) {
    case 'number':
    case 'integer':
      return { value: NUMERAL.test(text.trim()) ? Number(text) : text };
    case 'boolean':
      return { value: text === 'true' };
    case 'json': {
      const parsed = parseJsonText(text);
      return parsed.ok ? { value: parsed.value } : { problem: parsed.problem };
    }
    case 'any': {
      // a number, true, a list… as JSON when it reads as JSON, else the words as they are
      const parsed = parseJsonText(text);
      return { value: parsed.ok ? parsed.value : text };
    }
    default:
      return { value: text };
  }
}

export interface BuiltInput {
  input: Record<string, unknown>;
  /** by the API's own paths ("input.<name>"), so they are shown as the API's would be */
  problems: FieldProblem[];
}

/** An empty field is left out: the schema says whether the tool needs it. */
export function inputFromFields(fields: readonly FormField[], texts: Record<string, string>): BuiltInput {
  const input: Record<string, unknown> = {};
  const problems: FieldProblem[] = [];
  for (const field of fields) {
    const text = texts[field.name] ?? '';
    if (text === '') continue;
    const read = valueOf(field, text);
    if ('problem' in read) problems.push({ field: `input.${field.name}`, message: read.problem });
    else input[field.name] = read.value;
  }
  return { input, problems };
}

/** For a schema without properties: the whole input written as a JSON object. */
export function inputFromJson(text: string): BuiltInput {
  const parsed = parseJsonText(text.trim() === '' ? '{}' : text);
  if (!parsed.ok) return { input: {}, problems: [{ field: 'input', message: parsed.problem }] };
  if (!isObject(parsed.value)) return { input: {}, problems: [{ field: 'input', message: 'must be a JSON object' }] };
  return { input: parsed.value, problems: [] };
}

/** The form field a problem belongs to: "input.smiles" and "input.smiles.0" are both the smiles field's. */
export function fieldNameOf(path: string): string | undefined {
  const [root, name] = path.split('.');
  return root === 'input' ? name : undefined;
}
