/** OpenAI's rules for function tools: what a function's name may be, and the two formats we answer in. */

/** The Responses API's shape, or the Chat Completions API's (`{ type, function: {…} }`). */
export const functionFormats = ['responses', 'chat'] as const;
export type FunctionFormat = (typeof functionFormats)[number];

/** OpenAI's rule for function names. */
export const OPENAI_FUNCTION_NAME = /^[a-zA-Z0-9_-]{1,64}$/;
const MAX_FUNCTION_NAME_CHARS = 64;

/** Tool names are Python identifiers and already fit; anything else is made to. */
export function openAiFunctionName(name: string): string {
  const fitted = name.replace(/[^a-zA-Z0-9_-]/g, '_').slice(0, MAX_FUNCTION_NAME_CHARS);
  return fitted || 'tool';
}

/**
 * What OpenAI's strict mode accepts (the "supported schemas" of Structured Outputs), the one list
 * for both uses: a function whose parameters use any other keyword (allOf, oneOf, not,
 * if/then/else, minLength, patternProperties, default, …) is offered with strict: false
 * (executor/openai-functions.ts), and the gateway leaves every other keyword out of the
 * `response_format` schema it sends (llm/structured-output.ts), zod still checking the reply.
 */
export const STRICT_SCHEMA_KEYWORDS: ReadonlySet<string> = new Set([
  'type',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'enum',
  'const',
  'anyOf',
  '$ref',
  '$defs',
  'definitions',
  'description',
  'title',
  'pattern',
  'format',
  'multipleOf',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'minItems',
  'maxItems',
]);

/** The string formats strict mode supports. */
export const STRICT_SCHEMA_FORMATS: ReadonlySet<string> = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uuid',
]);
