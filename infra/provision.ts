/**
 * Makes sure everything Toolsmith runs on is present, building or installing what
 * is missing into the per-user cache. Every step is idempotent: a warm run only
 * checks, and takes a second or two.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFileAtomically } from './atomic-fs';
import { provisionBubblewrap } from './bubblewrap';
import { toolsmithCacheDir } from './cache';
import { provisionChromium } from './chromium';
import { provisionFerretDb } from './ferretdb-binary';
import { withFileLock } from './file-lock';
import type { Log } from './log';
import { provisionTemporalCli } from './temporal-cli';
import { provisionToolRuntime, type ToolRuntime } from './tool-runtime';

export interface ProvisionNeeds {
  /** The temporal CLI, for the embedded dev server. */
  temporalCli: boolean;
  /** FerretDB, the embedded MongoDB stand-in. */
  ferretDb: boolean;
  /** Chromium, for the web console's browser tests; the service itself never needs it. */
  browser?: boolean;
}

export interface ProvisionedTools {
  temporalCliPath?: string;
  ferretDbPath?: string;
  toolRuntime: ToolRuntime;
  bwrapPath: string;
  chromiumPath?: string;
}

/**
 * What this environment needs provisioned.
 * - FerretDB only when no MONGODB_URL points at a real MongoDB.
 * - The temporal CLI almost always: `npm start` needs it without TEMPORAL_ADDRESS,
 *   and the tests start their own dev servers even when TEMPORAL_ADDRESS is set.
 *   Skipping it takes TEMPORAL_ADDRESS plus TOOLSMITH_SKIP_TEMPORAL_CLI=1, for
 *   running only the API and worker against an existing server.
 * - Chromium only for the tests: `npm test`'s pretest (npm names the script it
 *   runs in npm_lifecycle_event), or TOOLSMITH_PROVISION_BROWSER=1. `npm start`
 *   must not install a browser it never uses.
 */
export function provisionNeedsFromEnv(env: NodeJS.ProcessEnv = process.env): ProvisionNeeds {
  return {
    temporalCli: !(env.TEMPORAL_ADDRESS && env.TOOLSMITH_SKIP_TEMPORAL_CLI === '1'),
    ferretDb: !env.MONGODB_URL,
    browser: env.npm_lifecycle_event === 'pretest' || env.TOOLSMITH_PROVISION_BROWSER === '1',
  };
}

/** Where the last provisioning run recorded its resolved paths, for other processes to read. */
export function provisionManifestPath(): string {
  return path.join(toolsmithCacheDir(), 'provisioned.json');
}

export function readProvisionManifest(): ProvisionedTools | undefined {
  try {
    return JSON.parse(fs.readFileSync(provisionManifestPath(), 'utf8')) as ProvisionedTools;
  } catch {
    return undefined;
  }
}

/**
 * Binaries this run did not need keep the path an earlier run recorded, so a run
 * with MONGODB_URL set does not hide the FerretDB that a test process looks up.
 */
async function writeManifest(tools: ProvisionedTools): Promise<void> {
  const previous = readProvisionManifest();
  const manifest = {
    ...tools,
    temporalCliPath: tools.temporalCliPath ?? previous?.temporalCliPath,
    ferretDbPath: tools.ferretDbPath ?? previous?.ferretDbPath,
    chromiumPath: tools.chromiumPath ?? previous?.chromiumPath,
    provisionedAt: new Date().toISOString(),
  };
  await writeFileAtomically(provisionManifestPath(), `${JSON.stringify(manifest, null, 2)}\n`);
}

function skipped(log: Log, displayName: string, reason: string): undefined {
  log(`${displayName}: not needed (${reason})`);
  return undefined;
}

export async function provision(
  needs: ProvisionNeeds,
  log: Log = (line) => console.log(line),
): Promise<ProvisionedTools> {
  const lockPath = path.join(toolsmithCacheDir(), 'provision.lock');
  const announceWait = (holder: string): void =>
    log(`waiting for another provisioning run (pid ${holder}) to finish; lock: ${lockPath}`);

  return withFileLock(lockPath, announceWait, async () => {
    const tools: ProvisionedTools = {
      temporalCliPath: needs.temporalCli
        ? await provisionTemporalCli(log)
        : skipped(log, 'temporal CLI', 'TEMPORAL_ADDRESS is set'),
      ferretDbPath: needs.ferretDb ? await provisionFerretDb(log) : skipped(log, 'FerretDB', 'MONGODB_URL is set'),
      toolRuntime: await provisionToolRuntime(log),
      bwrapPath: await provisionBubblewrap(log),
      chromiumPath: needs.browser ? await provisionChromium(log) : undefined,
    };
    await writeManifest(tools);
    return tools;
  });
}
