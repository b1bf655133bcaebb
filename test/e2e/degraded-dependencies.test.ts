import assert from 'node:assert/strict';
import { molecularWeightScript } from '../../dev/canned-tools';
import { loadExample } from '../../dev/examples';
import { pollUntil, postJson, request } from '../../dev/http';
import { startTestStack, type TestStack } from '../../dev/stack';

describe('when a dependency is missing or down', function () {
  this.timeout(180_000);
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({ script: molecularWeightScript(), env: { OPENAI_API_KEY: '', OPENAI_BASE_URL: '' } });
  });
  after(async () => stack?.stop());

  it('without OPENAI_API_KEY (and no OPENAI_BASE_URL) the service still runs, and a job fails with AI_SERVICE_ERROR saying to set it', async () => {
    const created = await postJson(`${stack.apiUrl}/jobs`, loadExample('molecular-weight.json'));
    assert.equal(created.status, 201);
    const { last } = await pollUntil(
      `${stack.apiUrl}/jobs/${created.body.jobId}`,
      (answer) => answer.body.status === 'failed',
      60_000,
    );
    assert.equal(last.status, 200);
    assert.equal(last.body.error.code, 'AI_SERVICE_ERROR');
    assert.match(last.body.error.message, /OPENAI_API_KEY is not set/);
    assert.equal(stack.model.calls.length, 0, 'no request reached the model');

    const session = await stack.mongo.db.collection('sessions').findOne({ job_id: created.body.jobId });
    assert.equal(session?.status, 'failed');
    assert.equal(session?.error?.code, 'AI_SERVICE_ERROR');
  });

  it('health reports the database connected, then disconnected (503) once MongoDB is killed', async () => {
    const healthy = await request(`${stack.apiUrl}/health`);
    assert.equal(healthy.status, 200, JSON.stringify(healthy.body));
    assert.equal(healthy.body.status, 'healthy');
    assert.equal(healthy.body.database, 'connected');
    assert.equal(healthy.body.temporal, 'connected');
    assert.equal(healthy.body.version, require('../../package.json').version);
    assert.ok(!Number.isNaN(Date.parse(healthy.body.timestamp)));

    await stack.mongoServer.kill();

    const unhealthy = await request(`${stack.apiUrl}/health`);
    assert.equal(unhealthy.status, 503);
    assert.equal(unhealthy.body.status, 'unhealthy');
    assert.equal(unhealthy.body.database, 'disconnected');
    assert.equal(unhealthy.body.temporal, 'connected');

    // Any route that needs the database says so (it answered 500 before), with when to try again.
    const listing = await request(`${stack.apiUrl}/tools`);
    assert.equal(listing.status, 503, JSON.stringify(listing.body));
    assert.equal(listing.body.code, 'SERVICE_UNAVAILABLE');
    assert.equal(listing.headers.get('retry-after'), '1');
  });
});
