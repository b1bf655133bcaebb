import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { ObjectId } from 'mongodb';
import { createActivities, type Activities } from '../../activities';
import { loadConfig } from '../../config';
import { loadValidationReport } from '../../activities/validate';
import { toTestCaseViews } from '../../api/tool-views';
import { toImplementedTool, toolImplementationSchema, type ImplementedTool } from '../../llm/schemas';
import { createWorkerDependencies, type WorkerDependencies } from '../../worker/dependencies';
import {
  implementationReply,
  molecularWeightCode,
  molecularWeightDraftWithErrorTest,
  molecularWeightPlan,
} from '../../dev/canned-tools';
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

  describe('validateTool runs tests that expect an exception, and reports failures in full', () => {
    const validateDraft = async (draft: ImplementedTool) =>
      run(activities.validateTool, { functionName: 'calculate_molecular_weight', draftRef: await saveDraft(draft) });
    const report = (output: { reportRef?: string }) => {
      assert.ok(output.reportRef, 'a draft that did not pass has a report');
      return loadValidationReport(dependencies.activities.stores.artifacts, output.reportRef);
    };
    /** the canned draft with another code: its tests are the client's two examples, then the model's two */
    const withCode = (code: string): ImplementedTool => ({ ...molecularWeightDraftWithErrorTest, code });

    it("passes the molecular-weight draft whose acceptance example expects the seed's invalid-SMILES ValueError", async () => {
      assert.deepEqual(await validateDraft(molecularWeightDraftWithErrorTest), {
        verdict: 'passed',
        problems: [],
        testsRun: 4,
        testsPassed: 4,
      });
    });

    it('fails a tool that returns where the example expects the ValueError, and saves what happened', async () => {
      const lenient = molecularWeightCode.replace(
        '        raise ValueError(f"Invalid SMILES string: {smiles}")',
        '        return {"molecular_weight": 0.0}',
      );
      assert.notEqual(lenient, molecularWeightCode);
      const result = await validateDraft(withCode(lenient));
      assert.equal(result.verdict, 'wrong_values');
      assert.deepEqual(result.problems, [
        'acceptance example 2 (input {"smiles":"not-a-molecule"}): expected ValueError with a message containing "Invalid SMILES", but it returned {"molecular_weight":0} (the client\'s expected exception)',
      ]);
      assert.deepEqual([result.testsRun, result.testsPassed], [4, 3]);
      const saved = await report(result);
      assert.deepEqual(saved, {
        verdict: 'wrong_values',
        problems: result.problems,
        testsRun: 4,
        testsPassed: 3,
        schemaProblems: [],
        failedTests: [
          {
            name: 'acceptance example 2',
            source: 'client',
            input: { smiles: 'not-a-molecule' },
            expected: { raises: 'ValueError', match: 'Invalid SMILES' },
            outcome: 'no_exception',
            actualOutput: { molecular_weight: 0 },
            schemaViolations: [],
          },
        ],
      });
    });

    it('fails a tool that raises another exception, naming both', async () => {
      const wrong = molecularWeightCode.replace(
        'raise ValueError(f"Invalid SMILES',
        'raise TypeError(f"Invalid SMILES',
      );
      const result = await validateDraft(withCode(wrong));
      assert.equal(result.verdict, 'wrong_values');
      assert.match(
        result.problems[0]!,
        /^acceptance example 2 \(input .*\): expected ValueError with a message containing "Invalid SMILES", but it raised TypeError: Invalid SMILES string: not-a-molecule \(the client's expected exception\)$/,
      );
      const [failed] = (await report(result)).failedTests;
      assert.equal(failed?.outcome, 'wrong_exception');
      assert.equal(failed?.exception?.type, 'TypeError');
      assert.match(
        failed?.exception?.traceback ?? '',
        /generated_tool\.py", line \d+, in calculate_molecular_weight\n\s+raise TypeError/,
      );
    });

    it('saves a crash with its traceback, once per draft: a retried attempt gets the same report', async () => {
      const crashing =
        'def helper(smiles):\n    return {"molecular_weight": 1 / len(smiles[5:])}\n\n\ndef calculate_molecular_weight(smiles):\n    return helper(smiles)\n';
      const draftRef = await saveDraft(implementation(crashing));
      const input = { functionName: 'calculate_molecular_weight', draftRef };
      const first = await run(activities.validateTool, input);
      assert.equal(first.verdict, 'crashed');
      assert.deepEqual(first.problems, ['test 1 (input {"smiles":"CCO"}): raised ZeroDivisionError: division by zero']);
      const retried = await run(activities.validateTool, input);
      assert.deepEqual(retried, first);
      const saved = await report(first);
      assert.equal(saved.failedTests.length, 1);
      const [failed] = saved.failedTests;
      assert.deepEqual(
        { ...failed, exception: { ...failed!.exception, traceback: undefined } },
        {
          name: 'test 1',
          source: 'model',
          input: { smiles: 'CCO' },
          expected: { output: { molecular_weight: 46.069 }, tolerance: 0.01 },
          outcome: 'exception',
          exception: { type: 'ZeroDivisionError', message: 'division by zero', traceback: undefined },
          schemaViolations: [],
        },
      );
      assert.match(
        failed!.exception!.traceback,
        /^Traceback \(most recent call last\):\n {2}File "\/tmp\/tool\/generated_tool\.py", line 6, in calculate_molecular_weight\n\s+return helper\(smiles\)\n[\s\S]*line 2, in helper\n[\s\S]*ZeroDivisionError: division by zero$/,
      );
    });

    it("saves a module's load error with its traceback, and a schema violation with the test that broke it", async () => {
      const broken = await validateDraft(withCode('import no_such_module\n'));
      assert.equal(broken.verdict, 'crashed');
      const brokenReport = await report(broken);
      assert.deepEqual(brokenReport.failedTests, []);
      assert.equal(brokenReport.loadError?.type, 'ModuleNotFoundError');
      assert.match(brokenReport.loadError?.traceback ?? '', /line 1, in <module>\n\s+import no_such_module/);

      const stringly = 'def calculate_molecular_weight(smiles):\n    return {"molecular_weight": "46.07"}\n';
      const draftRef = await saveDraft({ ...implementation(stringly, { molecular_weight: '46.07' }) });
      const violated = await run(activities.validateTool, { functionName: 'calculate_molecular_weight', draftRef });
      assert.equal(violated.verdict, 'schema_violation');
      const [failed] = (await report(violated)).failedTests;
      assert.equal(failed?.outcome, 'pass');
      assert.deepEqual(failed?.actualOutput, { molecular_weight: '46.07' });
      assert.deepEqual(failed?.schemaViolations, [
        'the output does not fit the output schema: output.molecular_weight must be number',
      ]);
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

    it('keeps a test that expects an exception with raises and match, and no expected output', async () => {
      const input = {
        ...(await registration('job_register_test:raises', 'failed')),
        draftRef: await saveDraft(molecularWeightDraftWithErrorTest),
      };
      const stored = await run(activities.registerTool, input);
      const tool = await dependencies.activities.stores.tools.findById(new ObjectId(stored.toolId));
      assert.deepEqual(tool?.test_cases.slice(0, 2), [
        { input: { smiles: 'CCO' }, expected_output: { molecular_weight: 46.069 }, tolerance: 0.01, source: 'client' },
        {
          input: { smiles: 'not-a-molecule' },
          tolerance: 0,
          source: 'client',
          raises: 'ValueError',
          match: 'Invalid SMILES',
        },
      ]);
      assert.deepEqual(toTestCaseViews(tool!).slice(0, 3), [
        { input: { smiles: 'CCO' }, expectedOutput: { molecular_weight: 46.069 }, tolerance: 0.01, source: 'client' },
        { input: { smiles: 'not-a-molecule' }, source: 'client', raises: 'ValueError', match: 'Invalid SMILES' },
        { input: { smiles: 'CCO' }, expectedOutput: { molecular_weight: 46.069 }, tolerance: 0.01 },
      ]);
    });
  });
});
