import assert from 'node:assert/strict';
import { chmodSync, existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createValidateActivity } from '../../activities/validate';
import { SANDBOX_UNAVAILABLE, ServiceError } from '../../contract';
import { toImplementedTool, toolImplementationSchema } from '../../llm/schemas';
import type { SandboxLimits } from '../../sandbox/limits';
import { createSandboxPool, type SandboxPool, type SandboxPoolSettings } from '../../sandbox/pool';
import { callTool, runToolTests, type ToolCallReply } from '../../sandbox/protocol';
import { createSandbox } from '../../sandbox/runner';
import type { Stores } from '../../store';
import { molecularWeightCode, standardCatalogue } from '../../dev/canned-tools';
import { provisionedTools } from '../../dev/stack';
import { ATTACK_LIMITS, outputOf, problemOf, replyOf, toolSource } from '../helpers/sandbox-attacks';

/**
 * The warm path (issue 7, item 3): a pool of bubblewrap sandboxes whose zygote forks a fresh
 * worker per call. What only the pool does: a fresh process per call with nothing of the call
 * before it left (every attack here runs in a sandbox the next call will use), a zygote no call
 * can reach, queueing at capacity, the validate activity's path, and close(). The attacks and
 * limits both runners are held to, and failing closed, are attacks.test.ts.
 */

/** Processes in this test process's run cgroups (cold or warm), with their cgroup and command line. */
function ownSandboxProcesses(): Map<number, { cgroup: string; cmdline: string }> {
  const found = new Map<number, { cgroup: string; cmdline: string }>();
  const pattern = new RegExp(`toolsmith-${process.pid}-\\d+`);
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const cgroup = pattern.exec(readFileSync(`/proc/${entry}/cgroup`, 'utf8'))?.[0];
      if (!cgroup) continue;
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
      found.set(Number(entry), { cgroup, cmdline });
    } catch {
      // gone meanwhile
    }
  }
  return found;
}

describe('sandbox pool: warm sandboxes, a fresh forked process per call', function () {
  this.timeout(120_000);
  let base: Pick<SandboxPoolSettings, 'runtimeDir' | 'bwrapPath' | 'limits'>;
  /** one sandbox: every call of a test runs where the one before it ran */
  let pool: SandboxPool;
  const pools: SandboxPool[] = [];
  const newPool = (settings: Partial<SandboxPoolSettings> = {}) => {
    const created = createSandboxPool({ ...base, ...settings });
    pools.push(created);
    return created;
  };
  const call = (source: string, overrides: Partial<SandboxLimits> = {}, signal?: AbortSignal, on = pool) =>
    on.request<ToolCallReply>({ mode: 'call', source, functionName: 'f', input: {} }, overrides, signal);
  const molecularWeight = (smiles: string, on: SandboxPool = pool) =>
    callTool(on, molecularWeightCode, 'calculate_molecular_weight', { smiles });
  const assertHealthy = async (on: SandboxPool = pool) => {
    const weight = (outputOf(await molecularWeight('CCO', on)) as { molecular_weight: number }).molecular_weight;
    assert.ok(Math.abs(weight - 46.07) < 0.01, `got ${weight}`);
  };

  before(async () => {
    const tools = await provisionedTools();
    base = { runtimeDir: tools.toolRuntime.venvDir, bwrapPath: tools.bwrapPath, limits: ATTACK_LIMITS };
    pool = newPool({ size: 1, minWarm: 1, queueTimeoutMs: 30_000 });
    await pool.warm();
  });

  after(async () => {
    await Promise.all(pools.map((each) => each.close()));
  });

  it('starts warm: after warm() one sandbox is idle before any call', () => {
    assert.deepEqual([pool.stats().idle, pool.stats().started], [1, 1]);
  });

  it('runs the molecular-weight tool: CCO ≈ 46.07 twice, an invalid SMILES gives its ValueError', async () => {
    for (let round = 0; round < 2; round += 1) {
      const outcome = await molecularWeight('CCO');
      const weight = (outputOf(outcome) as { molecular_weight: number }).molecular_weight;
      assert.ok(Math.abs(weight - 46.07) < 0.01, `got ${weight}`);
      assert.deepEqual(outcome.exit.limitsHit, []);
    }
    const invalid = replyOf(await molecularWeight('not-a-molecule'));
    assert.equal(invalid.ok, false);
    assert.equal(invalid.error?.type, 'ValueError');
    assert.match(invalid.error?.message ?? '', /Invalid SMILES string/);
  });

  it("returns the tool's own stdout and stderr, apart from the reply", async () => {
    const outcome = await call(
      toolSource(`print("to stdout")\nprint("to stderr", file=sys.stderr)\nreturn 1`, 'import sys'),
    );
    assert.equal(outputOf(outcome), 1);
    assert.equal(outcome.exit.stdout, 'to stdout\n');
    assert.equal(outcome.exit.stderr, 'to stderr\n');
  });

  describe('isolation between calls in the same sandbox', () => {
    it('sees no file, module global, environment variable, SysV IPC object or process of the call before', async () => {
      const { started, retired } = pool.stats();
      const leave = toolSource(
        `
import ctypes, random, sys, time
import rdkit.Chem
global COUNTER
COUNTER = globals().get("COUNTER", 0) + 1
rdkit.Chem.__dict__["TOOLSMITH_LEFT_BEHIND"] = rdkit.Chem.__dict__.get("TOOLSMITH_LEFT_BEHIND", 0) + 1
sys.modules["json"].TOOLSMITH_LEFT_BEHIND = True
os.environ["TOOLSMITH_LEFT_BEHIND"] = "1"
for path in ["/tmp/marker", "/dev/shm/marker"]:
    with open(path, "w") as handle:
        handle.write("left behind")
os.makedirs("/tmp/locked/deeper")
open("/tmp/locked/deeper/file", "w").close()
os.chmod("/tmp/locked/deeper", 0)
os.chmod("/tmp/locked", 0)
os.setxattr("/tmp", "user.left_behind", b"1")
os.chmod("/tmp", 0o700)
libc = ctypes.CDLL(None, use_errno=True)
assert libc.shmget(0x70015, 4096, 0o1600) >= 0
assert libc.msgget(0x70016, 0o1600) >= 0
assert libc.semget(0x70017, 1, 0o1600) >= 0
if os.fork() == 0:
    os.setsid()
    time.sleep(300)
    os._exit(0)
return {"counter": COUNTER, "random": random.random()}`,
        'import os',
      );
      const first = outputOf(await call(leave)) as { counter: number; random: number };
      assert.equal(first.counter, 1);

      const look = toolSource(`
import ctypes, json, random, sys
import rdkit.Chem
import numpy
found = {}
found["files"] = sorted(os.listdir("/tmp")) + sorted(os.listdir("/dev/shm"))
found["tmp mode"] = oct(os.stat("/tmp").st_mode & 0o777)
found["tmp xattrs"] = os.listxattr("/tmp")
found["module global"] = globals().get("COUNTER")
found["preloaded module"] = rdkit.Chem.__dict__.get("TOOLSMITH_LEFT_BEHIND")
found["harness module"] = getattr(sys.modules["json"], "TOOLSMITH_LEFT_BEHIND", None)
found["environment"] = os.environ.get("TOOLSMITH_LEFT_BEHIND")
found["sysv"] = [len(open(f"/proc/sysvipc/{kind}").readlines()) - 1 for kind in ("shm", "msg", "sem")]
found["processes"] = sorted(int(pid) for pid in os.listdir("/proc") if pid.isdigit() and int(pid) not in (1, os.getpid()))
found["random"] = random.random()
found["numpy random"] = float(numpy.random.random())
return found`);
      const seen = outputOf(await call(look)) as Record<string, unknown>;
      assert.deepEqual(
        { ...seen, random: undefined, 'numpy random': undefined },
        {
          files: ['tool'], // this call's own module, /tmp/tool/generated_tool.py
          'tmp mode': '0o755',
          'tmp xattrs': [],
          'module global': null,
          'preloaded module': null,
          'harness module': null,
          environment: null,
          sysv: [0, 0, 0],
          processes: [],
          random: undefined,
          'numpy random': undefined,
        },
      );
      assert.notEqual(seen.random, first.random, 'each call gets its own random state');
      const again = outputOf(await call(look)) as Record<string, unknown>;
      assert.notEqual(again['numpy random'], seen['numpy random']);
      assert.deepEqual(pool.stats(), { ...pool.stats(), started, retired }, 'the same sandbox, found clean');
    });

    it('cannot attach to, read, steal from or kill the zygote (PID 1), nor use the kernel keyrings', async () => {
      const { started, retired } = pool.stats();
      const attempts = toolSource(
        `
import ctypes, errno, platform, signal, time
libc = ctypes.CDLL(None, use_errno=True)
add_key, keyctl = {"x86_64": (248, 250), "aarch64": (217, 219)}[platform.machine()]
def attempt(action):
    try:
        result = action()
        return "allowed" if result is None or result >= 0 else errno.errorcode[ctypes.get_errno()]
    except OSError as error:
        return errno.errorcode[error.errno]
found = {}
found["ptrace attach"] = attempt(lambda: libc.ptrace(16, 1, None, None))
found["ptrace seize"] = attempt(lambda: libc.ptrace(0x4206, 1, None, None))
found["mem"] = attempt(lambda: open("/proc/1/mem", "rb").read(1) and None)
found["environ"] = attempt(lambda: open("/proc/1/environ", "rb").read(1) and None)
found["fd 0 (the requests)"] = attempt(lambda: os.open("/proc/1/fd/0", os.O_RDONLY))
found["fd 3"] = attempt(lambda: os.open("/proc/1/fd/3", os.O_WRONLY))
pidfd = os.pidfd_open(1)
found["pidfd_getfd"] = attempt(lambda: libc.syscall(438, pidfd, 0, 0))
found["keyctl"] = attempt(lambda: libc.syscall(keyctl, 0, -4, 0))
found["add_key"] = attempt(lambda: libc.syscall(add_key, b"user", b"left", b"behind", 6, -4))
for name in ("SIGKILL", "SIGSTOP", "SIGTERM", "SIGINT"):
    os.kill(1, getattr(signal, name))
time.sleep(0.2)
found["zygote state"] = [line.split()[1] for line in open("/proc/1/status") if line.startswith("State:")][0]
return found`,
        'import os',
      );
      const found = outputOf(await call(attempts)) as Record<string, string>;
      assert.deepEqual(found, {
        'ptrace attach': 'EPERM',
        'ptrace seize': 'EPERM',
        mem: 'EACCES',
        environ: 'EACCES',
        'fd 0 (the requests)': 'EACCES',
        'fd 3': 'EACCES',
        pidfd_getfd: 'EPERM',
        keyctl: 'EPERM',
        add_key: 'EPERM',
        'zygote state': found['zygote state'] === 'R' ? 'R' : 'S',
      });
      await assertHealthy();
      assert.deepEqual(pool.stats(), { ...pool.stats(), started, retired }, 'the same sandbox, found clean');
    });

    it("a call that changed its /dev/null leaves the host's untouched, and the next call finds its own intact", async () => {
      const { retired } = pool.stats();
      const hostMode = statSync('/dev/null').mode;
      const tamper = toolSource(`
os.chmod("/dev/null", 0o644)
os.utime("/dev/null", (1, 1))
return oct(os.stat("/dev/null").st_mode & 0o777)`);
      try {
        assert.equal(outputOf(await call(tamper)), '0o644', 'a call may change its own /dev/null');
        assert.equal(statSync('/dev/null').mode, hostMode, "the host's /dev/null is untouched");
      } finally {
        if (statSync('/dev/null').mode !== hostMode) chmodSync('/dev/null', hostMode & 0o7777);
      }
      const look = toolSource(`
st = os.stat("/dev/null")
with open("/dev/null", "w") as null:
    null.write("still a sink")
return [oct(st.st_mode & 0o777), st.st_mtime > 1]`);
      assert.deepEqual(outputOf(await call(look)), ['0o666', true]);
      assert.equal(pool.stats().retired, retired, 'restored by the zygote, not retired');
    });

    it('retires a sandbox whose zygote a call changed (its limits, priority), and the next call runs in a fresh one', async () => {
      const { started, retired } = pool.stats();
      const change = toolSource(
        `
resource.prlimit(1, resource.RLIMIT_NOFILE, (64, 64))
os.setpriority(os.PRIO_PROCESS, 1, 19)
return [resource.prlimit(1, resource.RLIMIT_NOFILE), os.getpriority(os.PRIO_PROCESS, 1)]`,
        'import os, resource',
      );
      assert.deepEqual(outputOf(await call(change)), [[64, 64], 19]);
      const check = toolSource(
        `return [resource.getrlimit(resource.RLIMIT_NOFILE)[0] != 64, os.getpriority(os.PRIO_PROCESS, 0)]`,
        'import os, resource',
      );
      assert.deepEqual(outputOf(await call(check)), [true, 0]);
      const stats = pool.stats();
      assert.equal(stats.retired, retired + 1, 'the tainted sandbox was retired');
      assert.equal(stats.started, started + 1, 'and replaced');
    });

    it('kill(-1, SIGKILL) and killing its parent reach neither the zygote nor the next call', async () => {
      const { retired } = pool.stats();
      const source = toolSource(
        `
try:
    os.kill(-1, signal.SIGKILL)
except ProcessLookupError:
    pass
os.kill(os.getppid(), signal.SIGKILL)
return os.getppid()`,
        'import os, signal',
      );
      assert.equal(outputOf(await call(source)), 1, 'its parent is the zygote, PID 1');
      assert.equal(pool.stats().retired, retired);
      await assertHealthy();
    });
  });

  describe('at capacity', () => {
    const slow = toolSource('time.sleep(2)\nreturn "slow"', 'import time');

    it('a call that finds every sandbox busy past the queue timeout gets SERVICE_UNAVAILABLE, retryable', async () => {
      const small = newPool({ size: 1, queueTimeoutMs: 200 });
      const inFlight = call(slow, {}, undefined, small);
      await waitUntil(() => small.stats().busy === 1);
      await assert.rejects(call(toolSource('return 1'), {}, undefined, small), (error: unknown) => {
        assert.ok(error instanceof ServiceError, String(error));
        assert.equal(error.code, 'SERVICE_UNAVAILABLE');
        assert.equal(error.retryable, true);
        assert.ok((error.retryAfterMs ?? 0) > 0);
        assert.match(error.message, /at capacity: 1 of 1 sandboxes are busy/);
        return true;
      });
      assert.equal(outputOf(await inFlight), 'slow');
      assert.equal(small.stats().queued, 0);
    });

    it('a sandbox still starting is waited for, even with no queue at all: start-up is not capacity', async () => {
      const unqueued = newPool({ size: 1, minWarm: 1, queueTimeoutMs: 0 });
      const warming = unqueued.warm();
      await waitUntil(() => unqueued.stats().starting === 1);
      assert.equal(outputOf(await call(toolSource('return "first"'), {}, undefined, unqueued)), 'first');
      await warming;
    });

    it('a client calling one call after another is never refused, even with no queue', async () => {
      const unqueued = newPool({ size: 1, minWarm: 1, queueTimeoutMs: 0 });
      await unqueued.warm();
      for (let index = 0; index < 20; index += 1) {
        assert.equal(outputOf(await call(toolSource(`return ${index}`), {}, undefined, unqueued)), index);
      }
    });

    it('with a longer queue timeout it waits its turn and succeeds; an aborted waiter leaves the queue', async () => {
      const patient = newPool({ size: 1, queueTimeoutMs: 20_000 });
      const first = call(slow, {}, undefined, patient);
      await waitUntil(() => patient.stats().busy === 1);
      const second = call(toolSource('return "second"'), {}, undefined, patient);
      const controller = new AbortController();
      const third = call(toolSource('return "third"'), {}, controller.signal, patient);
      await waitUntil(() => patient.stats().queued === 2);
      controller.abort(new Error('the client went away'));
      await assert.rejects(third, /the client went away/);
      assert.equal(patient.stats().queued, 1);
      assert.equal(outputOf(await first), 'slow');
      assert.equal(outputOf(await second), 'second');
    });
  });

  it("the validate activity's path: runToolTests gives the cold sandbox's results for the canned tools", async () => {
    const cold = createSandbox(base);
    for (const canned of standardCatalogue) {
      const { functionName } = canned.plan as { functionName: string };
      for (const implementation of canned.implementations) {
        const tool = toImplementedTool(toolImplementationSchema.parse(implementation));
        const [coldRun, warmRun] = await Promise.all([
          runToolTests(cold, tool.code, functionName, tool.testCases),
          runToolTests(pool, tool.code, functionName, tool.testCases),
        ]);
        assert.ok(coldRun.ok && warmRun.ok, `${functionName}: ${problemOf(coldRun)} ${problemOf(warmRun)}`);
        const random = functionName === 'predict_lottery_numbers';
        const comparable = (reply: typeof coldRun.reply) => ({
          ...reply,
          results: reply.results.map((result) => ({ ...result, actual: random ? undefined : result.actual })),
        });
        assert.deepEqual(comparable(warmRun.reply), comparable(coldRun.reply), functionName);
      }
    }
  });

  it('the validate activity runs its tests in the pool, and its cancellation stops them', async () => {
    const implementation = (code: string) =>
      toImplementedTool(
        toolImplementationSchema.parse({
          ...(standardCatalogue[1]!.implementations[0] as object),
          code,
        }),
      );
    const drafts: Record<string, unknown> = {
      good: implementation(molecularWeightCode),
      slow: implementation('import time\n\ndef calculate_molecular_weight(smiles):\n    time.sleep(30)\n'),
    };
    const stores = { artifacts: { load: async (ref: string) => drafts[ref] } } as unknown as Stores;
    const validateTool = createValidateActivity(pool, stores);
    const input = (draftRef: string) => ({ functionName: 'calculate_molecular_weight', draftRef });
    assert.deepEqual(await new MockActivityEnvironment().run(validateTool, input('good')), {
      verdict: 'passed',
      problems: [],
      testsRun: 2,
      testsPassed: 2,
    });
    const environment = new MockActivityEnvironment();
    const started = Date.now();
    setTimeout(() => environment.cancel('CANCELLED'), 300);
    await assert.rejects(environment.run(validateTool, input('slow')));
    assert.ok(Date.now() - started < 5_000, `stopped after ${Date.now() - started} ms`);
    await assertHealthy();
  });

  it('close() kills every process of the pool and removes its cgroups; later calls fail closed', async () => {
    // the other pools are quiet: every new sandbox process is this pool's
    await waitUntil(() => pools.every((each) => each.stats().starting + each.stats().busy === 0));
    const before = ownSandboxProcesses();
    const closing = newPool({ size: 2, minWarm: 2 });
    await closing.warm();
    await Promise.all([assertHealthy(closing), assertHealthy(closing)]);
    const mine = [...ownSandboxProcesses()].filter(([pid]) => !before.has(pid));
    assert.ok(
      mine.some(([, { cmdline }]) => cmdline.includes('harness.py --serve')),
      `the zygotes are found: ${JSON.stringify(mine)}`,
    );
    await closing.close();
    await closing.close(); // idempotent
    const left = mine.filter(([pid]) => existsSync(`/proc/${pid}`));
    assert.deepEqual(left, [], 'no process of the pool is left');
    for (const cgroup of new Set(mine.map(([, { cgroup }]) => cgroup))) {
      for (const hierarchy of ['/sys/fs/cgroup/pids', '/sys/fs/cgroup/memory', '/sys/fs/cgroup']) {
        if (existsSync(hierarchy)) assert.ok(!findDirectory(hierarchy, cgroup, 3), `${cgroup} is removed`);
      }
    }
    assert.equal(closing.stats().live, 0);
    await assert.rejects(closing.request({ mode: 'probe' }), (error: unknown) => {
      assert.ok(error instanceof ServiceError && error.code === SANDBOX_UNAVAILABLE, String(error));
      return true;
    });
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error('timed out waiting for the pool');
    await sleep(10);
  }
}

/** Whether a directory of this name exists up to `depth` levels below `root`. */
function findDirectory(root: string, name: string, depth: number): boolean {
  let entries;
  try {
    entries = readdirSync(root, { withFileTypes: true });
  } catch {
    return false;
  }
  return entries.some(
    (entry) =>
      entry.isDirectory() &&
      (entry.name === name || (depth > 0 && findDirectory(`${root}/${entry.name}`, name, depth - 1))),
  );
}
