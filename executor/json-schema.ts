import Ajv2020, { type ErrorObject } from 'ajv/dist/2020';

/** One thing a value gets wrong: where (property names and array indexes) and what. */
export interface SchemaViolation {
  path: string[];
  message: string;
}

/** A compiled JSON Schema: the violations of a value, none when it fits. */
export type SchemaCheck = (value: unknown) => SchemaViolation[];

/** JSON Pointer segments (RFC 6901), unescaped. */
function pointerSegments(pointer: string): string[] {
  return pointer
    .split('/')
    .slice(1)
    .map((segment) => segment.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** Names the offending property itself where Ajv names its parent (a missing or an extra property). */
function toViolation(error: ErrorObject): SchemaViolation {
  const path = pointerSegments(error.instancePath);
  const params = error.params as { missingProperty?: string; additionalProperty?: string };
  if (error.keyword === 'required' && params.missingProperty !== undefined) {
    return { path: [...path, params.missingProperty], message: 'is required' };
  }
  if (error.keyword === 'additionalProperties' && params.additionalProperty !== undefined) {
    return { path: [...path, params.additionalProperty], message: 'is not a property the schema allows' };
  }
  return { path, message: error.message ?? `fails the "${error.keyword}" rule` };
}

/**
 * One Ajv for the schemas without any `$id`: a new instance compiles the JSON Schema meta-schema
 * before the first schema it checks (10 ms, against 0.3 ms on a warm one), and validation
 * compiles two per tool. Each schema is removed again after compiling, so the instance keeps none.
 */
const sharedAjv = new Ajv2020({ strict: false, allErrors: true, addUsedSchema: false });

/**
 * Compiles a tool's JSON Schema (2020-12). Schemas come from the model, so one that names an
 * `$id` (anywhere) gets an Ajv instance of its own: it must not clash with another tool's.
 * `$schema` is dropped, as a draft-07 URI would otherwise not compile. Throws when the schema
 * itself is invalid.
 */
export function compileJsonSchema(schema: Record<string, unknown>): SchemaCheck {
  const { $schema: _dialect, ...rest } = schema;
  const ajv = JSON.stringify(rest).includes('"$id"') ? new Ajv2020({ strict: false, allErrors: true }) : sharedAjv;
  try {
    const validate = ajv.compile(rest);
    return (value) => (validate(value) ? [] : (validate.errors ?? []).map(toViolation));
  } finally {
    ajv.removeSchema(rest);
  }
}

/** "smiles must be string; n is required": the violations as one line, the field named first. */
export function describeViolations(violations: SchemaViolation[], prefix: string[] = []): string {
  return violations.map((violation) => `${fieldName(violation.path, prefix)} ${violation.message}`).join('; ');
}

export function fieldName(path: string[], prefix: string[] = []): string {
  return [...prefix, ...path].join('.') || '(value)';
}

/**
 * A tool's input schema as an object schema, for OpenAI's `parameters` and MCP's `inputSchema`
 * (both require `type: "object"` at the root) and without `$schema`. The harness calls a tool
 * with keyword arguments, so its input is a JSON object whatever the schema says: a root without
 * `type: "object"` is given it, and `properties: {}` when it has none.
 */
export function asObjectSchema(schema: Record<string, unknown>): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = schema;
  return { ...rest, type: 'object', properties: rest.properties ?? {} };
}
