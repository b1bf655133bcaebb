import assert from 'node:assert/strict';
import { ObjectId } from 'mongodb';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { FINISHED, requirement } from '../../dev/jobs';
import { pollUntil, postJson, request } from '../../dev/http';
import { openApiDocument } from '../../api/openapi';
import { assertErrorResponse } from '../helpers/assertions';
import { startTestStack, type TestStack } from '../../dev/stack';
import { runningSessionMirror } from '../helpers/session-mirror';

const TEMPERATURE = 'Convert a temperature between Celsius, Fahrenheit and Kelvin.';
const MOLECULAR_WEIGHT = 'Calculate the molecular weight of a compound from SMILES.';
const LOTTERY = 'Predict the winning lottery numbers of the next draw.';

/** The documented fields, all of them and nothing else: the OpenAPI document is the contract here. */
const schemas = openApiDocument().components.schemas as Record<string, any>;
const SESSION_KEYS = Object.keys(schemas.Session.properties);
const TOOL_KEYS = Object.keys(schemas.SessionTools.properties.tools.items.properties);

const isoDate = (value: unknown) => typeof value === 'string' && new Date(value).toISOString() === value;

interface SubmittedJob {
  jobId: string;
  descriptions: string[];
  clientId?: string;
  clientSessionId?: string;
}

describe('the session endpoints (contract Part A), answered from the MongoDB mirror', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let api: string;
  /** in submission order, so the newest is last */
  const submitted: SubmittedJob[] = [];
  const sessionIdOf = new Map<string, string>();

  async function submit(job: Omit<SubmittedJob, 'jobId'>): Promise<void> {
    const metadata = {
      ...(job.clientId ? { clientId: job.clientId } : {}),
      ...(job.clientSessionId ? { sessionId: job.clientSessionId } : {}),
    };
    const created = await postJson(`${api}/jobs`, { toolRequirements: job.descriptions.map(requirement), metadata });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    submitted.push({ ...job, jobId: created.body.jobId });
  }

  /** GET all pages of a listing with the given page size; returns each page. */
  async function allPages(url: string, limit: number): Promise<any[]> {
    const pages: any[] = [];
    let cursor: string | null = null;
    do {
      const separator = url.includes('?') ? '&' : '?';
      const cursorParameter: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const answer = await request(`${url}${separator}limit=${limit}${cursorParameter}`);
      assert.equal(answer.status, 200, JSON.stringify(answer.body));
      assert.deepEqual(Object.keys(answer.body).sort(), ['nextCursor', 'sessions']);
      assert.ok(answer.body.sessions.length <= limit);
      pages.push(answer.body);
      cursor = answer.body.nextCursor;
      assert.ok(pages.length < 20, 'pagination ends');
    } while (cursor);
    return pages;
  }

  before(async () => {
    stack = await startTestStack({ script: catalogueScript(standardCatalogue) });
    api = stack.apiUrl;
    // One after the other, so each session is newer than the one before.
    await submit({ descriptions: [TEMPERATURE], clientId: 'alice' });
    await submit({
      descriptions: [LOTTERY, TEMPERATURE, MOLECULAR_WEIGHT],
      clientId: 'alice',
      clientSessionId: 'tab-7',
    });
    await submit({ descriptions: [MOLECULAR_WEIGHT], clientId: 'alice' });
    await submit({ descriptions: [TEMPERATURE], clientId: 'bob' });
    await submit({ descriptions: [MOLECULAR_WEIGHT] });
    for (const job of submitted) {
      await pollUntil(`${api}/jobs/${job.jobId}`, (answer) => FINISHED.includes(answer.body.status), 180_000, 200);
      // The job answer has no session id: a client finds it through the listings; the test reads the mirror.
      const session = await stack.stores.sessions.findByJobId(stack.clientId, job.jobId);
      assert.ok(session, `job ${job.jobId} was mirrored`);
      sessionIdOf.set(job.jobId, session._id.toHexString());
    }
    // The final mirror write happens before the workflow completes; give a straggler a moment anyway.
    await pollUntil(
      `${api}/sessions/status/completed?limit=100`,
      (answer) => answer.body.sessions?.length === submitted.length,
      10_000,
    );
  });
  after(async () => stack?.stop());

  const partlyFailed = () => submitted[1]!;

  it('GET /sessions/{session_id}: the session, camelCase, with per-tool progress, failures and error', async () => {
    const job = partlyFailed();
    const sessionId = sessionIdOf.get(job.jobId)!;
    const answer = await request(`${api}/sessions/${sessionId}`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const session = answer.body;
    assert.deepEqual(Object.keys(session).sort(), [...SESSION_KEYS].sort());
    assert.equal(session.sessionId, sessionId);
    assert.equal(session.jobId, job.jobId);
    assert.equal(session.userId, 'alice');
    assert.equal(session.clientSessionId, 'tab-7');
    assert.equal(session.status, 'completed');
    assert.equal(session.jobStatus, 'completed');
    assert.deepEqual(session.toolRequirements, job.descriptions.map(requirement));
    assert.deepEqual(session.progress, { total: 3, completed: 2, failed: 1, inProgress: 0, currentTool: null });
    assert.equal(session.toolIds.length, 3, 'the failed tool is kept and linked too');
    assert.ok(session.toolIds.every((id: string) => /^[0-9a-f]{24}$/.test(id)));
    assert.deepEqual(
      session.toolProgress.map((tool: any) => [tool.requirementIndex, tool.name, tool.stage]),
      [
        [0, 'predict_lottery_numbers', 'failed'],
        [1, 'convert_temperature', 'completed'],
        [2, 'calculate_molecular_weight', 'completed'],
      ],
    );
    for (const tool of session.toolProgress) {
      assert.deepEqual(Object.keys(tool).sort(), [
        'attempts',
        'error',
        'name',
        'requirementIndex',
        'reused',
        'stage',
        'toolId',
      ]);
      assert.ok(session.toolIds.includes(tool.toolId), `${tool.name}'s toolId is one of the session's tools`);
    }
    assert.equal(session.toolProgress[0].attempts, 1 + stack.config.generation.maxRepairRounds);
    assert.match(session.toolProgress[0].error, /failed validation/);
    assert.equal(session.toolProgress[1].error, null);
    assert.equal(session.failures.length, 1);
    assert.deepEqual(Object.keys(session.failures[0]).sort(), ['code', 'error', 'requirementIndex', 'toolRequirement']);
    assert.equal(session.failures[0].requirementIndex, 0);
    assert.equal(session.failures[0].code, 'VALIDATION_FAILED');
    assert.deepEqual(session.failures[0].toolRequirement, requirement(LOTTERY));
    assert.match(session.failures[0].error, /failed validation/);
    assert.equal(session.error, null);
    assert.ok(isoDate(session.createdAt) && isoDate(session.updatedAt));
    assert.ok(session.updatedAt >= session.createdAt);

    const stored = await stack.stores.sessions.findByJobId(stack.clientId, job.jobId);
    assert.equal(session.createdAt, stored!.created_at.toISOString());
    const storedTools = await stack.mongo.db.collection('tools').find({ session_id: stored!._id }).toArray();
    assert.deepEqual(
      [...session.toolIds].sort(),
      storedTools.map((tool) => tool._id.toHexString()).sort(),
      'toolIds are exactly the tools stored for the session',
    );
  });

  it('GET /sessions/{session_id}/tools: every tool of the session, registered and failed, in requirement order', async () => {
    const job = partlyFailed();
    const sessionId = sessionIdOf.get(job.jobId)!;
    const session = (await request(`${api}/sessions/${sessionId}`)).body;
    const answer = await request(`${api}/sessions/${sessionId}/tools`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(Object.keys(answer.body).sort(), ['sessionId', 'tools']);
    assert.equal(answer.body.sessionId, sessionId);
    const tools = answer.body.tools;
    for (const tool of tools) assert.deepEqual(Object.keys(tool).sort(), [...TOOL_KEYS].sort());
    assert.deepEqual(
      tools.map((tool: any) => [tool.name, tool.status, tool.registered]),
      [
        ['predict_lottery_numbers', 'failed', false],
        ['convert_temperature', 'registered', true],
        ['calculate_molecular_weight', 'registered', true],
      ],
    );
    assert.deepEqual(
      tools.map((tool: any) => tool.toolId),
      session.toolProgress.map((tool: any) => tool.toolId),
    );

    const [lottery, temperature, molecularWeight] = tools;
    assert.equal(lottery.fileName, 'predict_lottery_numbers.py');
    assert.match(lottery.filePath, /^tools\/test-client\/predict_lottery_numbers\/v\d+\/predict_lottery_numbers\.py$/);
    assert.match(lottery.code, /def predict_lottery_numbers\(/);
    assert.equal(lottery.errors.length, 1);
    assert.match(lottery.errors[0], /failed validation/);
    assert.deepEqual(temperature.errors, []);
    assert.deepEqual(temperature.dependencies, []);
    assert.deepEqual(molecularWeight.dependencies, ['rdkit']);
    assert.match(molecularWeight.code, /Descriptors\.MolWt/);
    assert.deepEqual(molecularWeight.inputSchema, {
      type: 'object',
      properties: { smiles: { type: 'string' } },
      required: ['smiles'],
    });
    assert.deepEqual(molecularWeight.outputSchema.required, ['molecular_weight']);
    assert.deepEqual(molecularWeight.testCases[0], {
      input: { smiles: 'CCO' },
      expectedOutput: { molecular_weight: 46.069 },
      tolerance: 0.01,
    });
    assert.deepEqual(temperature.testCases[0], {
      input: { value: 100, from_unit: 'C', to_unit: 'F' },
      expectedOutput: { value: 212, unit: 'F' },
      tolerance: 1e-6,
    });
    for (const tool of tools) {
      assert.ok(Number.isInteger(tool.version) && tool.version >= 1);
      assert.ok(isoDate(tool.createdAt) && isoDate(tool.updatedAt));
      assert.equal(typeof tool.description, 'string');
    }

    const stored = await stack.mongo.db
      .collection('tools')
      .findOne({ _id: new ObjectId(molecularWeight.toolId as string) });
    assert.equal(stored?.version, molecularWeight.version);
    assert.equal(stored?.code, molecularWeight.code);
  });

  it('GET /sessions/{session_id}/tools: a one-tool session lists just its tool', async () => {
    const job = submitted[0]!;
    const answer = await request(`${api}/sessions/${sessionIdOf.get(job.jobId)}/tools`);
    assert.equal(answer.status, 200);
    assert.deepEqual(
      answer.body.tools.map((tool: any) => tool.name),
      ['convert_temperature'],
    );
  });

  it('GET /sessions/{session_id}/status: status with per-tool workflow progress', async () => {
    const job = partlyFailed();
    const sessionId = sessionIdOf.get(job.jobId)!;
    const session = (await request(`${api}/sessions/${sessionId}`)).body;
    const answer = await request(`${api}/sessions/${sessionId}/status`);
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    const status = answer.body;
    assert.deepEqual(Object.keys(status).sort(), [
      'jobId',
      'jobStatus',
      'progress',
      'sessionId',
      'status',
      'tools',
      'updatedAt',
    ]);
    assert.equal(status.sessionId, sessionId);
    assert.equal(status.jobId, job.jobId);
    assert.equal(status.status, 'completed');
    assert.equal(status.jobStatus, 'completed');
    assert.deepEqual(status.progress, { total: 3, completed: 2, failed: 1, inProgress: 0, currentTool: null });
    assert.deepEqual(status.tools, session.toolProgress);
    assert.equal(status.updatedAt, session.updatedAt);
  });

  it("GET /sessions/user/{user_id}: the user's sessions, newest first, across pages without duplicates", async () => {
    const alice = submitted.filter((job) => job.clientId === 'alice').reverse();
    const pages = await allPages(`${api}/sessions/user/alice`, 2);
    assert.deepEqual(
      pages.map((page) => page.sessions.length),
      [2, 1],
    );
    assert.equal(pages.at(-1).nextCursor, null);
    const listed = pages.flatMap((page) => page.sessions);
    assert.deepEqual(
      listed.map((session: any) => session.jobId),
      alice.map((job) => job.jobId),
    );
    assert.equal(new Set(listed.map((session: any) => session.sessionId)).size, listed.length);
    for (const session of listed) {
      assert.deepEqual(Object.keys(session).sort(), [...SESSION_KEYS].sort());
      assert.equal(session.userId, 'alice');
    }
    const createdAt = listed.map((session: any) => session.createdAt);
    assert.deepEqual(createdAt, [...createdAt].sort().reverse());

    const byId = await request(`${api}/sessions/${sessionIdOf.get(alice[1]!.jobId)}`);
    assert.deepEqual(listed[1], byId.body, 'a listed session is the same view as the session itself');

    const everything = await request(`${api}/sessions/user/alice`);
    assert.equal(everything.body.sessions.length, 3, 'the default page size holds them all');
    assert.equal(everything.body.nextCursor, null);

    const bob = await request(`${api}/sessions/user/bob`);
    assert.deepEqual(
      bob.body.sessions.map((session: any) => session.jobId),
      [submitted[3]!.jobId],
    );
    const nobody = await request(`${api}/sessions/user/nobody-at-all`);
    assert.deepEqual(nobody.body, { sessions: [], nextCursor: null });
  });

  it('GET /sessions/user/{user_id}: a cursor can be followed again and gives the same page', async () => {
    const first = await request(`${api}/sessions/user/alice?limit=1`);
    const cursor = first.body.nextCursor as string;
    assert.equal(typeof cursor, 'string');
    const again = await request(`${api}/sessions/user/alice?limit=1&cursor=${encodeURIComponent(cursor)}`);
    const once = await request(`${api}/sessions/user/alice?limit=1&cursor=${encodeURIComponent(cursor)}`);
    assert.deepEqual(again.body, once.body);
    assert.equal(again.body.sessions[0].jobId, submitted[1]!.jobId);
  });

  it('GET /sessions/status/{status_value}: sessions in a status, newest first, paginated', async () => {
    const pages = await allPages(`${api}/sessions/status/completed`, 2);
    assert.deepEqual(
      pages.map((page) => page.sessions.length),
      [2, 2, 1],
    );
    const listed = pages.flatMap((page) => page.sessions);
    assert.deepEqual(
      listed.map((session: any) => session.jobId),
      [...submitted].reverse().map((job) => job.jobId),
    );
    assert.ok(listed.every((session: any) => session.status === 'completed'));
    const failed = await request(`${api}/sessions/status/failed`);
    assert.deepEqual(failed.body, { sessions: [], nextCursor: null });
    const exact = await request(`${api}/sessions/status/completed?limit=5`);
    assert.equal(exact.body.sessions.length, 5);
    assert.equal(exact.body.nextCursor, null, 'a page that happens to end the listing says so');
  });

  it('rejects a malformed session id with 400 naming session_id, on all three session endpoints', async () => {
    for (const suffix of ['', '/tools', '/status']) {
      for (const bad of ['abc', 'z'.repeat(24), 'a'.repeat(25), `${new ObjectId().toHexString()}0`, '%20'.repeat(24)]) {
        assertErrorResponse(await request(`${api}/sessions/${bad}${suffix}`), 400, 'INVALID_REQUEST', 'session_id');
      }
    }
  });

  it('answers an unknown session with 404 JOB_NOT_FOUND saying no session has that id', async () => {
    const unknown = new ObjectId().toHexString();
    for (const suffix of ['', '/tools', '/status']) {
      const answer = await request(`${api}/sessions/${unknown}${suffix}`);
      assertErrorResponse(answer, 404, 'JOB_NOT_FOUND');
      assert.match(answer.body.error, /no session/i);
      assert.ok(answer.body.error.includes(unknown));
    }
  });

  it('rejects a bad limit or cursor with 400 naming it, on both session listings', async () => {
    for (const listing of [`${api}/sessions/user/alice`, `${api}/sessions/status/completed`]) {
      for (const limit of ['0', '101', '-1', '1.5', 'ten', '', '2&limit=3']) {
        assertErrorResponse(await request(`${listing}?limit=${limit}`), 400, 'INVALID_REQUEST', 'limit');
      }
      const notCursors = [
        'garbage',
        Buffer.from('123:nothex').toString('base64url'),
        Buffer.from(`99999999999999999:${new ObjectId().toHexString()}`).toString('base64url'),
        'x'.repeat(500),
      ];
      for (const cursor of notCursors) {
        assertErrorResponse(await request(`${listing}?cursor=${cursor}`), 400, 'INVALID_REQUEST', 'cursor');
      }
      assertErrorResponse(await request(`${listing}?cursor=a&cursor=b`), 400, 'INVALID_REQUEST', 'cursor');
    }
  });

  it('rejects an unknown status and an over-long user id with 400 naming them', async () => {
    assertErrorResponse(await request(`${api}/sessions/status/notastatus`), 400, 'INVALID_REQUEST', 'status_value');
    assertErrorResponse(await request(`${api}/sessions/status/running`), 400, 'INVALID_REQUEST', 'status_value');
    assertErrorResponse(await request(`${api}/sessions/user/${'u'.repeat(201)}`), 400, 'INVALID_REQUEST', 'user_id');
    assert.equal((await request(`${api}/sessions/user/${'u'.repeat(200)}`)).status, 200);
  });

  it('pages through sessions created in the same millisecond by their id, none lost or repeated', async () => {
    const createdAt = new Date('2030-01-01T00:00:00.000Z');
    const sessionIds = Array.from({ length: 5 }, () => new ObjectId().toHexString());
    for (const [index, sessionId] of sessionIds.entries()) {
      await stack.stores.sessions.mirror(
        runningSessionMirror({
          jobId: `job_same_millisecond_${index}`,
          sessionId,
          tenantId: stack.clientId,
          userId: 'same-millisecond',
          toolRequirements: [requirement(TEMPERATURE)],
          createdAt,
          at: createdAt,
        }),
      );
    }
    const pages = await allPages(`${api}/sessions/user/same-millisecond`, 2);
    assert.deepEqual(
      pages.flatMap((page) => page.sessions.map((session: any) => session.sessionId)),
      [...sessionIds].sort().reverse(),
    );
    const planning = await allPages(`${api}/sessions/status/planning`, 2);
    assert.equal(planning.flatMap((page) => page.sessions).length, 5);
    await stack.mongo.db.collection('sessions').deleteMany({ user_id: 'same-millisecond' });
  });

  it('is in the OpenAPI document', async () => {
    const document = (await request(`${api.replace(/\/api\/v1$/, '')}/openapi.json`)).body;
    for (const path of [
      '/api/v1/sessions/{session_id}',
      '/api/v1/sessions/{session_id}/tools',
      '/api/v1/sessions/{session_id}/status',
      '/api/v1/sessions/user/{user_id}',
      '/api/v1/sessions/status/{status_value}',
    ]) {
      assert.ok(document.paths[path]?.get, `${path} is documented`);
    }
  });
});
