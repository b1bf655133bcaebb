import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { callTool, limitsHit, runToolTests, type ToolCallReply } from '../../sandbox/protocol';
import { createSandbox, type Sandbox, type SandboxLimits, type SandboxReply } from '../../sandbox/runner';
import { molecularWeightCode } from '../../dev/canned-tools';
import { provisionedTools } from '../../dev/stack';
import { rejectsSandboxUnavailable } from '../helpers/assertions';
import { ATTACK_LIMITS, attacks, toolSource } from '../helpers/sandbox-attacks';

/**
 * The attacks of issue 3 (g), each against the real bubblewrap and the real tool runtime: every one
 * must be stopped or denied, reported with the right kind, and leave the runner healthy.
 */

const REPO_ROOT = path.resolve(__dirname, '..', '..');
const SECRET = 's3cr3t';

function expectReply(outcome: SandboxReply<ToolCallReply>): ToolCallReply {
  assert.ok(outcome.ok, outcome.ok ? '' : `the run broke down: ${outcome.problem}`);
  return outcome.reply;
}

describe('sandbox isolation: the attacks of issue 3 are stopped and reported', function () {
  this.timeout(60_000);
  let runtimeDir: string;
  let bwrapPath: string;
  let sandbox: Sandbox;
  const saved = { secret: process.env.TOOLSMITH_TEST_SECRET, key: process.env.OPENAI_API_KEY };
  const call = (source: string, overrides: Partial<SandboxLimits> = {}) =>
    sandbox.request<ToolCallReply>({ mode: 'call', source, functionName: 'f', input: {} }, overrides);

  before(async () => {
    const tools = await provisionedTools();
    runtimeDir = tools.toolRuntime.venvDir;
    bwrapPath = tools.bwrapPath;
    process.env.TOOLSMITH_TEST_SECRET = SECRET;
    process.env.OPENAI_API_KEY = `sk-${SECRET}`;
    sandbox = createSandbox({ runtimeDir, bwrapPath, limits: ATTACK_LIMITS });
  });

  after(() => {
    for (const [name, value] of [
      ['TOOLSMITH_TEST_SECRET', saved.secret],
      ['OPENAI_API_KEY', saved.key],
    ] as const) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  it('verifies the isolation from inside: unprivileged uid, loopback only, a real process limit', async () => {
    const isolation = await sandbox.verify();
    assert.equal(isolation.uid, 65534);
    assert.deepEqual(isolation.interfaces, ['lo']);
    if (process.getuid?.() === 0) assert.match(isolation.processLimiter, /^cgroup-v[12]$/);
  });

  it('denies a socket to the outside (1.1.1.1): there is no network', async () => {
    const reply = expectReply(
      await call(toolSource(`socket.create_connection(("1.1.1.1", 53), timeout=3)`, 'import socket')),
    );
    assert.equal(reply.ok, false);
    assert.match(`${reply.error?.type}: ${reply.error?.message}`, /OSError: \[Errno 101\] Network is unreachable/);
  });

  it("denies a socket to the host's 127.0.0.1: the sandbox's loopback is its own", async () => {
    let connections = 0;
    const server = net.createServer((socket) => {
      connections += 1;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as net.AddressInfo;
    try {
      const reply = expectReply(
        await call(toolSource(`socket.create_connection(("127.0.0.1", ${port}), timeout=3)`, 'import socket')),
      );
      assert.equal(reply.ok, false);
      assert.equal(reply.error?.type, 'ConnectionRefusedError');
      assert.equal(connections, 0, 'the host server saw no connection');
    } finally {
      server.close();
    }
  });

  it('cannot read /etc/shadow: there is no /etc', async () => {
    assert.ok(existsSync('/etc/shadow'), 'the host has one');
    const reply = expectReply(await call(toolSource(`return open("/etc/shadow").read()`)));
    assert.equal(reply.ok, false);
    assert.equal(reply.error?.type, 'FileNotFoundError');
    assert.equal(expectReply(await call(toolSource(`return os.path.exists("/etc")`))).output, false);
  });

  it("cannot read host files: the repository's package.json, the provisioning record", async () => {
    const hostFiles = [
      path.join(REPO_ROOT, 'package.json'),
      path.join(path.dirname(runtimeDir), '..', 'provisioned.json'),
    ]
      .map((file) => path.resolve(file))
      .filter((file) => existsSync(file));
    assert.ok(hostFiles.length >= 1, 'at least the package.json exists on the host');
    const reply = expectReply(
      await call(
        toolSource(`
results = {}
for path in ${JSON.stringify(hostFiles)}:
    try:
        results[path] = open(path).read()[:100]
    except OSError as error:
        results[path] = type(error).__name__
return results`),
      ),
    );
    assert.deepEqual(reply.output, Object.fromEntries(hostFiles.map((file) => [file, 'FileNotFoundError'])));
  });

  it('cannot write outside its private /tmp: the venv, /usr, / and /proc/sys are read-only', async () => {
    const targets = [path.join(runtimeDir, 'planted.py'), '/usr/planted', '/planted', '/proc/sys/vm/swappiness'];
    const reply = expectReply(
      await call(
        toolSource(`
results = {}
for path in ${JSON.stringify([...targets, '/tmp/fine'])}:
    try:
        with open(path, "w") as handle:
            handle.write("60")
        results[path] = "written"
    except OSError as error:
        results[path] = error.errno
return results`),
      ),
    );
    const results = reply.output as Record<string, unknown>;
    assert.equal(results['/tmp/fine'], 'written');
    for (const target of targets)
      assert.ok(
        [os.constants.errno.EROFS, os.constants.errno.EACCES].includes(results[target] as number),
        `${target}: ${results[target]}`,
      );
    assert.ok(!existsSync(path.join(runtimeDir, 'planted.py')));
  });

  it('stops a fork bomb at the process limit, reports it, and the next run is quick', async () => {
    const started = Date.now();
    const outcome = await call(toolSource(attacks.forkBomb));
    const reply = expectReply(outcome);
    assert.equal(reply.ok, false);
    assert.equal(reply.error?.type, 'BlockingIOError');
    assert.equal(reply.error?.limit, 'processes');
    assert.match(reply.error?.message ?? '', /at most 32 processes/);
    if (outcome.exit.processLimiter !== 'rlimit') assert.ok(outcome.exit.limitsHit.includes('processes'));
    assert.ok(Date.now() - started < 10_000, `stopped after ${Date.now() - started} ms`);

    const next = Date.now();
    const normal = expectReply(await call(toolSource(`return sum(range(10))`)));
    assert.equal(normal.output, 45);
    assert.ok(Date.now() - next < 5_000, `the next run took ${Date.now() - next} ms`);
  });

  it('stops a fork bomb that ignores the failures at the wall time, with processes reported', async () => {
    const outcome = await call(toolSource(attacks.forkBombIgnoringFailures), {
      wallTimeMs: 2_000,
    });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? undefined : outcome.limit, 'wall_time');
    if (outcome.exit.processLimiter !== 'rlimit') assert.ok(outcome.exit.limitsHit.includes('processes'));
  });

  it('stops unbounded allocation: MemoryError under the address-space limit, reported as memory', async () => {
    const outcome = await call(toolSource(attacks.unboundedMemory), {
      memoryMb: 256,
    });
    const reply = expectReply(outcome);
    assert.equal(reply.error?.type, 'MemoryError');
    assert.equal(reply.error?.limit, 'memory');
    assert.match(reply.error?.message ?? '', /256 MB/);
    assert.deepEqual(limitsHit(outcome), ['memory']);
  });

  it('stops allocation spread over several processes at the cgroup memory limit', async () => {
    const isolation = await sandbox.verify();
    // As root the sandbox runs only with a per-run cgroup, which also bounds the whole tree's memory.
    assert.ok(isolation.treeMemoryLimit, 'the memory of the whole process tree is limited');
    const outcome = await call(toolSource(attacks.memorySpreadOverProcesses), { memoryMb: 256 });
    const reply = expectReply(outcome);
    assert.ok(outcome.exit.limitsHit.includes('memory'), JSON.stringify(outcome.exit.limitsHit));
    assert.ok((reply.output as number[]).includes(9), `some child was OOM-killed: ${JSON.stringify(reply.output)}`);
  });

  it('stops an infinite loop at the wall-time limit', async () => {
    const started = Date.now();
    const outcome = await call(toolSource(attacks.infiniteLoop), { wallTimeMs: 2_000 });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? undefined : outcome.limit, 'wall_time');
    assert.match(outcome.ok ? '' : outcome.problem, /exceeded the wall-time limit of 2000 ms/);
    assert.ok(Date.now() - started < 5_000);
  });

  it('stops a busy loop at the CPU-time limit (SIGXCPU)', async () => {
    const outcome = await call(toolSource(attacks.infiniteLoop), { cpuSeconds: 1 });
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? undefined : outcome.limit, 'cpu');
    assert.match(outcome.ok ? '' : outcome.problem, /CPU-time limit of 1 s/);
  });

  it('stops printing 100 MB at the output cap', async () => {
    const started = Date.now();
    const outcome = await call(toolSource(`for _ in range(100):\n    sys.stdout.write("x" * 1_000_000)`, 'import sys'));
    assert.equal(outcome.ok, false);
    assert.equal(outcome.ok ? undefined : outcome.limit, 'output');
    assert.match(outcome.ok ? '' : outcome.problem, /printed more than 100000 bytes/);
    assert.ok(outcome.exit.stdout.length <= ATTACK_LIMITS.outputBytes);
    assert.ok(Date.now() - started < 10_000);
  });

  it('stops a file larger than the private /tmp, reported as file_size', async () => {
    const reply = expectReply(
      await call(toolSource(`with open("/tmp/big", "wb") as handle:\n    handle.write(b"x" * 10_000_000)`), {
        tmpBytes: 1_000_000,
      }),
    );
    assert.equal(reply.error?.limit, 'file_size');
  });

  it("cannot read an environment secret: not in its environment, not in bubblewrap's /proc/<pid>/environ", async () => {
    const reply = expectReply(
      await call(
        toolSource(`
found = dict(os.environ)
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            found[pid] = open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace")
        except OSError as error:
            found[pid] = repr(error)
return found`),
      ),
    );
    const seen = JSON.stringify(reply.output);
    assert.ok(!seen.includes(SECRET), `the secret leaked: ${seen}`);
    assert.ok(!seen.includes('TOOLSMITH_TEST_SECRET') && !seen.includes('OPENAI_API_KEY'), seen);
    assert.ok('1' in (reply.output as object), 'it could look at the sandbox init');
  });

  it('a forked child cannot forge or garble the reply of a test run', async () => {
    const source = 'import os\n\ndef f(x):\n    if x == 1 and os.fork() == 0:\n        return 999\n    return x\n';
    const outcome = await runToolTests(sandbox, source, 'f', [
      { input: { x: 1 }, expectedOutput: 1, tolerance: 0 },
      { input: { x: 2 }, expectedOutput: 2, tolerance: 0 },
    ]);
    assert.ok(outcome.ok, outcome.ok ? '' : outcome.problem);
    assert.deepEqual(
      outcome.reply.results.map((result) => [result.outcome, result.actual]),
      [
        ['pass', 1],
        ['pass', 2],
      ],
    );
  });

  describe('fails closed', () => {
    it('when bubblewrap is missing', async () => {
      const broken = createSandbox({ runtimeDir, bwrapPath: '/nonexistent/bwrap', limits: ATTACK_LIMITS });
      await rejectsSandboxUnavailable(
        broken.request({ mode: 'probe' }),
        /bubblewrap was not found.*\/nonexistent\/bwrap/,
      );
      await rejectsSandboxUnavailable(broken.verify(), /bubblewrap was not found/);
    });

    it('when "bubblewrap" cannot create the sandbox', async () => {
      const broken = createSandbox({ runtimeDir, bwrapPath: '/bin/false', limits: ATTACK_LIMITS });
      await rejectsSandboxUnavailable(
        broken.request({ mode: 'probe' }),
        /bubblewrap could not create the sandbox \(exit code 1/,
      );
    });

    it('when bubblewrap rejects its arguments (e.g. a runtime it cannot bind)', async () => {
      const broken = createSandbox({ runtimeDir, bwrapPath, limits: ATTACK_LIMITS });
      // a tmpfs of size 0 is refused by bubblewrap itself, before anything runs
      await rejectsSandboxUnavailable(
        broken.request({ mode: 'probe' }, { tmpBytes: 0 }),
        /bubblewrap could not create the sandbox.*bwrap:/s,
      );
    });

    it('when the given cgroup parent is a plain directory, which would limit nothing', async () => {
      const broken = createSandbox({ runtimeDir, bwrapPath, limits: ATTACK_LIMITS, cgroupParent: os.tmpdir() });
      await rejectsSandboxUnavailable(broken.request({ mode: 'probe' }), /is not in a cgroup v2 file system/);
    });

    it('when the processes cannot be limited (an unusable cgroup)', async () => {
      const broken = createSandbox({
        runtimeDir,
        bwrapPath,
        limits: ATTACK_LIMITS,
        cgroupParent: '/nonexistent/cgroup',
      });
      await rejectsSandboxUnavailable(
        broken.request({ mode: 'probe' }),
        /cannot create the per-run cgroups under \/nonexistent\/cgroup/,
      );
    });
  });

  describe('afterwards', () => {
    it('after all that, runs the molecular-weight tool (RDKit): CCO ≈ 46.07', async () => {
      const started = Date.now();
      const outcome = await callTool(sandbox, molecularWeightCode, 'calculate_molecular_weight', { smiles: 'CCO' });
      const reply = expectReply(outcome);
      assert.equal(reply.ok, true, JSON.stringify(reply.error));
      const weight = (reply.output as { molecular_weight: number }).molecular_weight;
      assert.ok(Math.abs(weight - 46.07) < 0.01, `got ${weight}`);
      assert.deepEqual(outcome.exit.limitsHit, []);
      assert.ok(Date.now() - started < 10_000);
    });
  });
});
