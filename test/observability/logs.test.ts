import assert from 'node:assert/strict';
import type { DestinationStream } from 'pino';
import { startWebServer, type WebServer } from '../../api/web-server';
import { loadConfig } from '../../config';
import { createLogger } from '../../observability/logger';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { startTestStack, type TestStack } from '../../dev/stack';
import { jsonLines, keyedClient, startLoggingWorker, type KeyedClient, type LoggingWorker } from './helpers';

/** A pino destination that keeps what it is given, for reading the lines back. */
function capture(): DestinationStream & { text(): string } {
  let text = '';
  return {
    write: (line: string) => {
      text += line;
    },
    text: () => text,
  };
}

describe('logs: JSON lines with request and job ids, and no secret in them', function () {
  this.timeout(240_000);
  let stack: TestStack;
  let worker: LoggingWorker;
  let api: WebServer;
  const apiLines = capture();
  let client: KeyedClient;
  let job: any;
  let submittedRequestId: string;

  before(async () => {
    stack = await startTestStack({ script: catalogueScript(standardCatalogue), inProcessWorker: false });
    worker = await startLoggingWorker(stack);
    // An API of its own beside the stack's, logging at info where the test can read it.
    api = await startWebServer(
      stack.config,
      { client: stack.env.client, connection: stack.env.connection },
      { logger: createLogger({ level: 'info', pretty: false }, apiLines) },
    );
    client = await keyedClient(stack, `${api.url}/api/v1`);
    const submitted = await client.submitJob(['Calculate the molecular weight of a compound from SMILES.']);
    submittedRequestId = submitted.headers.get('x-request-id')!;
    job = await client.waitForJob(submitted.body.jobId);
    assert.equal(job.status, 'completed', `${JSON.stringify(job)}\n${worker.output()}`);
    // The other header a key may come in, on a job route.
    await client.call(`/jobs/${job.jobId}`, { headers: { authorization: '', 'x-api-key': client.key } });
  });
  after(async () => {
    await api?.close();
    await worker?.stop();
    await stack?.stop();
  });

  it('logs every request as one JSON line under the id of its X-Request-Id header', () => {
    const lines = apiLines.text().trimEnd().split('\n');
    assert.ok(lines.length >= 3);
    const parsed = lines.map((line) => JSON.parse(line) as Record<string, any>);
    const submission = parsed.find((line) => line.reqId === submittedRequestId && line.res);
    assert.ok(submission, `no line for request ${submittedRequestId} in\n${apiLines.text()}`);
    assert.equal(submission.req.method, 'POST');
    assert.equal(submission.res.statusCode, 201);
    assert.equal(submission.jobId, job.jobId, 'POST /jobs names the job it made');
    assert.ok(parsed.every((line) => typeof line.level === 'number' && typeof line.time === 'number'));
  });

  it("carries the job id on the job's request lines and on the worker's activity lines", () => {
    const apiJobLines = jsonLines(apiLines.text()).filter((line) => line.jobId === job.jobId);
    assert.ok(apiJobLines.some((line) => line.req?.url === `/api/v1/jobs/${job.jobId}`));
    const workerJobLines = jsonLines(worker.output()).filter((line) => line.jobId === job.jobId);
    const stages = new Set(workerJobLines.map((line) => line.stage));
    for (const stage of ['plan', 'search_docs', 'implement', 'validate', 'register']) {
      assert.ok(stages.has(stage), `no ${stage} line with the job id in\n${worker.output()}`);
    }
    const planned = workerJobLines.find((line) => line.stage === 'plan' && line.outcome === 'completed');
    assert.equal(planned?.requirementIndex, 0);
    assert.equal(planned?.workflowId, job.jobId);
    assert.equal(typeof planned?.durationMs, 'number');
  });

  it('has neither the API key nor the model key anywhere, and shows the key headers redacted', () => {
    const everything = `${apiLines.text()}\n${worker.output()}`;
    assert.ok(!everything.includes(client.key), 'the API key is in the logs');
    assert.ok(!everything.includes(stack.serviceEnv.OPENAI_API_KEY!), 'the model key is in the logs');
    const headers = jsonLines(apiLines.text()).flatMap((line) => (line.req?.headers ? [line.req.headers] : []));
    assert.ok(headers.some((logged) => logged.authorization === '[redacted]'));
    assert.ok(headers.some((logged) => logged['x-api-key'] === '[redacted]'));
  });

  it('redacts the model key of a logged config object', () => {
    const lines = capture();
    const config = loadConfig({ OPENAI_API_KEY: 'sk-live-secret-value' });
    createLogger({ level: 'info', pretty: false }, lines).info({ config }, 'configuration');
    assert.ok(!lines.text().includes('sk-live-secret-value'));
    assert.equal(JSON.parse(lines.text()).config.llm.apiKey, '[redacted]');
  });
});
