import { spawn, type ChildProcess } from 'node:child_process';
import { DEVICES } from './bwrap';
import type { RunCgroup } from './run-cgroup';

/** Starting bubblewrap, and killing every process of a sandbox: the same for a cold run and a warm sandbox. */

/** bubblewrap exits once its child was killed; if it has not within this, it is killed too */
const BWRAP_EXIT_GRACE_MS = 1_000;

/**
 * Starts bubblewrap in its own process group with an empty environment and four pipes (stdin,
 * stdout, stderr, the harness's channel on fd 3). With a cgroup or devices of its own, a shell
 * joins the cgroup (so every process of the sandbox is inside), makes the device nodes, and execs
 * bubblewrap.
 */
export function spawnSandbox(
  bwrap: string,
  args: string[],
  cgroup: RunCgroup | undefined,
  devices: { mknod: string; dir: string } | undefined,
): ChildProcess {
  const prepareAndExec =
    'n=$1; shift; while [ "$n" -gt 0 ]; do echo $$ > "$1" || { echo "toolsmith: cannot join the cgroup $1" >&2; ' +
    'exit 125; }; shift; n=$((n - 1)); done; ' +
    'm=$1; d=$2; n=$3; shift 3; while [ "$n" -gt 0 ]; do "$m" -m 666 "$d/$1" c "$2" "$3" || { ' +
    'echo "toolsmith: cannot make the device node $d/$1" >&2; exit 125; }; shift 3; n=$((n - 1)); done; exec "$@"';
  const procsFiles = cgroup?.procsFiles ?? [];
  const nodes = devices ? DEVICES : [];
  const [command, argv] =
    cgroup || devices
      ? [
          '/bin/sh',
          [
            '-c',
            prepareAndExec,
            'toolsmith-sandbox',
            String(procsFiles.length),
            ...procsFiles,
            devices?.mknod ?? '',
            devices?.dir ?? '',
            String(nodes.length),
            ...nodes.flatMap(([name, major, minor]) => [name, String(major), String(minor)]),
            bwrap,
            ...args,
          ],
        ]
      : [bwrap, args];
  return spawn(command, argv, {
    stdio: ['pipe', 'pipe', 'pipe', 'pipe'],
    detached: true, // its own process group: killed as a whole
    cwd: '/',
    env: {}, // nothing of ours, not even in bubblewrap's /proc/<pid>/environ
  });
}

function killProcessGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, 'SIGKILL');
  } catch {
    child.kill('SIGKILL');
  }
}

/**
 * Kills every process of a sandbox. With a cgroup, all but bubblewrap outside, which reaps them and
 * exits by itself (killed with them, they would be left to the host's init to reap), and is killed
 * too if it has not within a moment; else bubblewrap's process group (the rest dies with it).
 */
export function killSandbox(child: ChildProcess, cgroup: RunCgroup | undefined): void {
  if (!cgroup || !child.pid) {
    killProcessGroup(child);
    return;
  }
  cgroup.killAll(child.pid);
  if (child.exitCode !== null || child.signalCode !== null) return;
  const fallback = setTimeout(() => {
    killProcessGroup(child);
    cgroup.killAll();
  }, BWRAP_EXIT_GRACE_MS);
  child.once('exit', () => clearTimeout(fallback));
}
