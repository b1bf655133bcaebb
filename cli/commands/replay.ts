import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { CliError } from '../api-client';

const PROJECT_ROOT = path.resolve(__dirname, '..', '..');

function hasReplayScript(): boolean {
  try {
    const manifest = JSON.parse(readFileSync(path.join(PROJECT_ROOT, 'package.json'), 'utf8'));
    return typeof manifest.scripts?.replay === 'string';
  } catch {
    return false;
  }
}

/**
 * Replay runs workflow histories locally against Temporal, not through the HTTP API, so it lives
 * in the project's `npm run replay`; the CLI only forwards to it and passes its exit code on.
 */
export async function replayCommand(jobId: string | undefined, options: { allFailed?: boolean }): Promise<number> {
  if (Boolean(jobId) === Boolean(options.allFailed)) {
    throw new CliError('Give either a job id or --all-failed (not both).', 'INVALID_ARGUMENTS');
  }
  if (!hasReplayScript()) {
    throw new CliError(
      `Replay is not available in this checkout: ${PROJECT_ROOT}/package.json has no "replay" script.`,
      'REPLAY_UNAVAILABLE',
    );
  }
  const args = jobId ? [jobId] : ['--all-failed'];
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  return new Promise<number>((resolve, reject) => {
    const child = spawn(npm, ['run', '--silent', 'replay', '--', ...args], { cwd: PROJECT_ROOT, stdio: 'inherit' });
    child.on('error', (error) =>
      reject(new CliError(`Could not run npm run replay: ${error.message}.`, 'REPLAY_UNAVAILABLE')),
    );
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  });
}
