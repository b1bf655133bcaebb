/**
 * Tying servers' lives to the supervisor's, however it ends. Linux's PR_SET_PDEATHSIG is not
 * reachable from Node, and a SIGKILLed supervisor runs no cleanup, so two mechanisms do it:
 *
 * - Each server runs behind a shell watchdog holding the read end of a pipe (its stdin) whose
 *   only write end is in the supervisor. The kernel closes that end when the supervisor dies, by
 *   any signal, so the watchdog reads EOF at once and SIGKILLs its own process group: the server
 *   and everything it spawned (tsx's inner node, sandboxes). The shell then execs the server, so
 *   the spawned pid is the server itself and signals and exit statuses stay the server's own.
 * - The supervisor notices when its own parent is gone (`npm start` runs it under tsx, which
 *   does not pass a SIGKILL on), by polling process.ppid, which the kernel changes on reparenting.
 */

/**
 * fd 3 keeps the pipe: a background list's stdin would otherwise be /dev/null in a shell without
 * job control. The watchdog drops stdout/stderr so it holds nothing that delays the output's end.
 */
const WATCHDOG_SCRIPT = [
  'exec 3<&0',
  '(cat <&3 >/dev/null 2>&1; kill -s KILL 0) </dev/null >/dev/null 2>&1 &',
  'exec "$@" </dev/null 3<&-',
].join('\n');

/**
 * The command line that runs `command` behind the watchdog. Spawn it as a process group leader
 * with stdin a pipe that this process never writes to, and end that pipe once the child exits.
 */
export function behindParentDeathWatchdog(command: string, args: readonly string[]): [string, string[]] {
  return ['/bin/sh', ['-c', WATCHDOG_SCRIPT, 'parent-death-watchdog', command, ...args]];
}

/** A process started by init (a container's entry point) has no launcher to lose, so it is not watched. */
const NO_LAUNCHER_PIDS = new Set([0, 1]);

/** Calls `onGone` once, within `pollMs`, after the process that started this one has died. */
export function whenParentDies(onGone: () => void, pollMs = 500): void {
  const parentPid = process.ppid;
  if (NO_LAUNCHER_PIDS.has(parentPid)) return;
  const timer = setInterval(() => {
    if (process.ppid === parentPid) return;
    clearInterval(timer);
    onGone();
  }, pollMs);
  timer.unref();
}
