/**
 * Writes that are all-or-nothing: an interrupted build or write leaves the old
 * file (or no file), never a truncated one that a later run would trust.
 * Everything is staged next to its destination so the final rename stays on one filesystem.
 */
import fs from 'node:fs/promises';
import path from 'node:path';

/** `mode`: the file's permissions from its first byte (e.g. 0o600 for a secret), not set after the fact. */
export async function writeFileAtomically(filePath: string, content: string, mode?: number): Promise<void> {
  await fs.mkdir(path.dirname(filePath), { recursive: true });
  const staged = `${filePath}.${process.pid}.tmp`;
  try {
    await fs.writeFile(staged, content, mode === undefined ? undefined : { mode });
    await fs.rename(staged, filePath);
  } finally {
    await fs.rm(staged, { force: true });
  }
}

/**
 * Runs `build` with an empty staging directory beside `finalPath`; `build` returns
 * the path of the finished file inside it, which is then renamed onto `finalPath`.
 * Callers must hold the provisioning lock: staging directories left by an
 * interrupted earlier run are deleted here, which is only safe when no one else builds.
 */
export async function installBuiltFile(
  finalPath: string,
  build: (stagingDir: string) => Promise<string>,
): Promise<void> {
  const parent = path.dirname(finalPath);
  const stagingPrefix = `.${path.basename(finalPath)}.staging-`;
  await fs.mkdir(parent, { recursive: true });
  for (const leftover of (await fs.readdir(parent)).filter((name) => name.startsWith(stagingPrefix))) {
    await fs.rm(path.join(parent, leftover), { recursive: true, force: true });
  }
  const stagingDir = await fs.mkdtemp(path.join(parent, stagingPrefix));
  try {
    const builtFile = await build(stagingDir);
    await fs.rename(builtFile, finalPath);
  } finally {
    await fs.rm(stagingDir, { recursive: true, force: true });
  }
}
