import assert from 'node:assert/strict';
import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { ObjectId } from 'mongodb';
import { DEFAULT_TENANT } from '../../store/documents';
import {
  MOLECULAR_WEIGHT,
  runLabelledJob,
  runOwnJob,
  SHARED_LABEL,
  useOtherClient,
  type OwnJob,
} from '../helpers/clients';
import { molecularWeightScript } from '../../dev/canned-tools';
import { asClient, request, type HttpAnswer } from '../../dev/http';
import { misbehavingTools, registerHandMadeTool } from '../../dev/registered-tools';
import { readEventStream } from '../helpers/sse';
import { useTestStack } from '../../dev/stack';

const UNKNOWN_JOB = 'job_000000000000000000000000';
const UNKNOWN_ID = '000000000000000000000000';

/** The same answer, body for body, apart from what differs per request. */
function sameErrorAnswer(foreign: HttpAnswer, unknown: HttpAnswer, what: string): void {
  const shape = (answer: HttpAnswer) => ({ status: answer.status, code: answer.body.code });
  assert.deepEqual(shape(foreign), shape(unknown), `${what}: ${JSON.stringify(foreign.body)}`);
  assert.equal(foreign.status, 404, `${what}: ${JSON.stringify(foreign.body)}`);
}

describe('tenancy: another client’s ids answer 404 exactly as unknown ones, listings show only the caller’s', function () {
  this.timeout(300_000);
  const stack = useTestStack(molecularWeightScript());
  const asOther = useOtherClient(stack);
  let mine: OwnJob;
  let otherJob: any;
  let handMadeToolId: string;

  const api = () => stack().apiUrl;

  before(async () => {
    mine = await runOwnJob(stack());
    handMadeToolId = (await registerHandMadeTool(stack(), misbehavingTools.raises))._id.toHexString();
    otherJob = await runLabelledJob(stack(), asOther());
  });

  it('jobs: get, cancel, retry and events', async () => {
    for (const [method, suffix] of [
      ['GET', ''],
      ['POST', '/cancel'],
      ['POST', '/retry'],
    ] as const) {
      const foreign = await request(`${api()}/jobs/${mine.job.jobId}${suffix}`, { method, headers: asOther() });
      const unknown = await request(`${api()}/jobs/${UNKNOWN_JOB}${suffix}`, { method, headers: asOther() });
      sameErrorAnswer(foreign, unknown, `${method} /jobs/{id}${suffix}`);
      assert.equal(foreign.body.code, 'JOB_NOT_FOUND');
    }
    const events = await readEventStream(`${api()}/jobs/${mine.job.jobId}/events`, undefined, 10_000, asOther());
    assert.equal(events.status, 404);
    assert.deepEqual(events.events, []);
    assert.equal((await request(`${api()}/jobs/${mine.job.jobId}`)).status, 200, 'the owner still sees it');
  });

  it('the job list', async () => {
    const own = await request(`${api()}/jobs?clientId=${SHARED_LABEL}`);
    assert.deepEqual(
      own.body.jobs.map((job: any) => job.jobId),
      [mine.job.jobId],
    );
    const other = await request(`${api()}/jobs`, { headers: asOther() });
    assert.deepEqual(
      other.body.jobs.map((job: any) => job.jobId),
      [otherJob.jobId],
    );
  });

  it('sessions: the three session routes, and the listings by user and by status', async () => {
    for (const suffix of ['', '/tools', '/status']) {
      const foreign = await request(`${api()}/sessions/${mine.sessionId}${suffix}`, { headers: asOther() });
      const unknown = await request(`${api()}/sessions/${UNKNOWN_ID}${suffix}`, { headers: asOther() });
      sameErrorAnswer(foreign, unknown, `/sessions/{id}${suffix}`);
    }
    const jobsOf = (answer: HttpAnswer) => answer.body.sessions.map((session: any) => session.jobId);
    // The label is the client's own: each client sees only its own sessions under it.
    assert.deepEqual(jobsOf(await request(`${api()}/sessions/user/${SHARED_LABEL}`)), [mine.job.jobId]);
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
    const own = await request(`${api()}/tools/${mine.toolId}`);
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
