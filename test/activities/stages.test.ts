import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ObjectId } from 'mongodb';
import { createActivities, type Activities } from '../../activities';
import { loadConfig } from '../../config';
import { toImplementedTool, toolImplementationSchema } from '../../llm/schemas';
import { createWorkerDependencies, type WorkerDependencies } from '../../worker/dependencies';
import { implementationReply, molecularWeightCode, molecularWeightPlan } from '../../dev/canned-tools';
import { provisionedTools, startMongoServer, type MongoServer } from '../../dev/stack';

function implementation(code: string, expected: unknown = { molecular_weight: 46.069 }) {
  return toImplementedTool(
    toolImplementationSchema.parse(
      implementationReply(code, [{ input: { smiles: 'CCO' }, expected, tolerance: 0.01 }]),
    ),
  );
}

describe('activities, run in a MockActivityEnvironment against the real sandbox and MongoDB', function () {
  this.timeout(180_000);
  let mongoServer: MongoServer;
  let dependencies: WorkerDependencies;
  let activities: Activities;
  let toolsDir: string;
  let drafts = 0;
  const environment = new MockActivityEnvironment();
  const run = <A extends (...args: any[]) => Promise<any>>(activity: A, ...args: Parameters<A>) =>
    environment.run(activity, ...args) as ReturnType<A>;

  const saveDraft = (content: unknown) => {
    drafts += 1;
    return dependencies.activities.stores.artifacts.save({
      jobId: 'job_activity_test',
      requirementIndex: 0,
      kind: 'implementation',
      key: `job_activity_test:0:implementation:${drafts}`,
      content,
    });
  };

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
    await dependencies?.close();
    await mongoServer?.kill();
    await rm(toolsDir, { recursive: true, force: true });
  });

  describe('validateTool tells a crash from a schema violation from a wrong value', () => {
    const validate = async (code: string, expected?: unknown, outputSchema?: object) => {
      const draft = implementation(code, expected);
      const draftRef = await saveDraft(outputSchema ? { ...draft, outputSchema } : draft);
      return run(activities.validateTool, { functionName: 'calculate_molecular_weight', draftRef });
    };

    it('passes code whose tests pass', async () => {
      assert.deepEqual(await validate(molecularWeightCode), {
        verdict: 'passed',
        problems: [],
        testsRun: 1,
        testsPassed: 1,
      });
    });

    it('reports a value mismatch as wrong_values, with expected and actual values', async () => {
      const result = await validate(molecularWeightCode, { molecular_weight: 12 });
      assert.equal(result.verdict, 'wrong_values');
      assert.match(
        result.problems[0]!,
        /value mismatch: expected \{"molecular_weight":12\}, got \{"molecular_weight":46\.06/,
      );
    });

    it('reports an exception as a crash, with its type and message', async () => {
      const result = await validate('def calculate_molecular_weight(smiles):\n    return 1 / 0\n');
      assert.equal(result.verdict, 'crashed');
      assert.match(result.problems[0]!, /raised ZeroDivisionError: division by zero/);
    });

    it('reports a module that does not load, and one without the planned function', async () => {
      const broken = await validate('def calculate_molecular_weight(smiles:\n');
      assert.equal(broken.verdict, 'crashed');
      assert.match(broken.problems[0]!, /does not load: SyntaxError/);
      const missing = await validate('def other(smiles):\n    return {}\n');
      assert.match(missing.problems[0]!, /no function named 'calculate_molecular_weight'/);
    });

    it('reports a value that is not JSON-serialisable as a crash', async () => {
      const result = await validate(
        'def calculate_molecular_weight(smiles):\n    return {"molecular_weight": {1, 2}}\n',
      );
      assert.equal(result.verdict, 'crashed');
      assert.match(result.problems[0]!, /not JSON-serialisable/);
    });

    it('reports output that does not fit the output schema as a schema violation', async () => {
      const result = await validate(
        'def calculate_molecular_weight(smiles):\n    return {"molecular_weight": "46.07"}\n',
        { molecular_weight: '46.07' },
      );
      assert.equal(result.verdict, 'schema_violation');
      assert.match(
        result.problems[0]!,
        /the output does not fit the output schema: output\.molecular_weight must be number/,
      );
    });
  });

  describe('validateTool holds the tests to the tool’s input schema', () => {
    it('reports a test whose input breaks the input schema as a schema violation, even when it passes', async () => {
      const draft = implementation(molecularWeightCode);
      const inputSchema = { type: 'object', properties: { smiles: { type: 'integer' } }, required: ['smiles'] };
      const draftRef = await saveDraft({ ...draft, inputSchema });
      const result = await run(activities.validateTool, { functionName: 'calculate_molecular_weight', draftRef });
      assert.equal(result.verdict, 'schema_violation');
      assert.match(
        result.problems[0]!,
        /^test 1 \(input .*\): the input does not fit the input schema: input\.smiles must be integer$/,
      );
    });

    it('reports an input schema that does not compile', async () => {
      const draftRef = await saveDraft({
        ...implementation(molecularWeightCode),
        inputSchema: { type: 'no-such-type' },
      });
      const result = await run(activities.validateTool, { functionName: 'calculate_molecular_weight', draftRef });
      assert.equal(result.verdict, 'schema_violation');
      assert.match(result.problems[0]!, /^the input JSON Schema itself is invalid/);
    });
  });

  describe('searchDocs', () => {
    it('finds the documentation of the installed RDKit for the plan and stores it by reference', async () => {
      const { docsRef, found } = await run(activities.searchDocs, {
        jobId: 'job_docs_test',
        workKey: 'job_docs_test',
        requirementIndex: 0,
        plan: molecularWeightPlan,
      });
      const docs = await dependencies.activities.stores.artifacts.load<{ name: string; doc: string }[]>(
        docsRef,
        'docs',
      );
      assert.equal(docs.length, found);
      const names = docs.map((doc) => doc.name);
      assert.ok(names.includes('rdkit.Chem.MolFromSmiles'), names.join(', '));
      assert.ok(names.includes('rdkit.Chem.Descriptors.MolWt'), names.join(', '));
    });

    it('fails with a non-retryable INSUFFICIENT_API_SPECS when a dependency has no relevant documentation', async () => {
      const plan = { ...molecularWeightPlan, docQueries: ['quantum flux capacitor calibration'] };
      await assert.rejects(
        run(activities.searchDocs, { jobId: 'job_docs_test', workKey: 'job_docs_test', requirementIndex: 1, plan }),
        (error: any) => {
          assert.equal(error.type, 'INSUFFICIENT_API_SPECS');
          assert.equal(error.nonRetryable, true);
          assert.match(error.message, /No relevant API documentation .* for rdkit/);
          return true;
        },
      );
    });
  });

  describe('registerTool', () => {
    const registration = async (key: string, status: 'registered' | 'failed') => ({
      idempotencyKey: key,
      jobId: 'job_register_test',
      sessionId: new ObjectId().toHexString(),
      requirementIndex: 0,
      requirement: { description: 'molecular weight', input: 'SMILES', output: 'weight' },
      plan: molecularWeightPlan,
      draftRef: await saveDraft(implementation(molecularWeightCode)),
      status,
      errors: status === 'failed' ? ['test 1: value mismatch'] : [],
    });

    it('registers once per idempotency key, writes the file and links the session', async () => {
      const input = await registration('job_register_test:0', 'registered');
      const first = await run(activities.registerTool, input);
      const retried = await run(activities.registerTool, input);
      assert.deepEqual(retried, first);
      const db = dependencies.mongo.db;
      assert.equal(await db.collection('tools').countDocuments({ idempotency_key: input.idempotencyKey }), 1);
      const tool = await dependencies.activities.stores.tools.findById(new ObjectId(first.toolId));
      assert.equal(tool?.status, 'registered');
      assert.equal(tool?.file_path, 'tools/default/calculate_molecular_weight/v1/calculate_molecular_weight.py');
      const file = path.join(toolsDir, 'default', 'calculate_molecular_weight', 'v1', 'calculate_molecular_weight.py');
      assert.equal(await readFile(file, 'utf8'), molecularWeightCode);
      const session = await db.collection('sessions').findOne({ _id: new ObjectId(input.sessionId) });
      assert.equal(session, null, 'linking never creates a session; the mirror does');
    });

    it('keeps a failed tool with its code and errors, versioned, without writing it to the tools directory', async () => {
      const versionDirs = () => readdir(path.join(toolsDir, 'default', 'calculate_molecular_weight'));
      const before = await versionDirs();
      const input = await registration('job_register_test:1', 'failed');
      const stored = await run(activities.registerTool, input);
      const tool = await dependencies.activities.stores.tools.findById(new ObjectId(stored.toolId));
      assert.equal(tool?.status, 'failed');
      assert.deepEqual(tool?.errors, ['test 1: value mismatch']);
      assert.equal(tool?.code, molecularWeightCode);
      assert.equal(stored.version, 2, 'second tool of that name');
      assert.deepEqual(await versionDirs(), before, 'no file for the failed version');
    });

    it('takes the next free version when the latest-version hint is stale or missing (the unique index decides)', async () => {
      const latestVersions = dependencies.mongo.db.collection('tool_versions');
      await latestVersions.updateMany({}, { $set: { latest: 1 } });
      const afterStale = await run(activities.registerTool, await registration('job_register_test:2', 'failed'));
      assert.equal(afterStale.version, 3, 'v2 was taken: the insert collided and the next was tried');
      await latestVersions.deleteMany({});
      const afterMissing = await run(activities.registerTool, await registration('job_register_test:3', 'failed'));
      assert.equal(afterMissing.version, 4, 'found among the tools once, as for names registered before the hints');
    });

    it('finds a tool stored under a random _id, before ids were derived from idempotency keys', async () => {
      const db = dependencies.mongo.db;
      const earlier = await db.collection('tools').findOne({ idempotency_key: 'job_register_test:1' });
      const legacyId = new ObjectId();
      await db
        .collection('tools')
        .insertOne({ ...earlier, _id: legacyId, idempotency_key: 'job_register_test:legacy', version: 99 });
      const retried = await run(activities.registerTool, await registration('job_register_test:legacy', 'failed'));
      assert.equal(retried.toolId, legacyId.toHexString());
    });
  });
});
