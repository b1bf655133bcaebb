import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ObjectId } from 'mongodb';
import { KEY_CACHE_TTL_MS } from '../../api/auth';
import { DEV_CLIENT_ID, ensureDevApiKey } from '../../infra/dev-api-key';
import { DEFAULT_TENANT } from '../../store/documents';
import { assertErrorResponse } from '../helpers/assertions';
import { molecularWeightScript } from '../../dev/canned-tools';
import { loadExample } from '../../dev/examples';
import { asClient, pollUntil, postJson, request, type HttpAnswer } from '../../dev/http';
import { runJobRequest } from '../../dev/jobs';
import { misbehavingTools, registerHandMadeTool } from '../../dev/registered-tools';
import { readEventStream } from '../helpers/sse';
import { startTestStack, useTestStack, type TestStack } from '../../dev/stack';

const MOLECULAR_WEIGHT = 'calculate_molecular_weight';
const CLI = path.resolve(__dirname, '../../cli/toolsmith.js');
const UNKNOWN_JOB = 'job_000000000000000000000000';
const UNKNOWN_ID = '000000000000000000000000';
const SHARED_LABEL = 'shared-label';

const runCli = promisify(execFile);

/** The real `toolsmith` CLI against the stack's MongoDB; never throws, answers the exit code and output. */
async function keysCli(stack: TestStack, ...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const env = {
    ...process.env,
    MONGODB_URL: stack.serviceEnv.MONGODB_URL,
    MONGODB_DB_NAME: stack.serviceEnv.MONGODB_DB_NAME,
  };
  try {
    const { stdout, stderr } = await runCli(process.execPath, [CLI, 'keys', ...args], { env });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
}

/** The same answer, body for body, apart from what differs per request. */
function sameErrorAnswer(foreign: HttpAnswer, unknown: HttpAnswer, what: string): void {
  const shape = (answer: HttpAnswer) => ({ status: answer.status, code: answer.body.code });
  assert.deepEqual(shape(foreign), shape(unknown), `${what}: ${JSON.stringify(foreign.body)}`);
  assert.equal(foreign.status, 404, `${what}: ${JSON.stringify(foreign.body)}`);
}

function assertUnauthorized(answer: HttpAnswer, sentKey: string | undefined, what: string): void {
  assertErrorResponse(answer, 401, 'UNAUTHORIZED');
  assert.match(answer.body.error, /Authorization: Bearer <key>/, what);
  assert.equal(answer.headers.get('www-authenticate'), 'Bearer realm="toolsmith"', what);
  if (sentKey) assert.ok(!JSON.stringify(answer.body).includes(sentKey), `${what}: the key is not echoed`);
}

describe('clients: API keys, tenancy, limits and idempotent submission', function () {
  this.timeout(300_000);
  const stack = useTestStack(molecularWeightScript());
  let otherKey: string;
  let ownJob: any;
  let otherJob: any;
  let ownToolId: string;
  let ownSessionId: string;
  let handMadeToolId: string;

  const api = () => stack().apiUrl;
  const asOther = () => asClient(otherKey);

  before(async () => {
    otherKey = await stack().createApiKey('other-client');
    const seed = loadExample('molecular-weight.json');
    const body = { ...seed, metadata: { clientId: SHARED_LABEL } };
    ownJob = await runJobRequest(stack(), body);
    assert.equal(ownJob.status, 'completed', JSON.stringify(ownJob));
    ownToolId = ownJob.toolFiles[0].toolId;
    ownSessionId = (await stack().stores.sessions.findByJobId(stack().clientId, ownJob.jobId))!._id.toHexString();
    handMadeToolId = (await registerHandMadeTool(stack(), misbehavingTools.raises))._id.toHexString();
    stack().model.calls.length = 0;
    otherJob = await runJobRequest(stack(), body, 120_000, asOther());
    assert.equal(otherJob.status, 'completed', JSON.stringify(otherJob));
  });

  describe('API keys', () => {
    /** Every protected route, with ids that exist (the stack client's own). */
    const protectedRoutes = (): [string, string][] => [
      ['GET', `/api/v1/jobs`],
      ['POST', `/api/v1/jobs`],
      ['GET', `/api/v1/jobs/${ownJob.jobId}`],
      ['POST', `/api/v1/jobs/${ownJob.jobId}/cancel`],
      ['POST', `/api/v1/jobs/${ownJob.jobId}/retry`],
      ['GET', `/api/v1/jobs/${ownJob.jobId}/events`],
      ['GET', `/api/v1/sessions/${ownSessionId}`],
      ['GET', `/api/v1/sessions/${ownSessionId}/tools`],
      ['GET', `/api/v1/sessions/${ownSessionId}/status`],
      ['GET', `/api/v1/sessions/user/${SHARED_LABEL}`],
      ['GET', `/api/v1/sessions/status/completed`],
      ['GET', `/api/v1/tools`],
      ['GET', `/api/v1/tools/${ownToolId}`],
      ['GET', `/api/v1/tools/by-name/${MOLECULAR_WEIGHT}`],
      ['POST', `/api/v1/tools/${ownToolId}/deprecate`],
      ['POST', `/api/v1/tools/${ownToolId}/execute`],
      ['POST', `/api/v1/tools/by-name/${MOLECULAR_WEIGHT}/execute`],
      ['GET', `/api/v1/tools/${ownToolId}/openai`],
      ['GET', `/api/v1/openai/functions`],
      ['POST', `/api/v1/execute-tool`],
      ['POST', `/mcp`],
    ];
    const origin = () => new URL(api()).origin;

    it('refuses every protected route without a key, with a wrong one or a malformed header: 401, the key never echoed', async () => {
      const wrongKey = `tsk_${'x'.repeat(43)}`;
      const attempts: [string, Record<string, string>, string | undefined][] = [
        ['no key', asClient(''), undefined],
        ['a wrong bearer key', asClient(wrongKey), wrongKey],
        ['a wrong X-API-Key', { authorization: '', 'x-api-key': wrongKey }, wrongKey],
        ['a malformed Authorization', { authorization: `Basic ${wrongKey}` }, wrongKey],
      ];
      for (const [method, route] of protectedRoutes()) {
        for (const [what, headers, sentKey] of attempts) {
          const answer = await request(`${origin()}${route}`, {
            method,
            headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
            ...(method === 'POST' ? { body: '{}' } : {}),
          });
          assertUnauthorized(answer, sentKey, `${method} ${route} with ${what}`);
        }
      }
      const tool = await stack().stores.tools.findById(new ObjectId(ownToolId));
      assert.equal(tool?.status, 'registered', 'nothing a refused request asked for happened');
    });

    it('keeps health, the OpenAPI document, the docs page and assets, and /metrics open', async () => {
      for (const route of ['/api/v1/health', '/openapi.json', '/docs', '/docs/assets/swagger-ui.css', '/metrics']) {
        const answer = await request(`${origin()}${route}`, { headers: asClient('') });
        assert.equal(answer.status, 200, `${route}: ${JSON.stringify(answer.body).slice(0, 200)}`);
      }
    });

    it('takes the key as Authorization: Bearer or as X-API-Key', async () => {
      assert.equal((await request(`${api()}/tools`, { headers: asClient(stack().apiKey) })).status, 200);
      const viaHeader = await request(`${api()}/tools`, {
        headers: { authorization: '', 'x-api-key': stack().apiKey },
      });
      assert.equal(viaHeader.status, 200, JSON.stringify(viaHeader.body));
    });

    it('creates, lists and revokes keys with the CLI; a revoked key is refused within the key cache time', async () => {
      const created = await keysCli(stack(), 'create', '--client', 'cli-client', '--json');
      assert.equal(created.code, 0, created.stderr);
      const { keyId, clientId, key } = JSON.parse(created.stdout);
      assert.equal(clientId, 'cli-client');
      assert.match(key, /^tsk_[A-Za-z0-9_-]{43}$/);
      assert.equal((await request(`${api()}/tools`, { headers: asClient(key) })).status, 200);

      const listed = await keysCli(stack(), 'list');
      assert.equal(listed.code, 0, listed.stderr);
      assert.match(listed.stdout, new RegExp(`${keyId}\\s+cli-client\\s+created \\S+\\s+active`));
      const listedJson = await keysCli(stack(), 'list', '--json');
      assert.ok(!listedJson.stdout.includes(key) && !listedJson.stdout.includes('hash'), 'never the key or its hash');
      assert.ok(JSON.parse(listedJson.stdout).some((entry: any) => entry.keyId === keyId && !entry.revokedAt));

      const revoked = await keysCli(stack(), 'revoke', keyId);
      assert.equal(revoked.code, 0, revoked.stderr);
      const revokedAt = Date.now();
      const { last } = await pollUntil(
        `${api()}/tools`,
        (answer) => answer.status === 401,
        KEY_CACHE_TTL_MS + 5_000,
        250,
        {
          headers: asClient(key),
        },
      );
      assert.ok(Date.now() - revokedAt <= KEY_CACHE_TTL_MS + 2_000, 'refused within the cache time');
      assertUnauthorized(last, key, 'the revoked key');
      assert.match((await keysCli(stack(), 'list')).stdout, new RegExp(`${keyId}\\s+cli-client\\s+.*revoked`));

      const unknown = await keysCli(stack(), 'revoke', 'key_0000000000000000');
      assert.equal(unknown.code, 1);
      assert.match(unknown.stderr, /KEY_NOT_FOUND/);
      const badClient = await keysCli(stack(), 'create', '--client', 'not a client id');
      assert.equal(badClient.code, 1);
      assert.match(badClient.stderr, /INVALID_ARGUMENTS/);
    });
  });

  describe('the key of `npm start`', () => {
    it('is made on the first run and kept (mode 600), reused later, and made again once revoked', async () => {
      const dir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-dev-key-'));
      const file = path.join(dir, 'dev-api-key');
      const ensure = () => ensureDevApiKey(stack().serviceEnv.MONGODB_URL!, stack().serviceEnv.MONGODB_DB_NAME!, file);
      try {
        const first = await ensure();
        assert.equal(first.created, true);
        assert.equal((await readFile(file, 'utf8')).trim(), first.key);
        assert.equal((await stat(file)).mode & 0o777, 0o600);
        const listed = await request(`${api()}/tools`, { headers: asClient(first.key) });
        assert.equal(listed.status, 200, 'the key works');

        assert.deepEqual(await ensure(), { key: first.key, created: false });

        const [summary] = (await stack().stores.apiKeys.list()).filter((key) => key.clientId === DEV_CLIENT_ID);
        await stack().stores.apiKeys.revoke(summary!.keyId);
        const renewed = await ensure();
        assert.equal(renewed.created, true);
        assert.notEqual(renewed.key, first.key);
        assert.equal((await readFile(file, 'utf8')).trim(), renewed.key);
        assert.equal((await stat(file)).mode & 0o777, 0o600);
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  });

  describe('tenancy: another client’s ids answer 404 exactly as unknown ones, listings show only the caller’s', () => {
    it('jobs: get, cancel, retry and events', async () => {
      for (const [method, suffix] of [
        ['GET', ''],
        ['POST', '/cancel'],
        ['POST', '/retry'],
      ] as const) {
        const foreign = await request(`${api()}/jobs/${ownJob.jobId}${suffix}`, { method, headers: asOther() });
        const unknown = await request(`${api()}/jobs/${UNKNOWN_JOB}${suffix}`, { method, headers: asOther() });
        sameErrorAnswer(foreign, unknown, `${method} /jobs/{id}${suffix}`);
        assert.equal(foreign.body.code, 'JOB_NOT_FOUND');
      }
      const events = await readEventStream(`${api()}/jobs/${ownJob.jobId}/events`, undefined, 10_000, asOther());
      assert.equal(events.status, 404);
      assert.deepEqual(events.events, []);
      assert.equal((await request(`${api()}/jobs/${ownJob.jobId}`)).status, 200, 'the owner still sees it');
    });

    it('the job list', async () => {
      const own = await request(`${api()}/jobs?clientId=${SHARED_LABEL}`);
      assert.deepEqual(
        own.body.jobs.map((job: any) => job.jobId),
        [ownJob.jobId],
      );
      const other = await request(`${api()}/jobs`, { headers: asOther() });
      assert.deepEqual(
        other.body.jobs.map((job: any) => job.jobId),
        [otherJob.jobId],
      );
    });

    it('sessions: the three session routes, and the listings by user and by status', async () => {
      for (const suffix of ['', '/tools', '/status']) {
        const foreign = await request(`${api()}/sessions/${ownSessionId}${suffix}`, { headers: asOther() });
        const unknown = await request(`${api()}/sessions/${UNKNOWN_ID}${suffix}`, { headers: asOther() });
        sameErrorAnswer(foreign, unknown, `/sessions/{id}${suffix}`);
      }
      const jobsOf = (answer: HttpAnswer) => answer.body.sessions.map((session: any) => session.jobId);
      // The label is the client's own: each client sees only its own sessions under it.
      assert.deepEqual(jobsOf(await request(`${api()}/sessions/user/${SHARED_LABEL}`)), [ownJob.jobId]);
      assert.deepEqual(jobsOf(await request(`${api()}/sessions/user/${SHARED_LABEL}`, { headers: asOther() })), [
        otherJob.jobId,
      ]);
      assert.deepEqual(jobsOf(await request(`${api()}/sessions/status/completed`, { headers: asOther() })), [
        otherJob.jobId,
      ]);
    });

    it('a session mirrored before tenants existed is the default client’s, its job answered from the mirror to it alone', async () => {
      const sessionId = new ObjectId();
      const jobId = `job_${new ObjectId().toHexString()}`;
      const at = new Date();
      // as an earlier version mirrored it: no tenant_id, and no workflow left in Temporal
      await stack()
        .mongo.db.collection('sessions')
        .insertOne({
          _id: sessionId,
          job_id: jobId,
          user_id: 'legacy-user',
          client_session_id: null,
          status: 'failed',
          job_status: 'failed',
          tool_ids: [],
          tool_requirements: [{ description: 'legacy', input: 'x', output: 'y' }],
          progress: { total: 1, completed: 0, failed: 1, in_progress: 0, current_tool: null },
          run_number: 0,
          tool_progress: [],
          failures: [],
          error: { code: 'AI_SERVICE_ERROR', message: 'legacy' },
          revision: 1,
          created_at: at,
          updated_at: at,
        });
      const asDefault = asClient(await stack().createApiKey(DEFAULT_TENANT));
      const session = await request(`${api()}/sessions/${sessionId.toHexString()}`, { headers: asDefault });
      assert.equal(session.status, 200, JSON.stringify(session.body));
      const job = await request(`${api()}/jobs/${jobId}`, { headers: asDefault });
      assert.equal(job.status, 200, JSON.stringify(job.body));
      assert.equal(job.headers.get('x-toolsmith-data-source'), 'mongodb-mirror');
      for (const route of [`/sessions/${sessionId.toHexString()}`, `/jobs/${jobId}`]) {
        assert.equal((await request(`${api()}${route}`, { headers: asOther() })).status, 404, route);
      }
    });

    it('tools: get, by name, deprecate, execute both ways, OpenAI definition, /execute-tool, and the listings', async () => {
      const ethanol = JSON.stringify({ input: { smiles: 'CCO' } });
      const handMade = misbehavingTools.raises.name;
      for (const [method, route, body] of [
        ['GET', `/tools/{id}`, undefined],
        ['POST', `/tools/{id}/deprecate`, undefined],
        ['POST', `/tools/{id}/execute`, ethanol],
        ['GET', `/tools/{id}/openai`, undefined],
      ] as const) {
        const init = (id: string) =>
          request(`${api()}${route.replace('{id}', id)}`, {
            method,
            headers: { ...asOther(), 'content-type': 'application/json' },
            body,
          });
        sameErrorAnswer(await init(handMadeToolId), await init(UNKNOWN_ID), `${method} ${route}`);
      }
      for (const [method, route, body] of [
        ['GET', `/tools/by-name/{name}`, undefined],
        ['POST', `/tools/by-name/{name}/execute`, JSON.stringify({ input: { reason: 'x' } })],
        ['POST', `/execute-tool`, JSON.stringify({ tool_name: '{name}', arguments: { reason: 'x' } })],
      ] as const) {
        const init = (name: string) =>
          request(`${api()}${route.replace('{name}', name)}`, {
            method,
            headers: { ...asOther(), 'content-type': 'application/json' },
            body: body?.replace('{name}', name),
          });
        sameErrorAnswer(await init(handMade), await init('no_such_tool'), `${method} ${route}`);
      }
      assert.equal((await stack().stores.tools.findById(new ObjectId(handMadeToolId)))?.status, 'registered');

      const listed = await request(`${api()}/tools`, { headers: asOther() });
      assert.deepEqual(
        listed.body.tools.map((tool: any) => tool.toolId),
        [otherJob.toolFiles[0].toolId],
      );
      const functions = await request(`${api()}/openai/functions`, { headers: asOther() });
      assert.deepEqual(
        functions.body.functions.map((fn: any) => fn.name),
        [MOLECULAR_WEIGHT],
      );
    });

    it('MCP: lists none of another client’s tools, and calling one fails', async () => {
      const client = new Client({ name: 'other-client', version: '1.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL('/mcp', api()), { requestInit: { headers: asOther() } }),
      );
      try {
        const { tools } = await client.listTools();
        assert.deepEqual(
          tools.map((tool) => tool.name),
          [MOLECULAR_WEIGHT],
          'its own molecular-weight tool only',
        );
        const call = await client
          .callTool({ name: misbehavingTools.raises.name, arguments: { reason: 'x' } })
          .then((result) => JSON.stringify(result))
          .catch((error: Error) => error.message);
        assert.match(call, /no registered tool named/);
        assert.doesNotMatch(call, /refusing/, 'the other client’s tool never ran');
      } finally {
        await client.close();
      }
    });

    it('tool names, versions and reuse are per client: the same requirement is another client’s own version 1', async () => {
      const own = await request(`${api()}/tools/${ownToolId}`);
      const other = await request(`${api()}/tools/${otherJob.toolFiles[0].toolId}`, { headers: asOther() });
      assert.equal(own.body.name, MOLECULAR_WEIGHT);
      assert.equal(other.body.name, MOLECULAR_WEIGHT);
      assert.equal(other.body.version, 1);
      assert.equal(own.body.version, 1);
      assert.notEqual(other.body.toolId, own.body.toolId, 'not answered with the first client’s tool');
      assert.equal(otherJob.summary.reused, 0);
      assert.match(other.body.filePath, /^tools\/other-client\/calculate_molecular_weight\/v1\//);
      assert.deepEqual(
        other.body.versions.map((version: any) => version.toolId),
        [other.body.toolId],
      );
    });
  });

  describe('Idempotency-Key on POST /jobs', () => {
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
      const answers = await Promise.all(
        [0, 1].map(() => postJson(`${api()}/jobs`, seed(), { 'idempotency-key': key })),
      );
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
});

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
