import assert from 'node:assert/strict';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { TOKENS_PER_CALL } from '../../dev/scripted-model';
import { useTestStack } from '../../dev/stack';
import { keyedClient, startLoggingWorker, type KeyedClient } from './helpers';

/** The value of one series in Prometheus text, e.g. `name{a="b"}`; undefined when absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const answer = await fetch(url);
  assert.equal(answer.status, 200);
  assert.match(answer.headers.get('content-type') ?? '', /^text\/plain/);
  return answer.text();
}

describe('metrics: the API and the worker expose Prometheus series after a job', function () {
  this.timeout(180_000);
  const stack = useTestStack(catalogueScript(standardCatalogue));
  let client: KeyedClient;
  let job: any;

  before(async () => {
    client = await keyedClient(stack());
    job = await client.runJob(['Calculate the molecular weight of a compound from SMILES.']);
    assert.equal(job.status, 'completed', JSON.stringify(job));
  });

  it("the API's public /metrics counts requests by route pattern and status, and jobs by status", async () => {
    const text = await scrape(stack().apiUrl.replace(/\/api\/v1$/, '/metrics'));
    assert.equal(sample(text, 'toolsmith_http_requests_total{method="POST",route="/api/v1/jobs",status="201"}'), 1);
    assert.ok(
      sample(text, 'toolsmith_http_requests_total{method="GET",route="/api/v1/jobs/:jobId",status="200"}')! >= 1,
    );
    assert.equal(
      sample(text, 'toolsmith_http_request_duration_seconds_count{method="POST",route="/api/v1/jobs",status="201"}'),
      1,
    );
    assert.ok(!text.includes(job.jobId), 'a raw URL (with its job id) never becomes a label');
    // the stack's database holds this suite's one job
    assert.equal(sample(text, 'toolsmith_jobs{status="completed"}'), 1);
    assert.equal(sample(text, 'toolsmith_jobs{status="running"}'), 0);
  });

  it('labels a request no route answers as unmatched', async () => {
    await client.call('/no-such-route/12345');
    const text = await scrape(stack().apiUrl.replace(/\/api\/v1$/, '/metrics'));
    assert.ok(!text.includes('12345'));
    assert.match(text, /toolsmith_http_requests_total\{method="GET",route="unmatched",status="\d+"\} \d/);
  });

  it("the worker's /metrics counts activities by stage, model tokens and sandbox runs", async () => {
    const text = await scrape(stack().workerMetricsUrl!);
    // The worker has run this suite's one job of one tool, right at the first attempt: each stage
    // once (the mirror at every stage change), one model call each to plan and implement, one
    // validation run in the sandbox.
    for (const stage of ['plan', 'search_docs', 'implement', 'validate', 'register', 'mirror']) {
      const series = `toolsmith_activity_executions_total{stage="${stage}",outcome="completed"}`;
      const executions = sample(text, series)!;
      if (stage === 'mirror') assert.ok(executions >= 1, `${series} in\n${text}`);
      else assert.equal(executions, 1, `${series} in\n${text}`);
      const timed = `toolsmith_activity_duration_seconds_count{stage="${stage}",outcome="completed"}`;
      assert.equal(sample(text, timed), executions, 'every execution is timed');
    }
    assert.match(text, /# TYPE toolsmith_activity_failures_total counter/);
    assert.equal(sample(text, 'toolsmith_llm_tokens_total{kind="prompt",step="plan"}'), TOKENS_PER_CALL.prompt_tokens);
    assert.equal(
      sample(text, 'toolsmith_llm_tokens_total{kind="completion",step="implement"}'),
      TOKENS_PER_CALL.completion_tokens,
    );
    assert.equal(sample(text, 'toolsmith_sandbox_executions_total{outcome="completed"}'), 1);
    assert.match(text, /# TYPE toolsmith_sandbox_limits_hit_total counter/);
  });

  it("a worker process's /metrics carries the Temporal SDK's own series as well", async () => {
    const worker = await startLoggingWorker(stack());
    try {
      const text = await scrape(worker.metricsUrl);
      assert.match(text, /# TYPE toolsmith_activity_executions_total counter/);
      assert.match(text, /^temporal_\w+/m, text);
    } finally {
      await worker.stop();
    }
  });
});
