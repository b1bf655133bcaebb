import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { FINISHED, requirement } from '../../dev/jobs';
import { pollUntil, postJson, request, type HttpAnswer } from '../../dev/http';
import type { ModelScript } from '../../dev/scripted-model';
import { assertErrorResponse } from '../helpers/assertions';
import { startTestStack, type TestStack } from '../../dev/stack';

const TEMPERATURE = 'Convert a temperature between Celsius, Fahrenheit and Kelvin.';
const SLOW_TEMPERATURE = 'Slowly convert a temperature between Celsius, Fahrenheit and Kelvin.';
const MOLECULAR_WEIGHT = 'Calculate the molecular weight of a compound from SMILES.';
/** The scripted model refuses what it does not know (HTTP 400): the job fails with AI_SERVICE_ERROR. */
const UNKNOWN = 'Summarise the plot of a novel.';

const ITEM_KEYS = ['clientId', 'createdAt', 'jobId', 'progress', 'status', 'temporal', 'updatedAt'];

interface SubmittedJob {
  jobId: string;
  createdAt: string;
  clientId: string | null;
}

describe('GET /api/v1/jobs: the job list, filtered by status and client, paginated', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let api: string;
  const submitted: SubmittedJob[] = [];
  let releaseSlowJob: () => void = () => undefined;
  let slowJob: SubmittedJob;

  async function submit(description: string, clientId?: string): Promise<SubmittedJob> {
    const body = { toolRequirements: [requirement(description)], ...(clientId ? { metadata: { clientId } } : {}) };
    const created = await postJson(`${api}/jobs`, body);
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const job = { jobId: created.body.jobId, createdAt: created.body.createdAt, clientId: clientId ?? null };
    submitted.push(job);
    return job;
  }

  const jobIds = (answer: HttpAnswer) => answer.body.jobs.map((job: any) => job.jobId);
  const newestFirst = (jobs: SubmittedJob[]) => [...jobs].reverse().map((job) => job.jobId);
  const waitUntilFinished = (job: SubmittedJob) =>
    pollUntil(`${api}/jobs/${job.jobId}`, (answer) => FINISHED.includes(answer.body.status), 180_000, 200);

  before(async () => {
    const gate = new Promise<void>((resolve) => {
      releaseSlowJob = resolve;
    });
    const catalogue = catalogueScript(standardCatalogue);
    // The slow requirement's plan waits for the test, so its job is running while the test looks.
    const script: ModelScript = async (call) => {
      if (call.messages.some((message) => message.content.includes('Slowly convert'))) await gate;
      return catalogue(call);
    };
    stack = await startTestStack({ script });
    api = stack.apiUrl;
    await submit(TEMPERATURE, 'x');
    await submit(UNKNOWN, 'x');
    await submit(MOLECULAR_WEIGHT, 'y');
    await submit(MOLECULAR_WEIGHT, 'x');
    await submit(TEMPERATURE);
    slowJob = await submit(SLOW_TEMPERATURE, 'x');
    for (const job of submitted.slice(0, -1)) await waitUntilFinished(job);
    // The slow job is listed once its workflow has mirrored its first state.
    await pollUntil(`${api}/jobs?status=running`, (answer) => answer.body.jobs?.length === 1, 30_000);
  });
  after(async () => {
    releaseSlowJob();
    await stack?.stop();
  });

  it('lists every job newest first, across pages of 2, without duplicates, each in the documented shape', async () => {
    const listed: any[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const cursorParameter: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const answer = await request(`${api}/jobs?limit=2${cursorParameter}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body).sort(), ['jobs', 'nextCursor']);
      assert.ok(answer.body.jobs.length <= 2);
      listed.push(...answer.body.jobs);
      cursor = answer.body.nextCursor;
      pages += 1;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual(
      listed.map((job) => job.jobId),
      newestFirst(submitted),
    );
    assert.equal(new Set(listed.map((job) => job.jobId)).size, submitted.length);

    for (const [index, job] of listed.entries()) {
      const expected = [...submitted].reverse()[index]!;
      assert.deepEqual(Object.keys(job).sort(), ITEM_KEYS);
      assert.equal(job.createdAt, expected.createdAt, 'createdAt is the one the POST answered');
      assert.equal(job.clientId, expected.clientId);
      assert.ok(job.updatedAt >= job.createdAt);
      assert.deepEqual(Object.keys(job.progress).sort(), ['completed', 'currentTool', 'failed', 'inProgress', 'total']);
      assert.deepEqual(job.temporal, {
        workflowId: job.jobId,
        runId: null,
        uiUrl: `${stack.config.temporal.uiUrl}/namespaces/${stack.config.temporal.namespace}/workflows/${job.jobId}`,
      });
    }
    const [slow, unattributed, xMolecularWeight, , failed] = listed;
    assert.equal(slow.status, 'running');
    assert.equal(unattributed.status, 'completed');
    assert.equal(unattributed.clientId, null);
    assert.deepEqual(xMolecularWeight.progress, {
      total: 1,
      completed: 1,
      failed: 0,
      inProgress: 0,
      currentTool: null,
    });
    assert.equal(failed.status, 'failed');
  });

  it("links to the same run the job's own answer links to", async () => {
    const listed = (await request(`${api}/jobs?clientId=y`)).body.jobs[0];
    const job = (await request(`${api}/jobs/${listed.jobId}`)).body;
    assert.equal(job.status, listed.status);
    assert.equal(job.temporal.workflowId, listed.temporal.workflowId);
    assert.ok(
      job.temporal.uiUrl.startsWith(`${listed.temporal.uiUrl}/`),
      `${job.temporal.uiUrl} is a run of ${listed.temporal.uiUrl}`,
    );
  });

  it('filters by status and by clientId, alone and together', async () => {
    const [xTemperature, unknown, yMolecularWeight, xMolecularWeight, unattributed] = submitted;
    assert.deepEqual(jobIds(await request(`${api}/jobs?status=running`)), [slowJob.jobId]);
    assert.deepEqual(jobIds(await request(`${api}/jobs?status=failed`)), [unknown!.jobId]);
    assert.deepEqual(jobIds(await request(`${api}/jobs?status=completed`)), [
      unattributed!.jobId,
      xMolecularWeight!.jobId,
      yMolecularWeight!.jobId,
      xTemperature!.jobId,
    ]);
    assert.deepEqual(jobIds(await request(`${api}/jobs?clientId=y`)), [yMolecularWeight!.jobId]);
    assert.deepEqual(jobIds(await request(`${api}/jobs?clientId=x`)), [
      slowJob.jobId,
      xMolecularWeight!.jobId,
      unknown!.jobId,
      xTemperature!.jobId,
    ]);
    assert.deepEqual(jobIds(await request(`${api}/jobs?status=completed&clientId=x`)), [
      xMolecularWeight!.jobId,
      xTemperature!.jobId,
    ]);
    assert.deepEqual(jobIds(await request(`${api}/jobs?status=failed&clientId=x`)), [unknown!.jobId]);
    assert.deepEqual((await request(`${api}/jobs?status=failed&clientId=y`)).body, { jobs: [], nextCursor: null });
    assert.deepEqual((await request(`${api}/jobs?status=cancelled`)).body, { jobs: [], nextCursor: null });
    assert.deepEqual((await request(`${api}/jobs?clientId=nobody`)).body, { jobs: [], nextCursor: null });

    const page = await request(`${api}/jobs?status=completed&clientId=x&limit=1`);
    assert.deepEqual(jobIds(page), [xMolecularWeight!.jobId]);
    const next = await request(
      `${api}/jobs?status=completed&clientId=x&limit=1&cursor=${encodeURIComponent(page.body.nextCursor)}`,
    );
    assert.deepEqual(jobIds(next), [xTemperature!.jobId]);
    assert.equal(next.body.nextCursor, null);
  });

  it('moves a job from status=running to status=completed when it ends', async () => {
    releaseSlowJob();
    await waitUntilFinished(slowJob);
    assert.deepEqual((await request(`${api}/jobs?status=running`)).body, { jobs: [], nextCursor: null });
    const completed = jobIds(await request(`${api}/jobs?status=completed&clientId=x`));
    assert.equal(completed[0], slowJob.jobId);
  });

  it('rejects a bad status, clientId, limit or cursor with 400 naming it', async () => {
    for (const status of ['bogus', 'planning', 'COMPLETED', '', 'completed&status=failed']) {
      assertErrorResponse(await request(`${api}/jobs?status=${status}`), 400, 'INVALID_REQUEST', 'status');
    }
    for (const clientId of ['', 'c'.repeat(201), 'a&clientId=b']) {
      assertErrorResponse(await request(`${api}/jobs?clientId=${clientId}`), 400, 'INVALID_REQUEST', 'clientId');
    }
    for (const limit of ['0', '101', 'many', '2.5']) {
      assertErrorResponse(await request(`${api}/jobs?limit=${limit}`), 400, 'INVALID_REQUEST', 'limit');
    }
    const notCursors = ['garbage', Buffer.from(`1:${'g'.repeat(24)}`).toString('base64url'), 'x'.repeat(300)];
    for (const cursor of notCursors) {
      assertErrorResponse(await request(`${api}/jobs?cursor=${cursor}`), 400, 'INVALID_REQUEST', 'cursor');
    }
    const valid = Buffer.from(`${Date.now()}:${new ObjectId().toHexString()}`).toString('base64url');
    assert.equal((await request(`${api}/jobs?cursor=${valid}`)).status, 200);
  });

  it('leaves the other job routes where they were', async () => {
    assert.equal((await request(`${api}/jobs/${submitted[0]!.jobId}`)).body.status, 'completed');
    assertErrorResponse(await request(`${api}/jobs/job_000000000000000000000000`), 404, 'JOB_NOT_FOUND');
    const document = (await request(`${api.replace(/\/api\/v1$/, '')}/openapi.json`)).body;
    assert.ok(document.paths['/api/v1/jobs'].get, 'the list is documented');
    assert.ok(document.paths['/api/v1/jobs'].post, 'next to job creation');
  });
});
