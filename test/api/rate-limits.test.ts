import assert from 'node:assert/strict';
import { assertErrorResponse } from '../helpers/assertions';
import { molecularWeightScript } from '../../dev/canned-tools';
import { loadExample } from '../../dev/examples';
import { asClient, postJson, request, type HttpAnswer } from '../../dev/http';
import { startTestStack, type TestStack } from '../../dev/stack';

describe('per-client limits: requests per minute and jobs running at once', function () {
  this.timeout(300_000);
  const PER_MINUTE = 20;
  const MAX_RUNNING = 2;
  let stack: TestStack;

  before(async () => {
    stack = await startTestStack({
      // slow enough that jobs are still running when the limit is checked
      script: molecularWeightScript({ delayMs: 4_000 }),
      env: { RATE_LIMIT_PER_MINUTE: String(PER_MINUTE), MAX_RUNNING_JOBS_PER_CLIENT: String(MAX_RUNNING) },
    });
  });
  after(async () => stack?.stop());

  function assertLimited(answer: HttpAnswer, maxSeconds: number): void {
    assertErrorResponse(answer, 429, 'RATE_LIMIT_EXCEEDED');
    const retryAfter = Number(answer.headers.get('retry-after'));
    assert.ok(
      Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= maxSeconds,
      `Retry-After: ${retryAfter}`,
    );
  }

  it('counts every request, even the ones that did not wait for their count, one after another', async () => {
    const steady = asClient(await stack.createApiKey('steady-client'));
    for (let index = 0; index < PER_MINUTE; index += 1) {
      assert.equal((await request(`${stack.apiUrl}/tools`, { headers: steady })).status, 200, `request ${index + 1}`);
    }
    assertLimited(await request(`${stack.apiUrl}/tools`, { headers: steady }), 60);
  });

  it('answers 429 with Retry-After past RATE_LIMIT_PER_MINUTE, for that client only; public routes are not counted', async () => {
    const burst = asClient(await stack.createApiKey('bursty-client'));
    const answers = await Promise.all(
      Array.from({ length: PER_MINUTE }, () => request(`${stack.apiUrl}/tools`, { headers: burst })),
    );
    assert.deepEqual(new Set(answers.map((answer) => answer.status)), new Set([200]));
    assertLimited(await request(`${stack.apiUrl}/tools`, { headers: burst }), 60);
    assertLimited(await postJson(`${stack.apiUrl}/jobs`, loadExample('molecular-weight.json'), burst), 60);
    assert.equal((await request(`${stack.apiUrl}/tools`)).status, 200, 'another client is not limited');
    assert.equal((await request(`${stack.apiUrl}/health`, { headers: burst })).status, 200);
  });

  it('answers 429 past MAX_RUNNING_JOBS_PER_CLIENT, even to concurrent submissions; an ended job gives its place back', async () => {
    const busy = asClient(await stack.createApiKey('busy-client'));
    const submit = () => postJson(`${stack.apiUrl}/jobs`, loadExample('molecular-weight.json'), busy);
    const answers = await Promise.all(Array.from({ length: MAX_RUNNING + 1 }, submit));
    const statuses = answers.map((answer) => answer.status).sort();
    assert.deepEqual(statuses, [201, 201, 429], JSON.stringify(answers.map((answer) => answer.body)));
    assertLimited(
      answers.find((answer) => answer.status === 429)!,
      60,
    );
    assert.equal((await submit()).status, 429);
    assert.equal(
      (await postJson(`${stack.apiUrl}/jobs`, loadExample('molecular-weight.json'))).status,
      201,
      'another client may',
    );

    const running = answers.filter((answer) => answer.status === 201).map((answer) => answer.body.jobId as string);
    const cancelled = await postJson(`${stack.apiUrl}/jobs/${running[0]}/cancel`, {}, busy);
    assert.equal(cancelled.status, 202);
    await stack.env.client.workflow
      .getHandle(running[0]!)
      .result()
      .catch(() => undefined);
    const holders = (await stack.stores.runningJobs.holders('busy-client')).map((holder) => holder.job_id);
    assert.deepEqual(holders, [running[1]], 'the ended job gave its place back itself, before any POST');
    const admitted = await submit();
    assert.equal(admitted.status, 201, JSON.stringify(admitted.body));
  });
});
