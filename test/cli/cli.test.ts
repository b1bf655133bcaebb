import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { catalogueScript, standardCatalogue } from '../../dev/canned-tools';
import { request } from '../../dev/http';
import { requirement } from '../../dev/jobs';
import { startTestStack, type TestStack } from '../../dev/stack';

const PROJECT_ROOT = path.resolve(__dirname, '../..');
const CLI = path.join(PROJECT_ROOT, 'cli/toolsmith.js');

const MOLECULAR_WEIGHT = 'Calculate the molecular weight of a compound from SMILES.';
const TEMPERATURE = 'Convert a temperature between Celsius, Fahrenheit and Kelvin.';
const LOTTERY = 'Predict the winning lottery numbers of the next draw.';
const NEEDS_REPAIR = 'Calculate the average molecular mass of a compound from SMILES.';

const script = catalogueScript(standardCatalogue, { delayMs: 300 });

interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

interface RunningCli {
  child: ChildProcess;
  /** resolves once stdout matches the pattern, with the match */
  waitForOutput(pattern: RegExp): Promise<RegExpMatchArray>;
  done: Promise<CliRun>;
}

/**
 * Runs the real CLI as a child process, as a person would, against the test stack's API. Async
 * on purpose: the API and the worker under test run in this very process.
 */
/** what every CLI run gets besides its own variables: the stack's API key (TOOLSMITH_API_KEY) */
let stackCliEnv: Record<string, string> = {};

function startCli(args: string[], env: Record<string, string> = {}): RunningCli {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, TOOLSMITH_API_URL: '', ...stackCliEnv, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const watchers: { pattern: RegExp; resolve: (match: RegExpMatchArray) => void }[] = [];
  child.stdout!.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    for (const watcher of [...watchers]) {
      const match = stdout.match(watcher.pattern);
      if (match) {
        watchers.splice(watchers.indexOf(watcher), 1);
        watcher.resolve(match);
      }
    }
  });
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const done = new Promise<CliRun>((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
  return {
    child,
    done,
    waitForOutput(pattern) {
      const match = stdout.match(pattern);
      if (match) return Promise.resolve(match);
      return new Promise((resolve, reject) => {
        watchers.push({ pattern, resolve });
        void done.then((run) =>
          reject(new Error(`the CLI ended before printing ${pattern}:\n${run.stdout}\n${run.stderr}`)),
        );
      });
    },
  };
}

const describeRun = (run: CliRun) => `exit ${run.code}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;

describe('the toolsmith CLI, run as a child process against the real stack', function () {
  this.timeout(300_000);
  let stack: TestStack;
  let workDir: string;

  const cli = (...args: string[]) => startCli([...args, '--api', stack.apiUrl]).done;

  async function requestFile(name: string, descriptions: string[], extra: object = {}): Promise<string> {
    const file = path.join(workDir, name);
    // Generation is what these tests watch: no job is answered by an earlier test's tool.
    const body = { toolRequirements: descriptions.map(requirement), options: { reuse: false }, ...extra };
    await writeFile(file, JSON.stringify(body));
    return file;
  }

  function jobIdIn(output: string): string {
    const match = /Submitted job (job_[A-Za-z0-9_-]+)/.exec(output);
    assert.ok(match, `no job id in:\n${output}`);
    return match[1]!;
  }

  before(async () => {
    workDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-cli-'));
    stack = await startTestStack({ script });
    stackCliEnv = { TOOLSMITH_API_KEY: stack.apiKey };
  });
  beforeEach(() => stack.model.setScript(script));
  after(async () => {
    await stack?.stop();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  describe('submit, status and errors', () => {
    let completedJobId: string;

    it('submit --wait generates both tools, names their files and exits 0', async () => {
      const file = await requestFile('two-tools.json', [MOLECULAR_WEIGHT, TEMPERATURE]);
      const run = await cli('submit', file, '--wait', '--client-id', 'cli-test');
      assert.equal(run.code, 0, describeRun(run));
      completedJobId = jobIdIn(run.stdout);
      assert.match(run.stdout, /Temporal UI: http:\/\/\S+\/workflows\//);
      assert.match(
        run.stdout,
        /calculate_molecular_weight\.py\s+at tools\/test-client\/calculate_molecular_weight\/v\d+\/calculate_molecular_weight\.py/,
      );
      assert.match(
        run.stdout,
        /convert_temperature\.py\s+at tools\/test-client\/convert_temperature\/v\d+\/convert_temperature\.py/,
      );
      assert.match(run.stdout, new RegExp(`Job ${completedJobId}: completed`));
      // stdout is a pipe here, so progress comes as plain lines rather than bars
      assert.ok(!run.stdout.includes('\u001b['), 'no terminal control codes when stdout is not a TTY');
      assert.equal(run.stderr, '');

      const answer = await request(`${stack.apiUrl}/jobs/${completedJobId}`);
      assert.equal(answer.body.status, 'completed');
    });

    it('status prints a readable summary of the job', async () => {
      const run = await cli('status', completedJobId);
      assert.equal(run.code, 0, describeRun(run));
      assert.match(run.stdout, new RegExp(`Job ${completedJobId}: completed`));
      assert.match(run.stdout, /progress: +2\/2 done, 0 failed, 0 in progress/);
      assert.match(run.stdout, /Tools \(2\):/);
      assert.match(run.stdout, /calculate_molecular_weight\.py/);
      assert.match(run.stdout, /convert_temperature\.py/);
      assert.match(run.stdout, /Temporal UI: http/);
      assert.doesNotMatch(run.stdout, /Failures/);
    });

    it('status --json prints the raw job answer', async () => {
      const run = await cli('status', completedJobId, '--json');
      assert.equal(run.code, 0, describeRun(run));
      const job = JSON.parse(run.stdout);
      assert.equal(job.jobId, completedJobId);
      assert.equal(job.status, 'completed');
      assert.deepEqual(
        job.toolFiles.map((tool: { fileName: string }) => tool.fileName),
        ['calculate_molecular_weight.py', 'convert_temperature.py'],
      );
      assert.equal(job.temporal.workflowId, completedJobId);
    });

    it('a job with a tool that cannot be made exits 2 and prints the failure', async () => {
      const file = await requestFile('lottery.json', [MOLECULAR_WEIGHT, LOTTERY]);
      const run = await cli('submit', file, '--wait');
      assert.equal(run.code, 2, describeRun(run));
      assert.match(run.stdout, /: completed/);
      assert.match(run.stdout, /calculate_molecular_weight\.py/);
      assert.match(
        run.stdout,
        /Failures \(1\):\n {2}Predict the winning lottery numbers of the next draw\.\n {4}error: \S/,
      );
    });

    it('submit without --wait prints the job id and the Temporal UI link, and returns at once', async () => {
      const file = await requestFile('one-tool.json', [TEMPERATURE]);
      const run = await cli('submit', file);
      assert.equal(run.code, 0, describeRun(run));
      const jobId = jobIdIn(run.stdout);
      assert.match(run.stdout, new RegExp(`Temporal UI: http://\\S+/workflows/${jobId}`));
      assert.doesNotMatch(run.stdout, /Tools \(/);
    });

    it('an unknown job id exits 1 with JOB_NOT_FOUND and no stack trace', async () => {
      const run = await cli('status', 'job_000000000000000000000000');
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /No job with id "job_000000000000000000000000"/);
      assert.match(run.stderr, /JOB_NOT_FOUND/);
      assert.doesNotMatch(run.stderr, /\n\s+at /, 'no stack trace');
    });

    it('a malformed file exits 1 with a clear message', async () => {
      const file = path.join(workDir, 'malformed.json');
      await writeFile(file, '{"toolRequirements": [');
      const run = await cli('submit', file, '--wait');
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /malformed\.json is not valid JSON/);
      assert.match(run.stderr, /INVALID_FILE/);
      assert.equal(run.stdout, '');

      const missing = await cli('submit', path.join(workDir, 'nowhere.json'));
      assert.equal(missing.code, 1, describeRun(missing));
      assert.match(missing.stderr, /Cannot read .*nowhere\.json: no such file/);
    });

    it("a file the API rejects exits 1 with the API's error and code", async () => {
      const file = path.join(workDir, 'empty-description.json');
      await writeFile(file, JSON.stringify({ toolRequirements: [{ description: '', input: 'x', output: 'y' }] }));
      const run = await cli('submit', file);
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /toolRequirements\.0\.description/);
      assert.match(run.stderr, /INVALID_REQUEST/);
    });

    it('an API that is not there exits 1 with CONNECTION_FAILED', async () => {
      const unused = http.createServer();
      await new Promise<void>((resolve) => unused.listen(0, '127.0.0.1', resolve));
      const { port } = unused.address() as AddressInfo;
      await new Promise((resolve) => unused.close(resolve));
      const run = await startCli(['status', 'job_x'], { TOOLSMITH_API_URL: `http://127.0.0.1:${port}/api/v1` }).done;
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, new RegExp(`Cannot reach the Toolsmith API at http://127.0.0.1:${port}/api/v1`));
      assert.match(run.stderr, /CONNECTION_FAILED/);
    });
  });

  describe('replay (delegated to npm run replay, against Temporal)', () => {
    it("replays a finished job's history on the current workflow code", async () => {
      const file = await requestFile('replay.json', [TEMPERATURE]);
      const submitted = await cli('submit', file, '--wait');
      assert.equal(submitted.code, 0, describeRun(submitted));
      const jobId = jobIdIn(submitted.stdout);
      const run = await startCli(['replay', jobId], stack.serviceEnv).done;
      assert.equal(run.code, 0, describeRun(run));
      assert.match(run.stdout, new RegExp(`${jobId} \\(run \\S+\\) replays on the current workflow code`));
    });

    it('needs exactly one of a job id and --all-failed', async () => {
      const run = await startCli(['replay']).done;
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /Give either a job id or --all-failed/);
    });
  });

  describe('cancel, retry and live progress (the events stream)', () => {
    it('submit --wait shows each stage of each tool, with the attempt number on a repair', async () => {
      const file = await requestFile('repair.json', [NEEDS_REPAIR, TEMPERATURE]);
      const run = await cli('submit', file, '--wait');
      assert.equal(run.code, 0, describeRun(run));
      const stagesOf = (tool: string) =>
        run.stdout
          .split('\n')
          .filter((line) => line.includes(`] ${tool}: `))
          .map((line) => line.slice(line.indexOf(': ') + 2));
      const repaired = stagesOf('average_molecular_mass');
      assert.ok(repaired.includes('implement (attempt 2)'), repaired.join(' | '));
      assert.ok(repaired.includes('validate (attempt 2)'), repaired.join(' | '));
      assert.equal(repaired.at(-1), 'done after 2 attempts');
      // stages come in pipeline order
      const order = ['search', 'implement', 'validate', 'implement (attempt 2)', 'register'];
      const positions = order.map((stage) => repaired.indexOf(stage));
      assert.deepEqual(
        [...positions].sort((a, b) => a - b),
        positions,
        `stages out of order: ${repaired.join(' | ')}`,
      );
      assert.ok(
        positions.every((position) => position >= 0),
        repaired.join(' | '),
      );
      assert.equal(stagesOf('convert_temperature').at(-1), 'done');
      assert.match(run.stdout, /average_molecular_mass\.py/);
    });

    it('cancel stops a running job; submit --wait then exits 1; a second cancel is JOB_ALREADY_COMPLETED', async () => {
      stack.model.setScript(catalogueScript(standardCatalogue, { delayMs: 4_000 }));
      const file = await requestFile('slow.json', [MOLECULAR_WEIGHT, TEMPERATURE]);
      const watching = startCli(['submit', file, '--wait', '--api', stack.apiUrl]);
      const [, jobId] = await watching.waitForOutput(/Submitted job (job_[A-Za-z0-9_-]+)/);

      const cancel = await cli('cancel', jobId!);
      assert.equal(cancel.code, 0, describeRun(cancel));
      assert.match(cancel.stdout, new RegExp(`Cancellation requested for job ${jobId}`));

      const watched = await watching.done;
      assert.equal(watched.code, 1, describeRun(watched));
      assert.match(watched.stdout, new RegExp(`Job ${jobId}: cancelled`));

      const again = await cli('cancel', jobId!);
      assert.equal(again.code, 1, describeRun(again));
      assert.match(again.stderr, /JOB_ALREADY_COMPLETED/);

      const status = await cli('status', jobId!, '--json');
      assert.equal(JSON.parse(status.stdout).status, 'cancelled');
    });

    it('cancel of an unknown job exits 1 with JOB_NOT_FOUND', async () => {
      const run = await cli('cancel', 'job_000000000000000000000000');
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /JOB_NOT_FOUND/);
    });

    it('retry --wait re-runs the failed tool of a partly failed job as a new run, keeping the good one', async () => {
      const file = await requestFile('retry.json', [MOLECULAR_WEIGHT, LOTTERY]);
      const first = await cli('submit', file, '--wait');
      assert.equal(first.code, 2, describeRun(first));
      const jobId = jobIdIn(first.stdout);
      const firstRunId = JSON.parse((await cli('status', jobId, '--json')).stdout).temporal.runId;

      const retried = await cli('retry', jobId, '--wait');
      // the lottery cannot be predicted on a second try either
      assert.equal(retried.code, 2, describeRun(retried));
      const runId = /Retrying job \S+ as run (\S+);/.exec(retried.stdout)?.[1];
      assert.ok(runId, retried.stdout);
      assert.notEqual(runId, firstRunId);
      assert.match(retried.stdout, new RegExp(`Job ${jobId}: completed`));
      assert.match(retried.stdout, /calculate_molecular_weight\.py/);
      assert.match(retried.stdout, /Failures \(1\):\n {2}Predict the winning lottery numbers/);
      assert.match(retried.stdout, /\] predict_lottery_numbers: implement/, 'the failed tool is generated again');
      assert.doesNotMatch(retried.stdout, /\] calculate_molecular_weight: /, 'the good tool is kept, not regenerated');
    });

    it('retry of a job with nothing to retry exits 1 with the 409 code', async () => {
      const file = await requestFile('nothing-to-retry.json', [TEMPERATURE]);
      const first = await cli('submit', file, '--wait');
      assert.equal(first.code, 0, describeRun(first));
      const run = await cli('retry', jobIdIn(first.stdout));
      assert.equal(run.code, 1, describeRun(run));
      assert.match(run.stderr, /nothing to retry/);
      assert.match(run.stderr, /\(JOB_ALREADY_COMPLETED\)/);
    });

    it('a dropped events stream is resumed with Last-Event-ID', async () => {
      const proxy = await startEventsProxy(stack.apiUrl, 'drop-after-first-stage');
      try {
        const file = await requestFile('resume.json', [MOLECULAR_WEIGHT]);
        const run = await startCli(['submit', file, '--wait', '--api', proxy.apiUrl]).done;
        assert.equal(run.code, 0, describeRun(run));
        assert.ok(proxy.eventRequests.length >= 2, `events requests: ${JSON.stringify(proxy.eventRequests)}`);
        assert.equal(proxy.eventRequests[0]!.lastEventId, undefined);
        assert.match(proxy.eventRequests[1]!.lastEventId ?? '', /^\d+-\d+$/);
        assert.match(run.stdout, /\] calculate_molecular_weight: done/);
      } finally {
        await proxy.close();
      }
    });

    it('without an events stream (404) submit --wait follows the job by polling', async () => {
      const proxy = await startEventsProxy(stack.apiUrl, 'no-events-endpoint');
      try {
        const file = await requestFile('polling.json', [TEMPERATURE]);
        const run = await startCli(['submit', file, '--wait', '--api', proxy.apiUrl]).done;
        assert.equal(run.code, 0, describeRun(run));
        assert.equal(proxy.eventRequests.length, 1);
        assert.match(run.stdout, /job job_\S+ completed: 1\/1 done/);
        assert.match(run.stdout, /convert_temperature\.py/);
      } finally {
        await proxy.close();
      }
    });
  });
});

interface EventsProxy {
  apiUrl: string;
  eventRequests: { lastEventId: string | undefined }[];
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of the real API that misbehaves on the events stream only:
 * it cuts the first stream after its first stage event (a dropped connection), or answers 404 as
 * an API without the endpoint would. Everything else reaches the real service unchanged.
 */
async function startEventsProxy(
  apiUrl: string,
  mode: 'drop-after-first-stage' | 'no-events-endpoint',
): Promise<EventsProxy> {
  const target = new URL(apiUrl);
  const eventRequests: EventsProxy['eventRequests'] = [];
  const server = http.createServer((req, res) => {
    const isEvents = /\/jobs\/[^/]+\/events$/.test(req.url ?? '');
    if (isEvents) eventRequests.push({ lastEventId: req.headers['last-event-id'] as string | undefined });
    if (isEvents && mode === 'no-events-endpoint') {
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'No route.', code: 'INVALID_REQUEST', timestamp: new Date().toISOString() }));
      return;
    }
    const cutThisStream = isEvents && mode === 'drop-after-first-stage' && eventRequests.length === 1;
    const upstream = http.request(
      { host: target.hostname, port: target.port, path: req.url, method: req.method, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        let cut = false;
        answer.on('data', (chunk: Buffer) => {
          if (cut) return;
          if (!cutThisStream || !chunk.toString().includes('event: stage')) {
            res.write(chunk);
            return;
          }
          cut = true;
          res.write(chunk, () => {
            res.socket?.destroy();
            answer.destroy();
          });
        });
        answer.on('end', () => res.end());
      },
    );
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    apiUrl: `http://127.0.0.1:${port}${target.pathname}`,
    eventRequests,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
