import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { fromStorable, toStorable } from '../../../store/storable-json';

describe('free-form JSON as MongoDB (and FerretDB) can store it', () => {
  it('keeps values the server takes exactly as they are', () => {
    const value = { input: { smiles: 'CCO', weights: [1, 2.5] }, rows: [{ a: [1] }], empty: {}, none: null };
    assert.deepEqual(toStorable(value), value);
  });

  it('wraps every array inside an array, at any depth, and unwraps it', () => {
    const matrix = {
      a: [
        [1, 2],
        [3, [4, 5]],
      ],
      b: [2, 8],
    };
    const stored = toStorable(matrix);
    assert.deepEqual(stored, {
      a: [{ __array__: [1, 2] }, { __array__: [3, { __array__: [4, 5] }] }],
      b: [2, 8],
    });
    assert.deepEqual(fromStorable(stored), matrix);
  });

  it('keeps an object with a key the server refuses ($…, a dot, a NUL) or one of the wrappers as JSON text', () => {
    for (const key of ['$schema', 'a.b', 'nul\0key', '__array__', '__json__']) {
      const schema = { type: 'object', [key]: [[1]], properties: { x: { type: 'number' } } };
      const stored = toStorable({ inputSchema: schema });
      assert.deepEqual(stored, { inputSchema: { __json__: JSON.stringify(schema) } }, key);
      assert.deepEqual(fromStorable(stored), { inputSchema: schema }, key);
    }
  });

  it('walks plain objects and arrays only: ids and dates pass untouched', () => {
    const document = { _id: new ObjectId(), created_at: new Date(0), test_cases: [{ input: { m: [[1]] } }] };
    const stored = toStorable(document);
    assert.equal(stored._id, document._id);
    assert.equal(stored.created_at, document.created_at);
    assert.deepEqual(fromStorable(stored), document);
  });
});
