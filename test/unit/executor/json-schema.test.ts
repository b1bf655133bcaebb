import assert from 'node:assert/strict';
import { compileJsonSchema, describeViolations } from '../../../executor/json-schema';

describe("checking values against a tool's JSON Schema", () => {
  const check = compileJsonSchema({
    $schema: 'http://json-schema.org/draft-07/schema#',
    type: 'object',
    properties: {
      smiles: { type: 'string' },
      atoms: { type: 'array', items: { type: 'object', properties: { symbol: { type: 'string' } } } },
    },
    required: ['smiles'],
    additionalProperties: false,
  });

  it('finds nothing wrong with a value that fits (a draft-07 $schema does not stop it compiling)', () => {
    assert.deepEqual(check({ smiles: 'CCO', atoms: [{ symbol: 'C' }] }), []);
  });

  it('names the offending property itself: a wrong type, a missing one, an extra one, deep in arrays', () => {
    assert.deepEqual(check({ smiles: 42 }), [{ path: ['smiles'], message: 'must be string' }]);
    assert.deepEqual(check({}), [{ path: ['smiles'], message: 'is required' }]);
    assert.deepEqual(check({ smiles: 'C', colour: 'red' }), [
      { path: ['colour'], message: 'is not a property the schema allows' },
    ]);
    assert.deepEqual(check({ smiles: 'C', atoms: [{ symbol: 6 }] }), [
      { path: ['atoms', '0', 'symbol'], message: 'must be string' },
    ]);
  });

  it('reports every violation, in one line with the fields named', () => {
    const violations = check({ smiles: 1, colour: 'red' });
    assert.equal(violations.length, 2);
    assert.equal(
      describeViolations(violations, ['input']),
      'input.colour is not a property the schema allows; input.smiles must be string',
    );
  });

  it('throws for a schema that is not valid JSON Schema', () => {
    assert.throws(() => compileJsonSchema({ type: 'no-such-type' }));
  });

  it('keeps each compiled schema apart: the same $id twice, a $ref into $defs, one compiled after many', () => {
    const withId = (type: string) =>
      compileJsonSchema({ $id: 'https://example.com/tool', type: 'object', properties: { n: { type } } });
    const numbers = withId('number');
    const strings = withId('string');
    assert.deepEqual(numbers({ n: 1 }), []);
    assert.deepEqual(strings({ n: 1 }), [{ path: ['n'], message: 'must be string' }]);

    const referring = compileJsonSchema({
      type: 'object',
      properties: { atom: { $ref: '#/$defs/atom' } },
      $defs: { atom: { type: 'string', minLength: 1 } },
    });
    const others = Array.from({ length: 50 }, (_, index) =>
      compileJsonSchema({
        type: 'object',
        properties: { [`field${index}`]: { type: 'integer' } },
        required: [`field${index}`],
      }),
    );
    assert.deepEqual(referring({ atom: 'C' }), []);
    assert.deepEqual(referring({ atom: '' }), [{ path: ['atom'], message: 'must NOT have fewer than 1 characters' }]);
    assert.deepEqual(others[7]!({ field7: 3 }), []);
    assert.deepEqual(others[7]!({ field8: 3 }), [{ path: ['field7'], message: 'is required' }]);
    assert.deepEqual(check({ smiles: 'CCO' }), []);
  });
});
