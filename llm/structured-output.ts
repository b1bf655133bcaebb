import type OpenAI from 'openai';
import { z } from 'zod';
import { STRICT_SCHEMA_FORMATS, STRICT_SCHEMA_KEYWORDS } from '../contract';
import type { StructuredOutputSetting } from '../config';

/**
 * The three ways to ask an OpenAI-compatible endpoint for a structured reply, and reading the
 * reply whichever way it came: plain JSON, a ```json fence, or the first JSON object in prose.
 */

/** `json_schema`: strict Structured Outputs; `json_object`: JSON mode; `prompt`: no response_format at all. */
export type StructuredOutputMode = Exclude<StructuredOutputSetting, 'auto'>;

/** What `auto` tries after a mode the endpoint refuses: json_schema, then json_object, then prompt. */
export const NEXT_MODE: Record<StructuredOutputMode, StructuredOutputMode | null> = {
  json_schema: 'json_object',
  json_object: 'prompt',
  prompt: null,
};

type JsonSchema = Record<string, unknown>;

const isObject = (value: unknown): value is JsonSchema =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const mapValues = (value: unknown, map: (schema: unknown) => unknown) =>
  isObject(value) ? Object.fromEntries(Object.entries(value).map(([name, schema]) => [name, map(schema)])) : value;

/** The reply's JSON Schema as zod describes it (what the prompt shows the model), without the dialect line. */
export function replyJsonSchema(schema: z.ZodType): JsonSchema {
  const { $schema: _dialect, ...jsonSchema } = z.toJSONSchema(schema, { io: 'input', target: 'draft-7' });
  return jsonSchema;
}

/**
 * The schema with only the keywords (and string formats) strict mode documents: the rest
 * (minLength, maxLength, default, …) would make a strict endpoint refuse the request. The reply is
 * still checked against the whole zod schema.
 */
export function strictSubset(schema: unknown): unknown {
  if (!isObject(schema)) return schema;
  const kept: JsonSchema = {};
  for (const [keyword, value] of Object.entries(schema)) {
    if (!STRICT_SCHEMA_KEYWORDS.has(keyword)) continue;
    if (keyword === 'format' && !STRICT_SCHEMA_FORMATS.has(String(value))) continue;
    if (keyword === 'properties' || keyword === '$defs' || keyword === 'definitions') {
      kept[keyword] = mapValues(value, strictSubset);
    } else if (keyword === 'items' || keyword === 'additionalProperties') {
      kept[keyword] = strictSubset(value);
    } else if (keyword === 'anyOf' && Array.isArray(value)) {
      kept[keyword] = value.map(strictSubset);
    } else {
      kept[keyword] = value;
    }
  }
  return kept;
}

/** The request's `response_format` in a mode; none in `prompt` mode. */
export function responseFormatFor(
  mode: StructuredOutputMode,
  schemaName: string,
  jsonSchema: JsonSchema,
): OpenAI.ResponseFormatJSONSchema | OpenAI.ResponseFormatJSONObject | undefined {
  if (mode === 'json_object') return { type: 'json_object' };
  if (mode === 'prompt') return undefined;
  return {
    type: 'json_schema',
    json_schema: { name: schemaName, strict: true, schema: strictSubset(jsonSchema) as JsonSchema },
  };
}

const SCHEMA_NAMED = /It is the "([A-Za-z0-9_.-]{1,64})" reply and must match this JSON Schema:/;

/**
 * What the system message says when the endpoint does not hold the model to the schema (json_object
 * and prompt modes, and every re-ask): the schema's name, verbatim, and the schema.
 */
export function schemaInstruction(schemaName: string, jsonSchema: JsonSchema): string {
  return [
    '',
    '',
    'Reply with one JSON object only: no prose around it and no code fence.',
    `It is the "${schemaName}" reply and must match this JSON Schema:`,
    JSON.stringify(jsonSchema),
  ].join('\n');
}

/** The schema name a prompt asks for (see schemaInstruction), as a model reading it would find it. */
export function schemaNameIn(text: string): string | null {
  return SCHEMA_NAMED.exec(text)?.[1] ?? null;
}

/** Where the JSON of a reply was: the whole reply, a code fence, or the first object in prose. */
export type JsonSource = 'plain' | 'fence' | 'prose';

/** a reasoning model's thoughts, which some servers leave in the content */
const THINKING = /<think>[\s\S]*?<\/think>/g;
/** how many `{` a reply in prose is scanned from, at most */
const MAX_OBJECT_STARTS = 64;

/** The bodies of the reply's code fences (```lang … ```), in order, with their language ('' when none). */
function fencedBlocks(text: string): { language: string; body: string }[] {
  const blocks: { language: string; body: string }[] = [];
  let open: { language: string; lines: string[] } | null = null;
  for (const line of text.split(/\r?\n/)) {
    const fence = /^\s*```\s*([\w+-]*)\s*$/.exec(line);
    if (!open) {
      if (fence) open = { language: fence[1]!.toLowerCase(), lines: [] };
    } else if (fence && fence[1] === '') {
      blocks.push({ language: open.language, body: open.lines.join('\n') });
      open = null;
    } else {
      open.lines.push(line);
    }
  }
  return blocks;
}

function parses(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** The end (exclusive) of the object that opens at `start`, braces in strings not counted; -1 if it never closes. */
function objectEnd(text: string, start: number): number {
  let depth = 0;
  let inString = false;
  for (let index = start; index < text.length; index += 1) {
    const char = text[index];
    if (inString) {
      if (char === '\\') index += 1;
      else if (char === '"') inString = false;
    } else if (char === '"') {
      inString = true;
    } else if (char === '{') {
      depth += 1;
    } else if (char === '}') {
      depth -= 1;
      if (depth === 0) return index + 1;
    }
  }
  return -1;
}

/** The first balanced `{…}` of the text that is JSON. */
function firstObjectIn(text: string): { value: unknown } | null {
  let start = text.indexOf('{');
  for (let tried = 0; start !== -1 && tried < MAX_OBJECT_STARTS; tried += 1) {
    const end = objectEnd(text, start);
    if (end !== -1) {
      const parsed = parses(text.slice(start, end));
      if (parsed.ok) return { value: parsed.value };
    }
    start = text.indexOf('{', start + 1);
  }
  return null;
}

export type ExtractedJson = { ok: true; value: unknown; source: JsonSource } | { ok: false; error: string };

/** The JSON a reply carries: all of it, else the first ```json fence that parses, else the first object in prose. */
export function extractJson(content: string): ExtractedJson {
  const text = content.replace(THINKING, '').trim();
  if (text === '') return { ok: false, error: 'the reply is empty' };
  const whole = parses(text);
  if (whole.ok) return { ok: true, value: whole.value, source: text === content.trim() ? 'plain' : 'prose' };
  for (const block of fencedBlocks(text)) {
    if (!['', 'json', 'json5', 'jsonc'].includes(block.language)) continue;
    const fenced = parses(block.body.trim());
    if (fenced.ok) return { ok: true, value: fenced.value, source: 'fence' };
  }
  const found = firstObjectIn(text);
  if (found) return { ok: true, value: found.value, source: 'prose' };
  let reason = 'no JSON object in it';
  try {
    JSON.parse(text);
  } catch (error) {
    reason = (error as Error).message;
  }
  return { ok: false, error: `the reply is not JSON (${reason})` };
}

/** `source` of a failure: where JSON that does not fit the schema was; absent when the reply had no JSON */
type ParseOutcome<T> =
  { success: true; value: T; source: JsonSource } | { success: false; error: string; source?: JsonSource };

/** The reply's JSON (wherever it was in the reply), checked against the zod schema. */
export function parseStructuredContent<S extends z.ZodType>(content: string, schema: S): ParseOutcome<z.output<S>> {
  const extracted = extractJson(content);
  if (!extracted.ok) return { success: false, error: extracted.error };
  const result = schema.safeParse(extracted.value);
  return result.success
    ? { success: true, value: result.data, source: extracted.source }
    : {
        success: false,
        error: `the reply does not match the schema: ${z.prettifyError(result.error)}`,
        source: extracted.source,
      };
}
