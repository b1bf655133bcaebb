import assert from 'node:assert/strict';
import { matchesExpected } from '../../../cli/eval/expected-values';

describe('judging a held-out call against an expected value, as validation compares test cases', () => {
  it('compares numbers within the tolerance, at any depth', () => {
    assert.ok(matchesExpected({ x: [1.0000001, 2] }, { x: [1, 2] }, 1e-6));
    assert.ok(!matchesExpected({ x: [1.01, 2] }, { x: [1, 2] }, 1e-6));
    assert.ok(matchesExpected(3, 3.0, 0));
  });

  it('compares everything else exactly: keys, lengths, strings, booleans and null', () => {
    assert.ok(!matchesExpected({ a: 1, b: 2 }, { a: 1 }, 0), 'an extra key');
    assert.ok(!matchesExpected({ a: 1 }, { a: 1, b: 2 }, 0), 'a missing key');
    assert.ok(!matchesExpected([1, 2, 3], [1, 2], 0));
    assert.ok(!matchesExpected('CCO', 'cco', 0));
    assert.ok(!matchesExpected(1, true, 0), 'a boolean is not a number');
    assert.ok(!matchesExpected(false, 0, 0));
    assert.ok(matchesExpected(null, null, 0));
    assert.ok(!matchesExpected(null, {}, 0));
    assert.ok(!matchesExpected({ 0: 'a' }, ['a'], 0), 'an object is not an array');
  });
});
