/**
 * Commands that run to completion during provisioning (go build, pip install,
 * version probes). Long ones stream their output so a person sees progress.
 */
import { execFile, spawn, type ExecFileException } from 'node:child_process';
import { forEachLine, OutputTail } from './child-process';
import type { Log } from './log';
import { SetupError } from './setup-error';

export interface CommandSpec {
  command: string;
  args: readonly string[];
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** What is happening, for progress and error lines, e.g. "building FerretDB". */
  activity: string;
  log: Log;
  /** Prepended to every forwarded output line, e.g. "  go |". */
  outputPrefix: string;
}

const QUIET_PROGRESS_INTERVAL_MS = 10_000;

/**
 * Runs a command, forwarding its output line by line. When the command stays
 * silent for a while (go build does), logs the elapsed time so it does not look hung.
 * Throws a SetupError with the output's tail if it fails.
 */
export function runCommand(spec: CommandSpec): Promise<void> {
  const startedAt = Date.now();
  let lastLineAt = startedAt;
  const tail = new OutputTail(30);
  const child = spawn(spec.command, spec.args, {
    cwd: spec.cwd,
    env: spec.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  for (const stream of [child.stdout, child.stderr]) {
    forEachLine(stream, (line) => {
      lastLineAt = Date.now();
      tail.push(line);
      spec.log(`${spec.outputPrefix} ${line}`);
    });
  }
  const progress = setInterval(() => {
    if (Date.now() - lastLineAt < QUIET_PROGRESS_INTERVAL_MS) return;
    spec.log(`${spec.outputPrefix} ... still ${spec.activity} (${Math.round((Date.now() - startedAt) / 1000)} s)`);
  }, QUIET_PROGRESS_INTERVAL_MS);

  return new Promise((resolve, reject) => {
    let spawnError: Error | undefined;
    child.once('error', (error) => (spawnError = error));
    child.once('close', (code, signal) => {
      clearInterval(progress);
      if (code === 0) return resolve();
      const how = spawnError
        ? `could not start ${spec.command}: ${spawnError.message}`
        : `${spec.command} ${signal ? `was killed by ${signal}` : `exited with code ${code}`}`;
      reject(new SetupError(`${spec.activity} failed: ${how}. Last output:\n${tail.toString()}`));
    });
  });
}

export interface ProbeResult {
  ok: boolean;
  stdout: string;
  /** stdout and stderr together, or the spawn error: what to show when `ok` is false. */
  detail: string;
}

function describeProbeFailure(error: ExecFileException): string {
  if (error.killed) return 'timed out';
  if (typeof error.code === 'number') return `exited with code ${error.code}`;
  return error.message; // could not start, e.g. ENOENT
}

/** Runs a short command and reports how it went instead of throwing; for checks like `x --version`. */
export function probeCommand(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ProbeResult> {
  return new Promise((resolve) => {
    execFile(
      command,
      args,
      { env: options.env ?? process.env, cwd: options.cwd, timeout: options.timeoutMs ?? 30_000, encoding: 'utf8' },
      (error, stdout, stderr) => {
        const output = `${stdout}${stderr}`.trim();
        const detail = error ? `${describeProbeFailure(error)}${output ? `: ${output}` : ''}` : output;
        resolve({ ok: !error, stdout: stdout.trim(), detail });
      },
    );
  });
}
