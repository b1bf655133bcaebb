/**
 * The short version of `npm run fuzz` (fuzz/run.ts): the same Schemathesis checks against the real
 * stack's /openapi.json, with fewer examples per operation, so CI catches a 5xx or a schema mismatch.
 */
import assert from 'node:assert/strict';
import { fuzzTestStack } from '../../fuzz/fuzz-stack';
import { molecularWeightScript } from '../../dev/canned-tools';
import { useTestStack } from '../../dev/stack';

const EXAMPLES_PER_OPERATION = 2;

describe('fuzzing the API from its OpenAPI document (short run)', function () {
  this.timeout(300_000);
  const stack = useTestStack(molecularWeightScript());

  it('finds no server error and no answer that breaks the document', async () => {
    const outcome = await fuzzTestStack(stack(), { maxExamples: EXAMPLES_PER_OPERATION, echo: false });

    const summary = outcome.output.slice(outcome.output.indexOf('FAILURES'));
    assert.ok(outcome.requests > 0, `schemathesis sent no requests:\n${outcome.output.slice(-3000)}`);
    assert.equal(outcome.failures, 0, `${outcome.failures} failures in ${outcome.requests} requests:\n${summary}`);
    assert.equal(outcome.exitCode, 0, outcome.output.slice(-3000));
  });
});
