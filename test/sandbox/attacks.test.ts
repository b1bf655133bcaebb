import assert from 'node:assert/strict';
import { chmodSync, existsSync, statSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type { TestCase } from '../../contract';
import type { SandboxSettings } from '../../sandbox/host';
import type { SandboxLimits } from '../../sandbox/limits';
import type { SandboxIsolation, SandboxReply } from '../../sandbox/outcome';
import { createSandboxPool } from '../../sandbox/pool';
import {
  callTool,
  limitsHit,
  runToolTests,
  type SandboxRunner,
  type TestRunReply,
  type ToolCallReply,
} from '../../sandbox/protocol';
import { createSandbox } from '../../sandbox/runner';
import { molecularWeightCode } from '../../dev/canned-tools';
import { provisionedTools } from '../../dev/stack';
import { rejectsSandboxUnavailable } from '../helpers/assertions';
import { ATTACK_LIMITS, limitOf, outputOf, problemOf, replyOf, toolSource } from '../helpers/sandbox-attacks';

/**
 * The attacks of issue 3 (g) and every limit, one table run against both ways a tool runs: the
 * cold runner (a new bubblewrap per run) and the warm pool (one sandbox, whose zygote forks a
 * worker per call, so every case runs where the one before it ran). Each must be stopped or
 * denied, reported with the right kind, and leave the runner healthy: after every case the
 * molecular-weight tool runs as if nothing had happened. Then both fail closed the same way.
 * What only the pool does (calls isolated from one another, queueing, close) is pool.test.ts.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SECRET = 's3cr3t';

/** What the cases run against: one implementation, and what the suite set up on the host. */
interface Subject {
  runner: Runner;
  /** runs `f()` of the source */
  call(source: string, overrides?: Partial<SandboxLimits>, signal?: AbortSignal): Promise<SandboxReply<ToolCallReply>>;
  runtimeDir: string;
  /** a server on the host's 127.0.0.1 */
  hostPort: number;
  hostConnections(): number;
}

interface Runner extends SandboxRunner {
  verify(): Promise<SandboxIsolation>;
  /** the pool's: starts its sandboxes before any call */
  warm?(): Promise<void>;
  /** the pool's: sandboxes started so far, and running now */
  stats?(): { started: number; live: number };
  close(): Promise<void>;
}

const IMPLEMENTATIONS: { name: string; create(settings: SandboxSettings): Runner }[] = [
  {
    name: 'the cold runner',
    create: (settings) => ({ ...createSandbox(settings), close: async () => undefined }),
  },
  {
    name: 'the warm pool',
    create: (settings) => createSandboxPool({ ...settings, size: 1, minWarm: 1, queueTimeoutMs: 30_000 }),
  },
];

interface CallCase {
  name: string;
  /** the tool, f() (a function: it depends on the subject) */
  code: string | ((subject: Subject) => string);
  limits?: Partial<SandboxLimits>;
  kind?: 'call';
  expect(outcome: SandboxReply<ToolCallReply>, subject: Subject, elapsedMs: number): void | Promise<void>;
}

/** A test run of `f` with these test cases instead of a call. */
interface TestRunCase {
  kind: 'test run';
  name: string;
  code: string;
  testCases: TestCase[];
  expect(outcome: SandboxReply<TestRunReply>): void;
}

const failedWith = (reply: ToolCallReply) => {
  assert.equal(reply.ok, false);
  return `${reply.error?.type}: ${reply.error?.message}`;
};

const ATTACKS: (CallCase | TestRunCase)[] = [
  {
    name: 'denies a socket to the outside (1.1.1.1): there is no network',
    code: toolSource(`socket.create_connection(("1.1.1.1", 53), timeout=3)`, 'import socket'),
    expect: (outcome) => assert.match(failedWith(replyOf(outcome)), /OSError: \[Errno 101\] Network is unreachable/),
  },
  {
    name: "denies a socket to the host's 127.0.0.1: the sandbox's loopback is its own",
    code: ({ hostPort }) =>
      toolSource(`socket.create_connection(("127.0.0.1", ${hostPort}), timeout=3)`, 'import socket'),
    expect: (outcome, { hostConnections }) => {
      assert.match(failedWith(replyOf(outcome)), /^ConnectionRefusedError: /);
      assert.equal(hostConnections(), 0, 'the host server saw no connection');
    },
  },
  {
    name: 'cannot read /etc/shadow: there is no /etc',
    code: toolSource(`return open("/etc/shadow").read()`),
    expect: async (outcome, { call }) => {
      assert.ok(existsSync('/etc/shadow'), 'the host has one');
      assert.match(failedWith(replyOf(outcome)), /^FileNotFoundError: /);
      assert.equal(outputOf(await call(toolSource(`return os.path.exists("/etc")`))), false);
    },
  },
  {
    name: "cannot read host files: the repository's package.json, the provisioning record",
    code: ({ runtimeDir }) =>
      toolSource(`
results = {}
for path in ${JSON.stringify(hostFiles(runtimeDir))}:
    try:
        results[path] = open(path).read()[:100]
    except OSError as error:
        results[path] = type(error).__name__
return results`),
    expect: (outcome, { runtimeDir }) => {
      const files = hostFiles(runtimeDir);
      assert.ok(files.length >= 1, 'at least the package.json exists on the host');
      assert.deepEqual(outputOf(outcome), Object.fromEntries(files.map((file) => [file, 'FileNotFoundError'])));
    },
  },
  {
    name: 'cannot write outside its private /tmp: the venv, /usr, / and /proc/sys are read-only',
    code: ({ runtimeDir }) =>
      toolSource(`
results = {}
for path in ${JSON.stringify([...writeTargets(runtimeDir), '/tmp/fine'])}:
    try:
        with open(path, "w") as handle:
            handle.write("60")
        results[path] = "written"
    except OSError as error:
        results[path] = error.errno
return results`),
    expect: (outcome, { runtimeDir }) => {
      const results = outputOf(outcome) as Record<string, unknown>;
      assert.equal(results['/tmp/fine'], 'written');
      for (const target of writeTargets(runtimeDir))
        assert.ok(
          [os.constants.errno.EROFS, os.constants.errno.EACCES].includes(results[target] as number),
          `${target}: ${results[target]}`,
        );
      assert.ok(!existsSync(path.join(runtimeDir, 'planted.py')));
    },
  },
  {
    name: "cannot change the host's /dev/null: a tool changes only its own",
    code: toolSource(`
os.chmod("/dev/null", 0o644)
os.utime("/dev/null", (1, 1))
return oct(os.stat("/dev/null").st_mode & 0o777)`),
    expect: (outcome) => assert.equal(outputOf(outcome), '0o644', 'a tool may change its own /dev/null'),
  },
  {
    name: "cannot read an environment secret: not in its environment, not in any process's /proc/<pid>/environ",
    code: toolSource(`
found = dict(os.environ)
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            found[pid] = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
        except OSError as error:
            found[pid] = repr(error)
return found`),
    expect: (outcome) => {
      const found = outputOf(outcome) as object;
      const seen = JSON.stringify(found);
      assert.ok(!seen.includes(SECRET), `the secret leaked: ${seen}`);
      assert.ok(!seen.includes('TOOLSMITH_TEST_SECRET') && !seen.includes('OPENAI_API_KEY'), seen);
      assert.ok('1' in found, "it could look at the sandbox's PID 1");
    },
  },
  {
    kind: 'test run',
    name: 'a forked child cannot forge or garble the reply of a test run',
    code: 'import os\n\ndef f(x):\n    if x == 1 and os.fork() == 0:\n        return 999\n    return x\n',
    testCases: [
      { input: { x: 1 }, expectedOutput: 1, tolerance: 0 },
      { input: { x: 2 }, expectedOutput: 2, tolerance: 0 },
    ],
    expect: (outcome) => {
      assert.ok(outcome.ok, problemOf(outcome));
      assert.deepEqual(
        outcome.reply.results.map((result) => [result.outcome, result.actual]),
        [
          ['pass', 1],
          ['pass', 2],
        ],
      );
    },
  },
  {
    name: 'stops a fork bomb at the process limit, reports it, and the next run is quick',
    code: toolSource('while True:\n    os.fork()'),
    expect: async (outcome, { call }, elapsedMs) => {
      const reply = replyOf(outcome);
      assert.match(failedWith(reply), /^BlockingIOError: .*at most 32 processes/s);
      assert.equal(reply.error?.limit, 'processes');
      if (outcome.exit.processLimiter !== 'rlimit') assert.ok(outcome.exit.limitsHit.includes('processes'));
      assert.ok(elapsedMs < 10_000, `stopped after ${elapsedMs} ms`);
      const next = Date.now();
      assert.equal(outputOf(await call(toolSource(`return sum(range(10))`))), 45);
      assert.ok(Date.now() - next < 5_000, `the next run took ${Date.now() - next} ms`);
    },
  },
  {
    name: 'stops a fork bomb that ignores the failures at the wall time, with processes reported',
    code: toolSource('while True:\n    try:\n        os.fork()\n    except OSError:\n        pass'),
    limits: { wallTimeMs: 2_000 },
    expect: (outcome) => {
      assert.equal(limitOf(outcome), 'wall_time');
      assert.match(problemOf(outcome), /^exceeded the wall-time limit of 2000 ms and was killed/);
      if (outcome.exit.processLimiter !== 'rlimit') assert.ok(outcome.exit.limitsHit.includes('processes'));
    },
  },
  {
    name: 'stops unbounded allocation: MemoryError under the address-space limit, reported as memory',
    code: toolSource('chunks = []\nwhile True:\n    chunks.append(bytearray(10 ** 7))'),
    limits: { memoryMb: 256 },
    expect: (outcome) => {
      const reply = replyOf(outcome);
      assert.match(failedWith(reply), /^MemoryError: .*256 MB/s);
      assert.equal(reply.error?.limit, 'memory');
      assert.deepEqual(limitsHit(outcome), ['memory']);
    },
  },
  {
    name: 'stops allocation spread over several processes at the cgroup memory limit',
    // each child stays under its own address-space limit for long; together they do not
    code: toolSource(`
children = []
for _ in range(4):
    pid = os.fork()
    if pid == 0:
        chunks = []
        while True:
            chunks.append(bytearray(10 ** 7))
    children.append(pid)
return [os.waitpid(pid, 0)[1] & 0x7F for pid in children]`),
    limits: { memoryMb: 256 },
    expect: async (outcome, { runner }) => {
      assert.ok(outcome.exit.limitsHit.includes('memory'), JSON.stringify(outcome.exit.limitsHit));
      const statuses = outputOf(outcome) as number[];
      assert.ok(statuses.includes(9), `some child was OOM-killed: ${JSON.stringify(statuses)}`);
      // As root the sandbox runs only with a per-run cgroup, which also bounds the whole tree's memory.
      assert.ok((await runner.verify()).treeMemoryLimit, 'the memory of the whole process tree is limited');
    },
  },
  {
    name: 'stops an infinite loop at the wall-time limit',
    code: toolSource('while True:\n    pass'),
    limits: { wallTimeMs: 2_000 },
    expect: (outcome, _subject, elapsedMs) => {
      assert.equal(limitOf(outcome), 'wall_time');
      assert.match(problemOf(outcome), /^exceeded the wall-time limit of 2000 ms and was killed/);
      assert.ok(outcome.exit.timedOut);
      assert.ok(elapsedMs < 5_000, `stopped after ${elapsedMs} ms`);
    },
  },
  {
    name: 'stops a busy loop at the CPU-time limit (SIGXCPU)',
    code: toolSource('while True:\n    pass'),
    limits: { cpuSeconds: 1 },
    expect: (outcome) => {
      assert.equal(limitOf(outcome), 'cpu');
      assert.match(problemOf(outcome), /CPU-time limit of 1 s/);
    },
  },
  {
    name: 'stops printing 100 MB at the output cap',
    code: toolSource('for _ in range(100):\n    sys.stdout.write("x" * 1_000_000)', 'import sys'),
    expect: (outcome, _subject, elapsedMs) => {
      assert.equal(limitOf(outcome), 'output');
      assert.match(problemOf(outcome), /^printed more than 100000 bytes \(the output limit\) and was killed/);
      assert.ok(outcome.exit.stdout.length <= ATTACK_LIMITS.outputBytes);
      assert.ok(elapsedMs < 10_000, `stopped after ${elapsedMs} ms`);
    },
  },
  {
    name: 'stops a result larger than the output limit',
    code: toolSource('return "x" * 200_000'),
    expect: (outcome) => {
      assert.equal(limitOf(outcome), 'output');
      assert.match(problemOf(outcome), /^returned a result larger than the output limit of 100000 bytes/);
    },
  },
  {
    name: 'stops a file larger than its private /tmp (a run with its own /tmp size), reported as file_size',
    code: toolSource('with open("/tmp/big", "wb") as handle:\n    handle.write(b"x" * 10_000_000)'),
    limits: { tmpBytes: 1_000_000 },
    expect: (outcome) => assert.equal(replyOf(outcome).error?.limit, 'file_size'),
  },
  {
    name: 'reports os._exit(3): exited with code 3 without a result',
    code: toolSource('os._exit(3)'),
    expect: (outcome) => assert.match(problemOf(outcome), /^exited with code 3 without a result/),
  },
  {
    name: 'reports a segmentation fault (ctypes.string_at(0)): killed by SIGSEGV',
    code: toolSource('return ctypes.string_at(0)', 'import ctypes'),
    expect: (outcome) => assert.match(problemOf(outcome), /^was killed by SIGSEGV without a result/),
  },
];

/** The failures to start: the runner must refuse (SANDBOX_UNAVAILABLE) and say why; nothing runs. */
const FAILS_CLOSED: {
  name: string;
  settings?: Partial<SandboxSettings>;
  /** a run's own limits that bubblewrap refuses (the runner itself is sound) */
  overrides?: Partial<SandboxLimits>;
  message: RegExp;
  /** bubblewrap is started at all (else the prerequisites already fail) */
  spawns: boolean;
}[] = [
  {
    name: 'when bubblewrap is missing',
    settings: { bwrapPath: '/nonexistent/bwrap' },
    message: /bubblewrap was not found.*\/nonexistent\/bwrap/,
    spawns: false,
  },
  {
    name: 'when "bubblewrap" cannot create the sandbox',
    settings: { bwrapPath: '/bin/false' },
    message: /bubblewrap could not create the sandbox \(exit code 1/,
    spawns: true,
  },
  {
    // a tmpfs of size 0 is refused by bubblewrap itself, before anything runs
    name: 'when bubblewrap rejects its arguments (a /tmp of size 0)',
    overrides: { tmpBytes: 0 },
    message: /bubblewrap could not create the sandbox.*bwrap:/s,
    spawns: true,
  },
  {
    name: 'when the tool runtime is missing',
    settings: { runtimeDir: '/nonexistent/venv' },
    message: /The tool runtime is missing/,
    spawns: false,
  },
  {
    name: 'when the given cgroup parent is a plain directory, which would limit nothing',
    settings: { cgroupParent: os.tmpdir() },
    message: /is not in a cgroup v2 file system/,
    spawns: false,
  },
  {
    name: 'when the processes cannot be limited (an unusable cgroup)',
    settings: { cgroupParent: '/nonexistent/cgroup' },
    message: /cannot create the per-run cgroups under \/nonexistent\/cgroup/,
    spawns: false,
  },
];

function hostFiles(runtimeDir: string): string[] {
  return [path.join(REPO_ROOT, 'package.json'), path.join(path.dirname(runtimeDir), '..', 'provisioned.json')]
    .map((file) => path.resolve(file))
    .filter((file) => existsSync(file));
}

const writeTargets = (runtimeDir: string) => [
  path.join(runtimeDir, 'planted.py'),
  '/usr/planted',
  '/planted',
  '/proc/sys/vm/swappiness',
];

async function runCase(entry: CallCase | TestRunCase, subject: Subject): Promise<void> {
  if (entry.kind === 'test run') {
    entry.expect(await runToolTests(subject.runner, entry.code, 'f', entry.testCases));
    return;
  }
  const code = typeof entry.code === 'string' ? entry.code : entry.code(subject);
  const started = Date.now();
  const outcome = await subject.call(code, entry.limits);
  await entry.expect(outcome, subject, Date.now() - started);
}

for (const implementation of IMPLEMENTATIONS) {
  describe(`sandbox attacks and limits, against ${implementation.name}`, function () {
    this.timeout(120_000);
    let base: SandboxSettings;
    let subject: Subject;
    let server: net.Server;
    let devNullMode: number;
    const runners: Runner[] = [];
    const create = (settings: Partial<SandboxSettings> = {}) => {
      const runner = implementation.create({ ...base, ...settings });
      runners.push(runner);
      return runner;
    };
    const saved = { secret: process.env.TOOLSMITH_TEST_SECRET, key: process.env.OPENAI_API_KEY };

    before(async () => {
      const tools = await provisionedTools();
      base = { runtimeDir: tools.toolRuntime.venvDir, bwrapPath: tools.bwrapPath, limits: ATTACK_LIMITS };
      // before any sandbox starts: a warm one is started once, and must not have them either
      process.env.TOOLSMITH_TEST_SECRET = SECRET;
      process.env.OPENAI_API_KEY = `sk-${SECRET}`;
      devNullMode = statSync('/dev/null').mode;
      let connections = 0;
      server = net.createServer((socket) => {
        connections += 1;
        socket.destroy();
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const runner = create();
      await runner.warm?.();
      subject = {
        runner,
        call: (source, overrides = {}, signal) =>
          runner.request<ToolCallReply>({ mode: 'call', source, functionName: 'f', input: {} }, overrides, signal),
        runtimeDir: base.runtimeDir,
        hostPort: (server.address() as net.AddressInfo).port,
        hostConnections: () => connections,
      };
    });

    after(async () => {
      server.close();
      await Promise.all(runners.map((runner) => runner.close()));
      for (const [name, value] of [
        ['TOOLSMITH_TEST_SECRET', saved.secret],
        ['OPENAI_API_KEY', saved.key],
      ] as const) {
        if (value === undefined) delete process.env[name];
        else process.env[name] = value;
      }
    });

    it('verifies the isolation from inside: unprivileged uid, loopback only, a real process limit', async () => {
      const isolation = await subject.runner.verify();
      assert.equal(isolation.uid, 65534);
      assert.deepEqual(isolation.interfaces, ['lo']);
      if (process.getuid?.() === 0) assert.match(isolation.processLimiter, /^cgroup-v[12]$/);
    });

    describe('every attack is stopped or denied, and the runner stays healthy', () => {
      afterEach(async () => {
        try {
          assert.equal(statSync('/dev/null').mode, devNullMode, "the host's /dev/null is untouched");
        } finally {
          if (statSync('/dev/null').mode !== devNullMode) chmodSync('/dev/null', devNullMode & 0o7777);
        }
        const started = Date.now();
        const outcome = await callTool(subject.runner, molecularWeightCode, 'calculate_molecular_weight', {
          smiles: 'CCO',
        });
        const weight = (outputOf(outcome) as { molecular_weight: number }).molecular_weight;
        assert.ok(Math.abs(weight - 46.07) < 0.01, `got ${weight}`);
        assert.deepEqual(outcome.exit.limitsHit, []);
        assert.ok(Date.now() - started < 10_000, `the molecular weight took ${Date.now() - started} ms`);
      });

      for (const entry of ATTACKS) it(entry.name, () => runCase(entry, subject));

      it('stops an aborted run (a cancelled activity) at once', async () => {
        const controller = new AbortController();
        const started = Date.now();
        setTimeout(() => controller.abort(new Error('cancelled by the test')), 300);
        await assert.rejects(
          subject.call(toolSource('time.sleep(30)', 'import time'), {}, controller.signal),
          /cancelled by the test/,
        );
        assert.ok(Date.now() - started < 5_000, `stopped after ${Date.now() - started} ms`);
      });
    });

    describe('fails closed: no sandbox, nothing runs', () => {
      for (const entry of FAILS_CLOSED) {
        it(entry.name, async () => {
          const broken = create(entry.settings);
          if (!entry.overrides) {
            if (broken.warm) await rejectsSandboxUnavailable(broken.warm(), entry.message);
            await rejectsSandboxUnavailable(broken.verify(), entry.message);
          }
          await rejectsSandboxUnavailable(broken.request({ mode: 'probe' }, entry.overrides), entry.message);
          if (broken.stats && !entry.overrides) {
            assert.equal(broken.stats().live, 0, 'no sandbox is left running');
            if (!entry.spawns) assert.equal(broken.stats().started, 0, 'none was even started');
          }
        });
      }
    });
  });
}
