/**
 * A cross-process lock, so two provisioning runs (say `npm start` and `npm test`
 * started together) do not build into the same venv or binary at once.
 *
 * A lock is taken over when its holder is gone: either no process has the pid
 * written in it (a run killed by Ctrl-C), or the holder stopped refreshing the
 * file's mtime (the pid alone is not proof of life: after a machine restart
 * another process may have it).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';

const HEARTBEAT_MS = 2_000;
const STALE_AFTER_MS = 15_000;
const RETRY_MS = 500;

async function tryCreate(lockPath: string): Promise<boolean> {
  try {
    await fs.writeFile(lockPath, `${process.pid}\n`, { flag: 'wx' });
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
}

function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/** The holder's pid as written in the lock, and whether the holder is gone. */
async function inspect(lockPath: string): Promise<{ holder: string; stale: boolean } | undefined> {
  try {
    const [content, stats] = await Promise.all([fs.readFile(lockPath, 'utf8'), fs.stat(lockPath)]);
    const holder = content.trim();
    const holderExited = /^\d+$/.test(holder) && !isRunning(Number(holder));
    return { holder: holder || 'unknown', stale: holderExited || Date.now() - stats.mtimeMs > STALE_AFTER_MS };
  } catch {
    return undefined; // released between our attempt and now: just retry
  }
}

export async function withFileLock<T>(
  lockPath: string,
  onWait: (holderPid: string) => void,
  work: () => Promise<T>,
): Promise<T> {
  await fs.mkdir(path.dirname(lockPath), { recursive: true });
  let announcedWait = false;
  while (!(await tryCreate(lockPath))) {
    const lock = await inspect(lockPath);
    if (lock?.stale) {
      await fs.rm(lockPath, { force: true });
      continue;
    }
    if (lock && !announcedWait) {
      onWait(lock.holder);
      announcedWait = true;
    }
    await sleep(RETRY_MS);
  }

  const heartbeat = setInterval(() => {
    const now = new Date();
    fs.utimes(lockPath, now, now).catch(() => {});
  }, HEARTBEAT_MS);
  heartbeat.unref();
  try {
    return await work();
  } finally {
    clearInterval(heartbeat);
    await fs.rm(lockPath, { force: true });
  }
}
