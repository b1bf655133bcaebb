import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { MongoClient, MongoNetworkError, MongoServerError, ObjectId, type CommandStartedEvent } from 'mongodb';
import { createStores, type Stores } from '../../store';
import type { AgentSessionDocument } from '../../store/documents';
import { newJobIds, sessionIdOfJob } from '../../store/ids';
import type { NewTool } from '../../store/tools';
import { isTransientDatabaseError } from '../../store/errors';
import { createMongo, ensureIndexes, type MongoHandle } from '../../store/mongo';
import { runningSessionMirror } from '../helpers/session-mirror';
import { startMongoServer, type MongoServer } from '../../dev/stack';

/**
 * FerretDB's SQLite backend uses an index for `_id` only, so the hot paths address documents by
 * `_id`; records written before that (under other ids) must still be found.
 */
describe('store: the hot paths go by _id, and still find older records', function () {
  this.timeout(60_000);
  let server: MongoServer;
  let mongo: MongoHandle;
  let stores: Stores;

  before(async () => {
    server = await startMongoServer();
    mongo = createMongo(server.url, `toolsmith_by_id_${new ObjectId().toHexString()}`);
    await ensureIndexes(mongo.db);
    stores = createStores(mongo.db);
  });
  after(async () => {
    await mongo?.close();
    await server?.kill();
  });

  const mirror = (jobId: string, sessionId: string, revision: number) =>
    runningSessionMirror({ jobId, sessionId, tenantId: 'default', revision });

  it("gives a new job's session its id's ObjectId, and finds it by job id; an older session too", async () => {
    const { jobId, sessionId } = newJobIds();
    assert.deepEqual(sessionIdOfJob(jobId), sessionId);
    assert.equal(await stores.sessions.mirror(mirror(jobId, sessionId.toHexString(), 1)), 'written');
    assert.equal((await stores.sessions.findByJobId('default', jobId))?._id.toHexString(), sessionId.toHexString());

    const olderJob = `job_${new ObjectId().toHexString()}`;
    const olderSession = new ObjectId().toHexString();
    await stores.sessions.mirror(mirror(olderJob, olderSession, 1));
    assert.equal((await stores.sessions.findByJobId('default', olderJob))?._id.toHexString(), olderSession);
  });

  it('keeps the newest revision: a late, older mirror write is stale', async () => {
    const { jobId, sessionId } = newJobIds();
    assert.equal(await stores.sessions.mirror(mirror(jobId, sessionId.toHexString(), 5)), 'written');
    assert.equal(await stores.sessions.mirror(mirror(jobId, sessionId.toHexString(), 4)), 'stale');
    assert.equal((await stores.sessions.findByJobId('default', jobId))?.revision, 5);
  });

  it('keeps the newest of many overlapping mirror writes of one session (FerretDB would lose some)', async () => {
    const { jobId, sessionId } = newJobIds();
    const revisions = Array.from({ length: 30 }, (_, index) => index + 1).sort(() => Math.random() - 0.5);
    await Promise.all(
      revisions.map((revision) => stores.sessions.mirror(mirror(jobId, sessionId.toHexString(), revision))),
    );
    assert.equal((await stores.sessions.findByJobId('default', jobId))?.revision, 30);
  });

  it("restores a run's final write when an older one lands after it (a write queued from a killed worker)", async () => {
    const { jobId, sessionId } = newJobIds();
    await stores.sessions.mirror(mirror(jobId, sessionId.toHexString(), 1));
    await stores.sessions.mirror({
      ...mirror(jobId, sessionId.toHexString(), 2),
      jobStatus: 'completed',
      status: 'completed',
    });
    await sleep(200);
    // What FerretDB's read-modify-write lets an update that read before the final write do.
    await mongo.db
      .collection('sessions')
      .updateOne({ _id: sessionId }, { $set: { revision: 1, job_status: 'running', status: 'planning' } });
    await sleep(1_500);
    const session = await stores.sessions.findByJobId('default', jobId);
    assert.deepEqual([session?.revision, session?.job_status], [2, 'completed']);
  });

  it('tells a database that is busy or gone from one that refused the request', () => {
    const locked = '[collection.go:135 sqlite.(*collection).InsertAll.func1] database is locked (5) (SQLITE_BUSY)';
    assert.equal(isTransientDatabaseError(new MongoServerError({ message: locked })), true);
    assert.equal(isTransientDatabaseError(new MongoNetworkError('connection 1 to 127.0.0.1:27017 closed')), true);
    assert.equal(
      isTransientDatabaseError(new MongoServerError({ message: 'E11000 duplicate key error', code: 11000 })),
      false,
    );
    assert.equal(isTransientDatabaseError(new Error('database is locked')), false);
  });

  it("saves an artifact once per key, and a retry gets the first one's id, even one saved under a random _id", async () => {
    const artifact = { jobId: 'job_x', requirementIndex: 0, kind: 'docs' as const, key: 'job_x:0:docs', content: [1] };
    const first = await stores.artifacts.save(artifact);
    assert.equal(await stores.artifacts.save({ ...artifact, content: [2] }), first);
    assert.deepEqual(await stores.artifacts.load(first, 'docs'), [1]);

    const legacyId = new ObjectId();
    await mongo.db
      .collection('artifacts')
      .insertOne({ _id: legacyId, job_id: 'job_x', requirement_index: 1, kind: 'docs', key: 'legacy', content: [3] });
    assert.equal(await stores.artifacts.save({ ...artifact, key: 'legacy' }), legacyId.toHexString());
  });

  it("adds up what each requirement's answered calls cost, per run and for the whole job", async () => {
    const call = (requirementIndex: number, runId: string, answered = true): Omit<AgentSessionDocument, '_id'> => ({
      job_id: 'job_usage',
      run_id: runId,
      requirement_index: requirementIndex,
      step: 'plan',
      model: 'm',
      request: {},
      response: answered ? { ok: true } : null,
      error: answered ? null : 'HTTP 429',
      usage: answered ? { prompt_tokens: 100, completion_tokens: 50, total_tokens: 150 } : null,
      latency_ms: 1,
      created_at: new Date(),
    });
    for (const recorded of [
      call(0, 'run-a'),
      call(0, 'run-a'),
      call(0, 'run-a', false),
      call(0, 'run-b'),
      call(1, 'run-b'),
    ])
      await stores.agentSessions.record(recorded);

    const usage = (calls: number) => ({ calls, prompt_tokens: 100 * calls, completion_tokens: 50 * calls });
    assert.deepEqual(
      await stores.agentSessions.usage({ jobId: 'job_usage', requirementIndex: 0, runId: 'run-a' }),
      usage(2),
    );
    assert.deepEqual(await stores.agentSessions.usage({ jobId: 'job_usage', requirementIndex: 0 }), usage(3));
    assert.deepEqual(await stores.agentSessions.usage({ jobId: 'job_usage', requirementCount: 2 }), usage(4));
    assert.deepEqual(await stores.agentSessions.usage({ jobId: 'job_usage', requirementCount: 3 }), usage(4));
    assert.equal(
      (await stores.agentSessions.findByJobId('job_usage')).length,
      5,
      'every call, refused too, in the audit trail',
    );
  });

  it('asks by _id on the paths a job and a GET take, and still checks tenant, kind and status', async () => {
    const filters: { command: string; collection: string; filter: Record<string, unknown> }[] = [];
    const watched = new MongoClient(server.url, { monitorCommands: true });
    watched.on('commandStarted', (event: CommandStartedEvent) => {
      const command = event.command as Record<string, any>;
      for (const filter of [command.filter, ...(command.updates ?? []).map((update: { q: unknown }) => update.q)])
        if (filter) filters.push({ command: event.commandName, collection: command[event.commandName], filter });
    });
    try {
      const watchedStores = createStores(watched.db(mongo.db.databaseName));
      const { jobId, sessionId } = newJobIds();
      const artifact = await watchedStores.artifacts.save({
        jobId,
        requirementIndex: 0,
        kind: 'implementation',
        key: `${jobId}:0:implementation`,
        content: { code: 'x = 1' },
      });
      assert.deepEqual(await watchedStores.artifacts.load(artifact, 'implementation'), { code: 'x = 1' });
      await assert.rejects(watchedStores.artifacts.load(artifact, 'docs'), /artifact docs .* is missing/);

      const draft = await watchedStores.tools.registerOnce(handMadeTool(jobId, sessionId), new Date(), () => 'f.py');
      assert.equal((await watchedStores.tools.markRegistered(draft._id, new Date()))?.status, 'registered');
      assert.equal((await watchedStores.tools.findOwned('tenant-a', draft._id))?.name, 'by_id_tool');
      assert.equal(await watchedStores.tools.findOwned('tenant-b', draft._id), null);
      assert.deepEqual(
        (await watchedStores.tools.findByIds([draft._id, draft._id, new ObjectId()])).map((tool) => tool._id),
        [draft._id],
      );
      assert.equal(await watchedStores.tools.deprecate('tenant-b', draft._id, new Date()), null);
      assert.equal((await watchedStores.tools.deprecate('tenant-a', draft._id, new Date()))?.status, 'deprecated');
      assert.equal((await watchedStores.tools.markRegistered(draft._id, new Date()))?.status, 'deprecated');

      const state = { ...mirror(jobId, sessionId.toHexString(), 1), tenantId: 'tenant-a' };
      assert.equal(await watchedStores.sessions.mirror(state), 'written');
      assert.equal(await watchedStores.sessions.mirror(state), 'stale');
      assert.equal((await watchedStores.sessions.findByJobId('tenant-a', jobId))?.revision, 1);
      assert.equal(await watchedStores.sessions.findByJobId('tenant-b', jobId), null);
      assert.equal(await watchedStores.sessions.findByJobId('tenant-a', `job_${new ObjectId().toHexString()}`), null);
      assert.equal((await watchedStores.sessions.findById('tenant-a', sessionId))?.job_id, jobId);
      assert.equal(await watchedStores.sessions.findById('tenant-b', sessionId), null);
    } finally {
      await watched.close();
    }
    // FerretDB, as built here, finds the document through its _id index whatever else is asked
    const byId = (filter: Record<string, unknown>) => filter._id instanceof ObjectId;
    // Asked by other fields: a session made before job ids held its ObjectId (not found by _id), and
    // the newest version of a name that has no latest-version hint yet (its first registration).
    const legacyLookup = (entry: (typeof filters)[number]) =>
      (entry.collection === 'sessions' && Object.keys(entry.filter).join() === 'job_id,tenant_id') ||
      (entry.collection === 'tools' && Object.keys(entry.filter).sort().join() === 'name,tenant_id');
    assert.deepEqual(
      filters.filter((entry) => !byId(entry.filter) && !legacyLookup(entry)),
      [],
    );
    assert.ok(filters.length >= 15, `${filters.length} filters seen`);
  });

  it('is answered through the _id index (FerretDB as built here; its release scans the collection)', async () => {
    const collection = mongo.db.collection('explained');
    const _id = new ObjectId();
    await collection.insertMany([{ _id }, ...Array.from({ length: 20 }, () => ({ _id: new ObjectId() }))]);
    // with another condition beside it too: a conditional write's filter
    for (const filter of [{ _id }, { _id, revision: { $lt: 3 } }]) {
      const plan = JSON.stringify((await collection.find(filter).explain()).queryPlanner);
      // SQLite's plan on FerretDB; IDHACK or an index scan on MongoDB
      assert.match(plan, /USING INDEX|IDHACK|IXSCAN/, plan);
      assert.doesNotMatch(plan, /detail=SCAN |COLLSCAN/, plan);
    }
  });
});

function handMadeTool(jobId: string, sessionId: ObjectId): NewTool {
  return {
    tenant_id: 'tenant-a',
    name: 'by_id_tool',
    file_name: 'by_id_tool.py',
    description: 'A tool stored by the by-id test.',
    code: 'def by_id_tool() -> dict:\n    return {}\n',
    input_schema: { type: 'object', properties: {} },
    output_schema: {},
    dependencies: [],
    test_cases: [],
    status: 'draft',
    errors: [],
    session_id: sessionId,
    job_id: jobId,
    requirement_index: 0,
    requirement: { description: 'by id', input: 'nothing', output: 'nothing' },
    idempotency_key: `by-id:${jobId}`,
  };
}
