import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { assertErrorResponse } from '../helpers/assertions';
import { useOtherClient } from '../helpers/clients';
import { molecularWeightScript } from '../../dev/canned-tools';
import { loadExample } from '../../dev/examples';
import { pollUntil, postJson } from '../../dev/http';
import { useTestStack } from '../../dev/stack';

describe('Idempotency-Key on POST /jobs', function () {
  this.timeout(300_000);
  const stack = useTestStack(molecularWeightScript());
  const asOther = useOtherClient(stack);

  const api = () => stack().apiUrl;

  const seed = () => loadExample('molecular-weight.json');

  async function executionsOf(jobId: string): Promise<number> {
    let count = 0;
    for await (const execution of stack().env.client.workflow.list({ query: `WorkflowId = "${jobId}"` })) {
      assert.equal(execution.workflowId, jobId);
      count += 1;
    }
    return count;
  }

  it('two concurrent POSTs with one key make one workflow: the same job, 201 for one and 200 for the other', async () => {
    const key = `order-${new ObjectId().toHexString()}`;
    const answers = await Promise.all([0, 1].map(() => postJson(`${api()}/jobs`, seed(), { 'idempotency-key': key })));
    assert.deepEqual(
      answers.map((answer) => answer.status).sort(),
      [200, 201],
      JSON.stringify(answers.map((a) => a.body)),
    );
    const jobIds = new Set(answers.map((answer) => answer.body.jobId as string));
    assert.equal(jobIds.size, 1, 'the same job');
    const [jobId] = jobIds;
    const { last } = await pollUntil(
      `${api()}/jobs/${jobId}`,
      (answer) => answer.body.status === 'completed',
      120_000,
      250,
    );
    // Temporal's visibility store lists an execution moments after it changed; by now it has long ended.
    assert.equal(await executionsOf(jobId!), 1, 'one workflow execution');

    const later = await postJson(`${api()}/jobs`, seed(), { 'idempotency-key': key });
    assert.equal(later.status, 200);
    assert.equal(later.body.jobId, jobId);
    assert.equal(later.body.status, 'completed', 'answers the job as it is now');
    assert.deepEqual(later.body.toolFiles, last.body.toolFiles);
    assert.equal(await executionsOf(jobId!), 1, 'a repeat after the job ended starts nothing either');
  });

  it('the same key with a different body is 409 naming the key’s job; another client’s same key is its own job', async () => {
    const key = `order-${new ObjectId().toHexString()}`;
    const first = await postJson(`${api()}/jobs`, seed(), { 'idempotency-key': key });
    assert.equal(first.status, 201);
    const changed = { ...seed(), options: { reuse: false } };
    const conflict = await postJson(`${api()}/jobs`, changed, { 'idempotency-key': key });
    assertErrorResponse(conflict, 409, 'INVALID_REQUEST');
    assert.match(conflict.body.error, /Idempotency-Key was already used with a different request/);
    assert.equal(conflict.body.jobId, first.body.jobId);

    const reordered = { metadata: seed().metadata, toolRequirements: seed().toolRequirements };
    const same = await postJson(`${api()}/jobs`, reordered, { 'idempotency-key': key });
    assert.equal(same.status, 200, 'the same request, its fields in another order');
    assert.equal(same.body.jobId, first.body.jobId);

    const others = await postJson(`${api()}/jobs`, changed, { ...asOther(), 'idempotency-key': key });
    assert.equal(others.status, 201, JSON.stringify(others.body));
    assert.notEqual(others.body.jobId, first.body.jobId);
    for (const [jobId, headers] of [
      [first.body.jobId, {}],
      [others.body.jobId, asOther()],
    ] as const) {
      await pollUntil(`${api()}/jobs/${jobId}`, (answer) => answer.body.status === 'completed', 120_000, 250, {
        headers,
      });
    }
  });

  it('refuses an empty, over-long or unprintable key with 400 naming the header', async () => {
    for (const key of ['x'.repeat(201), 'caf\u00e9', ' ']) {
      const answer = await postJson(`${api()}/jobs`, seed(), { 'idempotency-key': key });
      assertErrorResponse(answer, 400, 'INVALID_REQUEST', 'Idempotency-Key');
    }
  });
});
