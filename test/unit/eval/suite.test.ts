import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { CliError } from '../../../cli/api-client';
import { evaluateSuite, type EvalCommandOptions } from '../../../cli/eval/main';
import { defaultPredicatePython } from '../../../cli/eval/predicates';
import { loadSuite } from '../../../cli/eval/suite';

const STARTER_SUITE = path.join(__dirname, '..', '..', '..', 'eval');

function task(id: string, overrides: object = {}) {
  return {
    id,
    requirement: { description: 'Add two numbers.', input: 'a and b', output: '{"sum": number}' },
    heldOut: [{ input: { a: 1, b: 2 }, expected: { sum: 3 } }],
    ...overrides,
  };
}

describe('evaluation suites: read and checked before anything is submitted', function () {
  let folder: string;
  const write = async (name: string, content: unknown) => {
    const file = path.join(folder, name);
    await writeFile(file, typeof content === 'string' ? content : JSON.stringify(content));
    return file;
  };
  const refusal = async (source: string): Promise<string> => {
    const error = await loadSuite(source).then(
      () => assert.fail('the suite was accepted'),
      (caught: unknown) => caught,
    );
    assert.ok(error instanceof CliError, String(error));
    assert.equal(error.code, 'INVALID_SUITE');
    return error.message;
  };

  beforeEach(async () => {
    folder = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-suite-'));
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));

  it('names the task and the field of every problem, in every file', async () => {
    await write('a.json', {
      tasks: [
        task('sum'),
        task('missing-output', { requirement: { description: 'x', input: 'y' } }),
        task('both', { heldOut: [{ input: {}, expected: 1, predicate: 'True' }] }),
        task('neither', { heldOut: [{ input: { a: 1 } }] }),
        task('wrong-types', { heldOut: [{ input: [1], expected: 1, tolerance: '0.1' }] }),
        { requirement: task('x').requirement, heldOut: [] },
      ],
    });
    await write('b.json', { tasks: [task('sum', { requirement: { ...task('x').requirement, examples: [{}] } })] });
    const message = await refusal(folder);
    const lines = message.split('\n').slice(1);
    const a = path.join(folder, 'a.json');
    const b = path.join(folder, 'b.json');
    assert.deepEqual(lines, [
      `  ${a}: task "missing-output" (tasks[1]), requirement.output: is required`,
      `  ${a}: task "both" (tasks[2]), heldOut[0]: give expected or predicate, not both`,
      `  ${a}: task "neither" (tasks[3]), heldOut[0]: needs expected (a JSON value) or predicate`,
      `  ${a}: task "wrong-types" (tasks[4]), heldOut[0].input: must be a JSON object (the tool's arguments)`,
      `  ${a}: task "wrong-types" (tasks[4]), heldOut[0].tolerance: must be a number`,
      `  ${a}: tasks[5], id: is required`,
      `  ${a}: tasks[5], heldOut: must hold at least one call`,
      `  ${b}: task "sum" (tasks[0]), requirement.examples[0].input: is required`,
      `  ${b}: task "sum" (tasks[0]), requirement.examples[0].output: is required (or, instead, raises: the exception the tool must raise for that input)`,
    ]);
    assert.match(message, /^The suite is not valid; nothing was submitted:/);
  });

  it('refuses a task id used twice across the files, a file that is not JSON, and a folder without suites', async () => {
    await write('a.json', { tasks: [task('sum')] });
    await write('b.json', { tasks: [task('sum')] });
    assert.match(await refusal(folder), /b\.json: task "sum" has the id of a task in .*a\.json as well/);
    const broken = await write('broken.json', '{"tasks": [');
    assert.match(await refusal(broken), /broken\.json: not a readable JSON file/);
    const empty = await mkdtemp(path.join(folder, 'empty-'));
    assert.match(await refusal(empty), /holds no suite \(\*\.json\) files/);
    assert.match(await refusal(path.join(folder, 'absent.json')), /no such file or folder/);
  });

  it('refuses an invalid suite before it asks the service anything', async () => {
    const file = await write('a.json', { tasks: [task('sum', { heldOut: [{ input: {} }] })] });
    const options: EvalCommandOptions = {
      // nothing listens here: a request would fail with CONNECTION_FAILED, not with the suite's problem
      api: 'http://127.0.0.1:9/api/v1',
      concurrency: 1,
      taskTimeout: 1,
      python: defaultPredicatePython(),
      predicateTimeout: 1,
    };
    await assert.rejects(evaluateSuite(file, options), (error: CliError) => error.code === 'INVALID_SUITE');
  });

  it('reads a folder of suite files as one suite, in file name order', async () => {
    await write('b.json', { tasks: [task('second')] });
    await write('a.json', { description: 'about these tasks', tasks: [task('first')] });
    await write('notes.md', 'not a suite');
    const suite = await loadSuite(folder);
    assert.deepEqual(
      suite.tasks.map((entry) => entry.id),
      ['first', 'second'],
    );
  });

  describe('the starter suite (eval/)', () => {
    it('has at least 15 tasks across chemistry, numerics and plain Python, each with 3 or more held-out calls', async () => {
      const { tasks } = await loadSuite(STARTER_SUITE);
      assert.ok(tasks.length >= 15, `${tasks.length} tasks`);
      for (const domain of ['chem-', 'num-', 'py-']) {
        assert.ok(tasks.filter((entry) => entry.id.startsWith(domain)).length >= 5, domain);
      }
      for (const entry of tasks) assert.ok(entry.heldOut.length >= 3, entry.id);
      assert.ok(
        tasks.some((entry) => entry.heldOut.some((call) => call.predicate)),
        'some calls are checked by a predicate',
      );
      assert.ok(
        tasks.some((entry) => entry.requirement.examples?.length),
        'some requirements carry examples',
      );
    });
  });
});
