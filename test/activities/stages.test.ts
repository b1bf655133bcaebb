import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ObjectId } from 'mongodb';
import { createActivities, type Activities } from '../../activities';
import { loadConfig } from '../../config';
import { createWorkerDependencies, type WorkerDependencies } from '../../worker/dependencies';
import {
  implementationReply,
  molecularWeightCode,
  molecularWeightImplementation,
  molecularWeightPlan,
} from '../helpers/canned-tools';
import { startMongoServer, provisionedTools, type MongoServer } from '../helpers/stack';
import { toImplementedTool, toolImplementationSchema } from '../../llm/schemas';

function implementation(code: string, expected: unknown = { molecular_weight: 46.069 }) {
  return toImplementedTool(
    toolImplementationSchema.parse(
      implementationReply(code, [{ input: { smiles: 'CCO' }, expected, tolerance: 0.01 }]),
    ),
  );
}

describe('activities, run in a MockActivityEnvironment against the real sandbox and MongoDB', function () {
  this.timeout(120_000);
  let mongoServer: MongoServer;
  let dependencies: WorkerDependencies;
  let activities: Activities;
  let toolsDir: string;
  const environment = new MockActivityEnvironment();
  const run = <A extends (...args: any[]) => Promise<any>>(activity: A, ...args: Parameters<A>) =>
    environment.run(activity, ...args) as ReturnType<A>;

  before(async () => {
    const tools = await provisionedTools();
    mongoServer = await startMongoServer();
    toolsDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-tools-'));
    dependencies = await createWorkerDependencies(
      loadConfig({
        MONGODB_URL: mongoServer.url,
        MONGODB_DB_NAME: `toolsmith_activities_${new ObjectId().toHexString()}`,
        TOOL_RUNTIME_DIR: tools.toolRuntime.venvDir,
        BWRAP_PATH: tools.bwrapPath,
        TOOLS_DIR: toolsDir,
      }),
    );
    activities = createActivities(dependencies.activities);
  });
  after(async () => {
    await dependencies?.mongo.close();
    await mongoServer?.kill();
    await rm(toolsDir, { recursive: true, force: true });
  });

  describe('validateTool', () => {
    const validate = (code: string, expected?: unknown) =>
      run(activities.validateTool, {
        functionName: 'calculate_molecular_weight',
        implementation: implementation(code, expected),
      });

    it('passes code whose tests pass', async () => {
      const result = await validate(molecularWeightCode);
      assert.deepEqual(result, { passed: true, problems: [], testsRun: 1, testsPassed: 1 });
    });

    it('reports a value mismatch as such, with expected and actual values', async () => {
      const result = await validate(molecularWeightCode, { molecular_weight: 12 });
      assert.equal(result.passed, false);
      assert.match(
        result.problems[0]!,
        /value mismatch: expected \{"molecular_weight":12\}, got \{"molecular_weight":46\.06/,
      );
    });

    it('reports an exception with its type and message', async () => {
      const result = await validate('def calculate_molecular_weight(smiles):\n    return 1 / 0\n');
      assert.equal(result.passed, false);
      assert.match(result.problems[0]!, /raised ZeroDivisionError: division by zero/);
    });

    it('reports a module that does not load, and one without the planned function', async () => {
      const broken = await validate('def calculate_molecular_weight(smiles:\n');
      assert.match(broken.problems[0]!, /does not load: SyntaxError/);
      const missing = await validate('def other(smiles):\n    return {}\n');
      assert.match(
        missing.problems[0]!,
        /does not load: AttributeError: the module defines no function named 'calculate_molecular_weight'/,
      );
    });

    it('reports a value that is not JSON-serialisable', async () => {
      const result = await validate(
        'def calculate_molecular_weight(smiles):\n    return {"molecular_weight": {1, 2}}\n',
      );
      assert.match(result.problems[0]!, /not JSON-serialisable/);
    });

    it('stops code that loops forever at the wall-time limit', async () => {
      const sandbox = dependencies.activities.sandbox;
      const outcome = await sandbox.request(
        { mode: 'call', source: 'def f():\n    while True: pass\n', functionName: 'f', input: {} },
        { wallTimeMs: 2_000 },
      );
      assert.equal(outcome.ok, false);
      assert.match(outcome.ok ? '' : outcome.problem, /wall-time limit/);
    });
  });

  describe('searchDocs', () => {
    it('answers the plan queries with signatures and docstrings from the installed RDKit', async () => {
      const { docs } = await run(activities.searchDocs, { plan: molecularWeightPlan });
      assert.deepEqual(
        docs.map((doc) => doc.name),
        ['rdkit.Chem.MolFromSmiles', 'rdkit.Chem.Descriptors.MolWt'],
      );
      assert.ok(docs.every((doc) => doc.doc.length > 0));
    });
  });

  describe('registerTool', () => {
    it('registers once per idempotency key, writes the file and links the session', async () => {
      const sessionId = new ObjectId().toHexString();
      const input = {
        idempotencyKey: `job_register_test:0`,
        jobId: 'job_register_test',
        sessionId,
        requirementIndex: 0,
        requirement: { description: 'molecular weight', input: 'SMILES', output: 'weight' },
        plan: molecularWeightPlan,
        implementation: toImplementedTool(toolImplementationSchema.parse(molecularWeightImplementation)),
      };
      const first = await run(activities.registerTool, input);
      const retried = await run(activities.registerTool, input);
      assert.deepEqual(retried, first);
      const stored = await dependencies.activities.stores.tools.findByIds([new ObjectId(first.toolId)]);
      assert.equal(stored.length, 1);
      const db = dependencies.mongo.db;
      assert.equal(await db.collection('tools').countDocuments({ idempotency_key: input.idempotencyKey }), 1);
      assert.equal(await readFile(path.join(toolsDir, 'calculate_molecular_weight.py'), 'utf8'), molecularWeightCode);
    });
  });
});
