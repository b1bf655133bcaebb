import assert from 'node:assert/strict';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { postJson, request } from '../../dev/http';
import { requirement, runJob } from '../../dev/jobs';
import { startTestStack, type TestStack } from '../../dev/stack';

describe('when Temporal is down, the API answers from the MongoDB mirror', function () {
  this.timeout(180_000);
  let stack: TestStack;
  let job: any;

  before(async () => {
    stack = await startTestStack({ script: catalogueScript(standardCatalogue) });
    job = await runJob(stack, [
      'Calculate the molecular weight of a compound from SMILES.',
      'Predict the winning lottery numbers of the next draw.',
    ]);
    await stack.killTemporal();
  });
  after(async () => stack?.stop());

  it('answers GET job from the mirror, saying so in a header, with the same tools and failures', async () => {
    const answer = await request(`${stack.apiUrl}/jobs/${job.jobId}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.equal(answer.headers.get('x-toolsmith-data-source'), 'mongodb-mirror');
    assert.equal(answer.body.status, 'completed');
    assert.deepEqual(answer.body.progress, job.progress);
    assert.deepEqual(
      answer.body.toolFiles.map((tool: any) => [tool.toolId, tool.code]),
      job.toolFiles.map((tool: any) => [tool.toolId, tool.code]),
    );
    assert.deepEqual(
      answer.body.failures.map((failure: any) => failure.code),
      job.failures.map((failure: any) => failure.code),
    );
    assert.equal(answer.body.createdAt, job.createdAt);
  });

  it('reports temporal disconnected in health, and refuses new jobs with 503 SERVICE_UNAVAILABLE', async () => {
    const health = await request(`${stack.apiUrl}/health`);
    assert.equal(health.status, 503);
    assert.equal(health.body.temporal, 'disconnected');
    assert.equal(health.body.database, 'connected');
    const created = await postJson(`${stack.apiUrl}/jobs`, {
      toolRequirements: [requirement('Convert a temperature.')],
    });
    assert.equal(created.status, 503);
    assert.equal(created.body.code, 'SERVICE_UNAVAILABLE');
  });
});
