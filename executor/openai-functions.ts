import {
  openAiFunctionName,
  STRICT_SCHEMA_FORMATS as STRICT_FORMATS,
  STRICT_SCHEMA_KEYWORDS as STRICT_KEYWORDS,
  type ChatCompletionsFunction,
  type FunctionFormat,
  type OpenAiFunction,
} from '../contract';
import type { ToolDocument } from '../store/documents';
import { asObjectSchema } from './json-schema';

/** A tool as an OpenAI function tool: the Responses API's shape, or the Chat Completions API's. */
export type { ChatCompletionsFunction, OpenAiFunction };

/** strict mode allows this many levels of nested objects */
const STRICT_MAX_OBJECT_DEPTH = 10;

type Schema = Record<string, unknown>;

const isSchemaObject = (value: unknown): value is Schema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

export function toOpenAiFunction(tool: Pick<ToolDocument, 'name' | 'description' | 'input_schema'>): OpenAiFunction {
  const parameters = asObjectSchema(tool.input_schema);
  return {
    type: 'function',
    name: openAiFunctionName(tool.name),
    description: tool.description,
    parameters,
    strict: isStrictCompatible(parameters),
  };
}

export function inFormat(definition: OpenAiFunction, format: FunctionFormat): OpenAiFunction | ChatCompletionsFunction {
  if (format === 'responses') return definition;
  const { type, ...fields } = definition;
  return { type, function: fields };
}

/**
 * Whether OpenAI's strict mode accepts the parameters as they are: an object root (not anyOf);
 * every object, wherever it is (properties, items, anyOf, $defs), with `additionalProperties:
 * false` and every property required; only the keywords and formats strict mode supports.
 */
export function isStrictCompatible(parameters: Schema): boolean {
  return parameters.type === 'object' && !('anyOf' in parameters) && fitsStrictMode(parameters, 1);
}

function fitsStrictMode(schema: unknown, objectDepth: number): boolean {
  if (!isSchemaObject(schema)) return false; // boolean schemas are not supported either
  if (Object.keys(schema).some((keyword) => !STRICT_KEYWORDS.has(keyword))) return false;
  if (!['type', '$ref', 'anyOf', 'enum', 'const'].some((keyword) => keyword in schema)) return false;
  if (schema.format !== undefined && !STRICT_FORMATS.has(String(schema.format))) return false;

  const isObject = [schema.type].flat().includes('object') || 'properties' in schema;
  if (isObject && !fitsAsStrictObject(schema, objectDepth)) return false;
  if ('items' in schema && !fitsStrictMode(schema.items, objectDepth)) return false;
  if ('anyOf' in schema && !everySubschemaFits(schema.anyOf, objectDepth)) return false;
  for (const keyword of ['$defs', 'definitions']) {
    if (keyword in schema && !everySubschemaFits(schema[keyword], 1)) return false;
  }
  return true;
}

function fitsAsStrictObject(schema: Schema, objectDepth: number): boolean {
  if (objectDepth > STRICT_MAX_OBJECT_DEPTH || schema.additionalProperties !== false) return false;
  const properties = schema.properties ?? {};
  if (!isSchemaObject(properties)) return false;
  const names = Object.keys(properties);
  const required = Array.isArray(schema.required) ? schema.required : [];
  const requiresExactlyAll = names.length === required.length && names.every((name) => required.includes(name));
  return requiresExactlyAll && everySubschemaFits(properties, objectDepth + 1);
}

function everySubschemaFits(subschemas: unknown, objectDepth: number): boolean {
  if (Array.isArray(subschemas)) return subschemas.every((subschema) => fitsStrictMode(subschema, objectDepth));
  return isSchemaObject(subschemas) && Object.values(subschemas).every((sub) => fitsStrictMode(sub, objectDepth));
}
