import assert from 'node:assert/strict';
import type { TestCase } from '../../contract';
import type { SandboxSettings } from '../../sandbox/host';
import { createSandboxPool } from '../../sandbox/pool';
import { runToolTests, type SandboxRunner, type TestRunReply } from '../../sandbox/protocol';
import { createSandbox } from '../../sandbox/runner';
import { molecularWeightDraftWithErrorTest } from '../../dev/canned-tools';
import { provisionedTools } from '../../dev/stack';
import { ATTACK_LIMITS, problemOf } from '../helpers/sandbox-attacks';

/**
 * How the harness judges a test run (issue 18): tests that expect an exception (`raises`, `match`),
 * and the trimmed tracebacks a repair reads. Run against the cold runner and the warm pool, which
 * share the harness.
 */

const RUNNERS: { name: string; create(settings: SandboxSettings): SandboxRunner & { close(): Promise<void> } }[] = [
  { name: 'the cold runner', create: (settings) => ({ ...createSandbox(settings), close: async () => undefined }) },
  {
    name: 'the warm pool',
    create: (settings) => createSandboxPool({ ...settings, size: 1, minWarm: 1, queueTimeoutMs: 30_000 }),
  },
];

/** A tool `f(kind)` that fails in the ways the cases need, with a helper so tracebacks have depth. */
const TOOL = `import json


class UnitError(ValueError):
    """A subclass: a test expecting ValueError accepts it."""


def parse(text):
    return json.loads(text)


def f(kind):
    if kind == "value":
        raise ValueError("bad value: -1")
    if kind == "unit":
        raise UnitError("unknown unit: furlong")
    if kind == "json":
        return parse("{")
    if kind == "chained":
        try:
            parse("{")
        except ValueError as error:
            raise RuntimeError("could not read the input") from error
    if kind == "deep":
        return f("deep")
    if kind == "set":
        return {1, 2}
    return {"kind": kind}
`;

const raises = (kind: string, name: string, match?: string): TestCase => ({
  input: { kind },
  tolerance: 0,
  raises: name,
  ...(match === undefined ? {} : { match }),
});
const returns = (kind: string, expectedOutput: unknown): TestCase => ({
  input: { kind },
  expectedOutput,
  tolerance: 0,
});

for (const runnerKind of RUNNERS) {
  describe(`sandbox test runs, against ${runnerKind.name}`, function () {
    this.timeout(120_000);
    let runner: SandboxRunner & { close(): Promise<void> };
    const run = async (testCases: TestCase[], code = TOOL, functionName = 'f'): Promise<TestRunReply> => {
      const outcome = await runToolTests(runner, code, functionName, testCases);
      assert.ok(outcome.ok, problemOf(outcome));
      return outcome.reply;
    };

    before(async () => {
      const tools = await provisionedTools();
      runner = runnerKind.create({
        runtimeDir: tools.toolRuntime.venvDir,
        bwrapPath: tools.bwrapPath,
        limits: ATTACK_LIMITS,
      });
    });
    after(async () => runner?.close());

    it("passes the molecular-weight draft whose acceptance example expects the seed's invalid-SMILES ValueError", async () => {
      const draft = molecularWeightDraftWithErrorTest;
      assert.deepEqual(
        draft.testCases.map((testCase) => testCase.raises ?? null),
        [null, 'ValueError', null, null],
      );
      const reply = await run(draft.testCases, draft.code, 'calculate_molecular_weight');
      assert.equal(reply.loaded, true);
      assert.deepEqual(
        reply.results.map((result) => [result.index, result.outcome]),
        [
          [0, 'pass'],
          [1, 'pass'],
          [2, 'pass'],
          [3, 'pass'],
        ],
      );
    });

    it('accepts the exception named, a subclass of it, a base class, a dotted name by its last part, and a matching message', async () => {
      const reply = await run([
        raises('value', 'ValueError'),
        raises('unit', 'ValueError'),
        raises('unit', 'UnitError', 'furlong'),
        raises('value', 'Exception', 'bad value'),
        raises('json', 'json.JSONDecodeError'),
        raises('json', 'ValueError', 'Expecting property name'),
        raises('chained', 'RuntimeError', 'could not read'),
      ]);
      assert.deepEqual(
        reply.results.map((result) => result.outcome),
        Array(7).fill('pass'),
      );
      assert.ok(reply.results.every((result) => result.error === undefined && result.actual === undefined));
    });

    it('fails a test that raises another exception, or one without the expected message, naming what it raised', async () => {
      const reply = await run([
        raises('value', 'TypeError'),
        raises('value', 'ValueError', 'furlong'),
        raises('value', 'UnitError'),
        raises('json', 'xml.ParseError'),
      ]);
      assert.deepEqual(
        reply.results.map((result) => [result.outcome, result.error?.type, result.error?.message]),
        [
          ['wrong_exception', 'ValueError', 'bad value: -1'],
          ['wrong_exception', 'ValueError', 'bad value: -1'],
          ['wrong_exception', 'ValueError', 'bad value: -1'],
          [
            'wrong_exception',
            'JSONDecodeError',
            'Expecting property name enclosed in double quotes: line 1 column 2 (char 1)',
          ],
        ],
      );
    });

    it('fails a test that expected an exception when the tool returned, with what it returned', async () => {
      const reply = await run([raises('fine', 'ValueError'), raises('set', 'ValueError')]);
      assert.deepEqual(reply.results[0], { index: 0, outcome: 'no_exception', actual: { kind: 'fine' } });
      assert.deepEqual(reply.results[1], { index: 1, outcome: 'no_exception', actual: '{1, 2}' });
    });

    it('judges ordinary tests as before, beside ones that expect exceptions', async () => {
      const reply = await run([
        returns('fine', { kind: 'fine' }),
        returns('fine', { kind: 'other' }),
        raises('value', 'ValueError'),
      ]);
      assert.deepEqual(
        reply.results.map((result) => [result.outcome, result.actual]),
        [
          ['pass', { kind: 'fine' }],
          ['mismatch', { kind: 'fine' }],
          ['pass', undefined],
        ],
      );
    });

    describe("an exception's traceback, trimmed for a repair", () => {
      it("keeps the tool's own frames and the innermost library frame, never the harness's", async () => {
        const [result] = (await run([returns('json', null)])).results;
        assert.equal(result!.outcome, 'exception');
        const traceback = result!.error!.traceback;
        assert.match(
          traceback,
          /^Traceback \(most recent call last\):\n {2}File "\/tmp\/tool\/generated_tool\.py", line \d+, in f\n/,
        );
        assert.match(traceback, /in parse\n\s+return json\.loads\(text\)/);
        assert.match(traceback, /json[/\\]decoder\.py", line \d+, in raw_decode/);
        assert.match(traceback, /JSONDecodeError: Expecting property name enclosed in double quotes/);
        assert.doesNotMatch(traceback, /harness\.py|importlib|json[/\\]__init__\.py/);
      });

      it('keeps the chain of a re-raised exception', async () => {
        const [result] = (await run([raises('chained', 'TypeError')])).results;
        assert.equal(result!.outcome, 'wrong_exception');
        const traceback = result!.error!.traceback;
        assert.match(
          traceback,
          /JSONDecodeError[\s\S]*direct cause of the following exception[\s\S]*RuntimeError: could not read the input$/,
        );
      });

      it('is at most 20 lines and 2000 characters, ending in the exception', async () => {
        const [result] = (await run([returns('deep', null)])).results;
        const traceback = result!.error!.traceback;
        assert.equal(result!.error!.type, 'RecursionError');
        assert.ok(traceback.split('\n').length <= 20, traceback);
        assert.ok(traceback.length <= 2002, `${traceback.length} characters`);
        assert.match(traceback, /RecursionError: maximum recursion depth exceeded/);
        const long = 'def f():\n    raise ValueError("x" * 10000)\n';
        const [longResult] = (await run([{ input: {}, tolerance: 0, raises: 'TypeError' }], long)).results;
        const longTraceback = longResult!.error!.traceback;
        assert.ok(longTraceback.length <= 2002, `${longTraceback.length} characters`);
        assert.match(longTraceback, /in f\n\s+raise ValueError\("x" \* 10000\)\nValueError: x{300,}…$/);
        assert.equal(longResult!.error!.message.length, 10000, 'the message itself is whole');
      });

      it("of a module that does not load: where it fails in the module's source", async () => {
        const syntax = await run([], 'def f(:\n    return 1\n');
        assert.equal(syntax.loaded, false);
        assert.match(
          syntax.loadError!.traceback,
          /File "\/tmp\/tool\/generated_tool\.py", line 1\n\s+def f\(:\n[\s\S]*SyntaxError/,
        );
        const missing = await run([], 'import no_such_module\n');
        assert.match(
          missing.loadError!.traceback,
          /^Traceback \(most recent call last\):\n {2}File "\/tmp\/tool\/generated_tool\.py", line 1, in <module>\n\s+import no_such_module\nModuleNotFoundError/,
        );
        assert.doesNotMatch(missing.loadError!.traceback, /harness\.py|importlib/);
      });
    });
  });
}
