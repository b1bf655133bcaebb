import assert from 'node:assert/strict';
import { MongoClient, ObjectId, type CommandStartedEvent } from 'mongodb';
import { startMongoServer, type MongoServer } from '../../dev/stack';
import { createCallBudgetStore, CALL_BUDGETS_COLLECTION, type CallBudgetStore } from '../../store/call-budgets';
import { createMongo, ensureIndexes, type MongoHandle } from '../../store/mongo';
import { answerRequest, assertFails, gatewayUnderTest, toolContext } from './helpers';

/** The per-tool call budget in MongoDB (FerretDB here), and the gateway counting into it. */
describe('the call budget store: one counter per tool and run, by _id', function () {
  this.timeout(60_000);
  let server: MongoServer;
  let mongo: MongoHandle;
  let budgets: CallBudgetStore;

  before(async () => {
    server = await startMongoServer();
    mongo = createMongo(server.url, `toolsmith_call_budgets_${new ObjectId().toHexString()}`);
    await ensureIndexes(mongo.db);
    budgets = createCallBudgetStore(mongo.db);
  });
  after(async () => {
    await mongo?.close();
    await server?.kill();
  });

  it('counts each reservation and answers the count, per tool and per run', async () => {
    const tool = { jobId: 'job_budget', runId: 'run-a', requirementIndex: 0 };
    assert.equal(await budgets.used(tool), 0);
    assert.deepEqual(
      [await budgets.reserve(tool), await budgets.reserve(tool), await budgets.reserve(tool)],
      [1, 2, 3],
    );
    assert.equal(await budgets.used(tool), 3);
    assert.equal(await budgets.reserve({ ...tool, requirementIndex: 1 }), 1, 'another tool of the job');
    assert.equal(await budgets.reserve({ ...tool, runId: 'run-b' }), 1, 'the same tool in a retry of the job');
    assert.equal(await budgets.reserve({ ...tool, runId: null }), 1, 'a run not known');
    const stored = await mongo.db
      .collection(CALL_BUDGETS_COLLECTION)
      .findOne({ job_id: 'job_budget', run_id: 'run-a', requirement_index: 0 });
    assert.equal(stored?.calls, 3);
  });

  it('finds and updates the counter by _id only', async () => {
    const filters: Record<string, unknown>[] = [];
    const watched = new MongoClient(server.url, { monitorCommands: true });
    watched.on('commandStarted', (event: CommandStartedEvent) => {
      const command = event.command as Record<string, any>;
      if (command.query || command.filter) filters.push(command.query ?? command.filter);
    });
    try {
      const store = createCallBudgetStore(watched.db(mongo.db.databaseName));
      const tool = { jobId: 'job_by_id', runId: 'run-a', requirementIndex: 0 };
      await store.reserve(tool);
      await store.used(tool);
    } finally {
      await watched.close();
    }
    assert.equal(filters.length, 2);
    for (const filter of filters) assert.deepEqual(Object.keys(filter), ['_id']);
  });

  it('holds LLM_MAX_CALLS_PER_TOOL for the gateway across gateways (a retried activity on another worker)', async () => {
    const reserveCall = (context: ReturnType<typeof toolContext>) =>
      budgets.reserve({ jobId: context.jobId, runId: context.runId, requirementIndex: context.requirementIndex! });
    const context = { ...toolContext(), jobId: `job_${new ObjectId().toHexString()}` };
    const under = await gatewayUnderTest(() => ({ content: 'prose, no JSON' }), {
      settings: { reserveCall, maxCallsPerTool: 4, structuredOutput: 'json_object' },
    });
    try {
      await assert.rejects(under.gateway.completeStructured(answerRequest({ context })), /unusable 3 times/);
      assert.equal(under.model.calls.length, 3);
      const otherWorker = under.gatewayWith({ reserveCall, maxCallsPerTool: 4, structuredOutput: 'json_object' });
      await assertFails(otherWorker.completeStructured(answerRequest({ context })), {
        code: 'MODEL_CALL_BUDGET_EXCEEDED',
        retryable: false,
        message: /made its 4 model calls/,
      });
      assert.equal(under.model.calls.length, 4, 'one more call, the fourth; the fifth was not made');
      assert.equal(await budgets.used({ jobId: context.jobId, runId: context.runId, requirementIndex: 0 }), 5);
    } finally {
      await under.model.close();
    }
  });
});
