import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import { callTool } from '../../sandbox/protocol';
import { createSandbox } from '../../sandbox/runner';
import { molecularWeightScript } from '../../dev/canned-tools';
import { loadExample } from '../../dev/examples';
import { pollUntil, postJson, request } from '../../dev/http';
import { startTestStack, type TestStack } from '../../dev/stack';

const seedJob = loadExample<{ toolRequirements: unknown[]; metadata: { sessionId: string; clientId: string } }>(
  'molecular-weight.json',
);

describe('a molecular-weight job, end to end on real Temporal, MongoDB protocol and sandbox', function () {
  this.timeout(240_000);
  let stack: TestStack;
  let created: { status: number; body: any };
  let seen: { status: number; body: any; headers: Headers }[];
  let finished: { status: number; body: any; headers: Headers };

  before(async () => {
    // The model takes a moment per call, as real ones do, so the running state is observable.
    stack = await startTestStack({ script: molecularWeightScript({ delayMs: 750 }) });
    created = await postJson(`${stack.apiUrl}/jobs`, seedJob);
    const polled = await pollUntil(`${stack.apiUrl}/jobs/${created.body.jobId}`, (answer) =>
      ['completed', 'failed', 'cancelled'].includes(answer.body.status),
    );
    seen = polled.seen;
    finished = polled.last;
  });
  after(async () => stack?.stop());

  it('answers POST with a pending job whose id is the workflow id', () => {
    assert.equal(created.status, 201);
    assert.match(created.body.jobId, /^job_[0-9a-f]{24}$/);
    assert.equal(created.body.status, 'pending');
    assert.deepEqual(created.body.progress, { total: 1, completed: 0, failed: 0, inProgress: 0, currentTool: null });
    assert.equal(created.body.temporal.workflowId, created.body.jobId);
    assert.ok(created.body.temporal.uiUrl.includes(`/workflows/${created.body.jobId}`));
    assert.ok(!Number.isNaN(Date.parse(created.body.createdAt)));
  });

  it('moves pending → running → completed, with the current tool named while it runs', () => {
    const statuses = [created.body.status, ...seen.map((answer) => answer.body.status)];
    const order = statuses.filter((status, index) => status !== statuses[index - 1]);
    assert.deepEqual(order.filter((status) => status !== 'pending').slice(0, 2), ['running', 'completed']);
    assert.equal(order[0], 'pending');
    const running = seen.filter((answer) => answer.body.status === 'running');
    assert.ok(running.some((answer) => answer.body.progress.inProgress === 1));
    assert.ok(running.some((answer) => answer.body.progress.currentTool === 'calculate_molecular_weight'));
  });

  it('completes with the tool file, no failures and a summary', () => {
    const job = finished.body;
    assert.equal(finished.status, 200);
    assert.equal(job.status, 'completed');
    assert.equal(job.createdAt, created.body.createdAt);
    assert.ok(Date.parse(job.updatedAt) > Date.parse(job.createdAt));
    assert.deepEqual(job.progress, { total: 1, completed: 1, failed: 0, inProgress: 0, currentTool: null });
    assert.deepEqual(job.failures, []);
    assert.deepEqual(
      { totalRequested: job.summary.totalRequested, successful: job.summary.successful, failed: job.summary.failed },
      { totalRequested: 1, successful: 1, failed: 0 },
    );
    assert.equal(job.summary.totalTokens, 300, 'two model calls of 150 tokens each');
    assert.equal(job.toolFiles.length, 1);
    const [tool] = job.toolFiles;
    assert.match(tool.toolId, /^[0-9a-f]{24}$/);
    assert.equal(tool.fileName, 'calculate_molecular_weight.py');
    assert.equal(tool.filePath, 'tools/test-client/calculate_molecular_weight/v1/calculate_molecular_weight.py');
    assert.equal(tool.registered, true);
    assert.equal(tool.endpoint, null);
    assert.match(tool.code, /def calculate_molecular_weight\(smiles: str\)/);
  });

  it('answers the finished job from the MongoDB mirror alone, as Temporal would have, with the run id', async () => {
    assert.equal(finished.headers.get('x-toolsmith-data-source'), 'mongodb-mirror');
    const running = seen.filter((answer) => answer.body.status === 'running');
    assert.ok(running.length > 0 && running.every((answer) => answer.headers.get('x-toolsmith-data-source') === null));
    const live = await stack.env.client.workflow.getHandle(created.body.jobId).describe();
    assert.equal(finished.body.temporal.runId, live.runId);
    const result = await stack.env.client.workflow.getHandle(created.body.jobId).result();
    // The mirror adds what the job's model calls cost, which only agent_sessions knows.
    const { modelCalls, promptTokens, completionTokens, ...runSummary } = finished.body.summary;
    assert.deepEqual(runSummary, result.summary, 'the summary the run returned');
    assert.deepEqual(
      { modelCalls, promptTokens, completionTokens },
      { modelCalls: 2, promptTokens: 200, completionTokens: 100 },
    );
    assert.deepEqual(
      finished.body.toolFiles.map((tool: { toolId: string }) => tool.toolId),
      result.tools.map((tool: { toolId: string }) => tool.toolId),
    );
  });

  it('returns code that computes ethanol (CCO) ≈ 46.07 when run', async () => {
    const [tool] = finished.body.toolFiles;
    const sandbox = createSandbox({
      runtimeDir: stack.tools.toolRuntime.venvDir,
      bwrapPath: stack.tools.bwrapPath,
      limits: { wallTimeMs: 30_000, memoryMb: 2048, outputBytes: 100_000, cpuSeconds: 30, processes: 64 },
    });
    const outcome = await callTool(sandbox, tool.code, 'calculate_molecular_weight', { smiles: 'CCO' });
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.problem);
    assert.equal(outcome.reply.ok, true, JSON.stringify(outcome.reply.error));
    const weight = (outcome.reply.output as { molecular_weight: number }).molecular_weight;
    assert.ok(Math.abs(weight - 46.07) < 0.01, `got ${weight}`);
  });

  it('writes the tool file into the tools directory', async () => {
    const [tool] = finished.body.toolFiles;
    const file = path.join(stack.toolsDir, tool.filePath.replace(/^tools\//, ''));
    assert.equal(path.basename(file), tool.fileName);
    assert.equal(await readFile(file, 'utf8'), tool.code);
  });

  it('stores the tool and its session in MongoDB with the contract fields and ObjectId ids', async () => {
    const [toolFile] = finished.body.toolFiles;
    const tool = await stack.mongo.db.collection('tools').findOne({ _id: new ObjectId(toolFile.toolId) });
    assert.ok(tool, 'tool document exists');
    assert.ok(tool._id instanceof ObjectId);
    for (const field of [
      'name',
      'file_name',
      'file_path',
      'description',
      'code',
      'input_schema',
      'output_schema',
      'dependencies',
      'test_cases',
      'status',
      'session_id',
      'created_at',
      'updated_at',
    ]) {
      assert.ok(field in tool, `tools.${field}`);
    }
    assert.equal(tool.status, 'registered');
    assert.equal(tool.name, 'calculate_molecular_weight');
    assert.deepEqual(tool.dependencies, ['rdkit']);
    assert.equal(tool.test_cases.length, 2);
    assert.ok(tool.session_id instanceof ObjectId);

    const session = await stack.mongo.db.collection('sessions').findOne({ job_id: finished.body.jobId });
    assert.ok(session, 'session document exists');
    for (const field of ['job_id', 'user_id', 'status', 'tool_ids', 'tool_requirements', 'created_at', 'updated_at']) {
      assert.ok(field in session, `sessions.${field}`);
    }
    assert.ok(session._id.equals(tool.session_id));
    assert.equal(session.status, 'completed');
    assert.equal(session.user_id, 'web-app');
    assert.equal(session.client_session_id, 'session_123');
    assert.deepEqual(
      session.tool_ids.map((id: ObjectId) => id.toHexString()),
      [toolFile.toolId],
    );
    assert.ok(session.tool_ids[0] instanceof ObjectId);
    assert.deepEqual(session.tool_requirements, seedJob.toolRequirements);
    assert.ok(session.created_at instanceof Date && session.updated_at instanceof Date);
  });

  it('records every model call in agent_sessions', async () => {
    const calls = await stack.mongo.db.collection('agent_sessions').find({ job_id: finished.body.jobId }).toArray();
    assert.deepEqual(calls.map((call) => call.step).sort(), ['implement', 'plan']);
    for (const call of calls) {
      assert.equal(call.model, 'scripted-model');
      assert.equal(call.usage.total_tokens, 150);
      assert.ok(call.latency_ms >= 0);
      assert.ok(call.request.messages.length >= 2);
    }
    assert.equal(stack.model.calls[0]?.authorization, 'Bearer scripted-test-key');
  });

  it('lists the completed session by status', async () => {
    const answer = await request(`${stack.apiUrl}/sessions/status/completed`);
    assert.equal(answer.status, 200);
    assert.ok(answer.body.sessions.some((session: any) => session.jobId === finished.body.jobId));
  });
});
