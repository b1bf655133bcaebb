import assert from 'node:assert/strict';
import { z } from 'zod';
import { STRICT_SCHEMA_KEYWORDS } from '../../contract';
import { isStrictCompatible } from '../../executor/openai-functions';
import {
  extractJson,
  parseStructuredContent,
  replyJsonSchema,
  responseFormatFor,
  schemaInstruction,
  schemaNameIn,
  strictSubset,
} from '../../llm/structured-output';

/** Every keyword anywhere in a JSON Schema (property names and $defs names are not keywords). */
function keywordsOf(schema: unknown): string[] {
  if (typeof schema !== 'object' || schema === null) return [];
  if (Array.isArray(schema)) return schema.flatMap(keywordsOf);
  return Object.entries(schema).flatMap(([keyword, value]) => {
    if (keyword === 'properties' || keyword === '$defs') return [keyword, ...Object.values(value).flatMap(keywordsOf)];
    return [keyword, ...(typeof value === 'object' ? keywordsOf(value) : [])];
  });
}

describe('structured output: the schema sent, the schema said, the JSON found', () => {
  const schema = z.strictObject({
    name: z.string().min(1).max(40),
    minLength: z.number().int().min(0).default(0),
    tags: z.array(z.string().email().max(64)).min(1).max(3),
    kind: z.enum(['a', 'b']).nullable(),
  });

  it('sends only the keywords and formats strict mode documents, keeping property names that look like keywords', () => {
    const format = responseFormatFor('json_schema', 'thing', replyJsonSchema(schema));
    assert.equal(format?.type, 'json_schema');
    const sent = (format as { json_schema: { name: string; strict: boolean; schema: any } }).json_schema;
    assert.equal(sent.name, 'thing');
    assert.equal(sent.strict, true);
    assert.deepEqual(
      keywordsOf(sent.schema).filter((keyword) => !STRICT_SCHEMA_KEYWORDS.has(keyword)),
      [],
    );
    assert.ok('minLength' in sent.schema.properties, 'a property called minLength is kept');
    assert.equal(sent.schema.properties.name.maxLength, undefined);
    assert.equal(sent.schema.properties.tags.minItems, 1, 'minItems is in the documented subset');
    assert.equal(sent.schema.properties.tags.items.format, 'email');
    assert.deepEqual(strictSubset({ type: 'string', format: 'uri' }), { type: 'string' }, 'an unsupported format goes');
    assert.deepEqual(
      replyJsonSchema(schema).properties,
      z.toJSONSchema(schema, { io: 'input', target: 'draft-7' }).properties,
    );
  });

  it('uses the same keyword list as the OpenAI function views', () => {
    const withMinLength = {
      type: 'object',
      properties: { a: { type: 'string', minLength: 1 } },
      required: ['a'],
      additionalProperties: false,
    };
    assert.equal(isStrictCompatible(withMinLength), false);
    assert.equal(isStrictCompatible(strictSubset(withMinLength) as Record<string, unknown>), true);
  });

  it('asks json_object mode with no schema, and prompt mode with no response_format at all', () => {
    assert.deepEqual(responseFormatFor('json_object', 'thing', replyJsonSchema(schema)), { type: 'json_object' });
    assert.equal(responseFormatFor('prompt', 'thing', replyJsonSchema(schema)), undefined);
  });

  it('names the schema verbatim in the instruction, which is how a prompt-mode reader tells the reply apart', () => {
    const instruction = schemaInstruction('tool_plan', replyJsonSchema(schema));
    assert.match(instruction, /"tool_plan"/);
    assert.match(instruction, /JSON Schema/);
    assert.ok(instruction.includes(JSON.stringify(replyJsonSchema(schema))), 'the whole schema, constraints included');
    assert.equal(schemaNameIn(`You plan tools.${instruction}`), 'tool_plan');
    assert.equal(schemaNameIn('You plan tools.'), null);
  });

  describe('finds the JSON of a reply', () => {
    const value = { name: 'x', note: 'a } brace and a "quote" {' };

    it('plain', () => {
      assert.deepEqual(extractJson(` ${JSON.stringify(value)}\n`), { ok: true, value, source: 'plain' });
    });

    it('in a ```json fence, after prose (the first fence that parses)', () => {
      const reply = `Here you go:\n\`\`\`python\nprint(1)\n\`\`\`\n\`\`\`json\n${JSON.stringify(value, null, 2)}\n\`\`\`\nDone.`;
      assert.deepEqual(extractJson(reply), { ok: true, value, source: 'fence' });
    });

    it('as the first balanced object in prose, braces inside strings not counted', () => {
      const reply = `I think {this is not JSON} but ${JSON.stringify(value)} is, and so is {"other": 1}.`;
      assert.deepEqual(extractJson(reply), { ok: true, value, source: 'prose' });
    });

    it("after a reasoning model's <think> block", () => {
      const reply = `<think>maybe {"name": "wrong"}?</think>\n${JSON.stringify(value)}`;
      assert.deepEqual(extractJson(reply), { ok: true, value, source: 'prose' });
    });

    it('or says there is none', () => {
      assert.deepEqual(extractJson('   '), { ok: false, error: 'the reply is empty' });
      const cut = extractJson('{"functionName": "calculate_molecular_weight", oops');
      assert.equal(cut.ok, false);
      assert.match((cut as { error: string }).error, /^the reply is not JSON \(/);
    });
  });

  it('checks what it found with zod, saying where the JSON was', () => {
    const parsed = parseStructuredContent(
      '```json\n{"name": "n", "minLength": 2, "tags": ["ann@example.com"], "kind": null}\n```',
      schema,
    );
    assert.deepEqual(parsed, {
      success: true,
      value: { name: 'n', minLength: 2, tags: ['ann@example.com'], kind: null },
      source: 'fence',
    });
    const wrong = parseStructuredContent('{"name": ""}', schema);
    assert.equal(wrong.success, false);
    assert.match((wrong as { error: string }).error, /^the reply does not match the schema: /);
  });
});
