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
import { provisionTemporalTestServer } from './temporal-test-server';
import { provisionToolRuntime, type ToolRuntime } from './tool-runtime';

export interface ProvisionNeeds {
  /** The temporal CLI, for the embedded dev server. */
  temporalCli: boolean;
  /** FerretDB, the embedded MongoDB stand-in. */
  ferretDb: boolean;
  /** Chromium, for the web console's browser tests; the service itself never needs it. */
  browser?: boolean;
  /** Temporal's time-skipping test server, for the unit tier's TestWorkflowEnvironment.createTimeSkipping. */
  temporalTestServer?: boolean;
}

export interface ProvisionedTools {
  temporalCliPath?: string;
  ferretDbPath?: string;
  toolRuntime: ToolRuntime;
  bwrapPath: string;
  chromiumPath?: string;
  temporalTestServerPath?: string;
}

/**
 * What provisioned.json holds: every path some run recorded. A unit-tier run records only the
 * test server, so on a fresh machine the other fields may be missing.
 */
export type ProvisionManifest = Partial<ProvisionedTools> & { provisionedAt?: string };

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
 * - The time-skipping test server likewise only for the tests: `pretest`, `pretest:unit`, or
 *   TOOLSMITH_PROVISION_TEST_SERVER=1.
 */
export function provisionNeedsFromEnv(env: NodeJS.ProcessEnv = process.env): ProvisionNeeds {
  return {
    temporalCli: !(env.TEMPORAL_ADDRESS && env.TOOLSMITH_SKIP_TEMPORAL_CLI === '1'),
    ferretDb: !env.MONGODB_URL,
    browser: env.npm_lifecycle_event === 'pretest' || env.TOOLSMITH_PROVISION_BROWSER === '1',
    temporalTestServer:
      env.npm_lifecycle_event === 'pretest' ||
      env.npm_lifecycle_event === 'pretest:unit' ||
      env.TOOLSMITH_PROVISION_TEST_SERVER === '1',
  };
}

/** Where the last provisioning run recorded its resolved paths, for other processes to read. */
export function provisionManifestPath(): string {
  return path.join(toolsmithCacheDir(), 'provisioned.json');
}

export function readProvisionManifest(): ProvisionManifest | undefined {
  try {
    return JSON.parse(fs.readFileSync(provisionManifestPath(), 'utf8')) as ProvisionManifest;
  } catch {
    return undefined;
  }
}

/**
 * Binaries this run did not need keep the path an earlier run recorded, so a run
 * with MONGODB_URL set does not hide the FerretDB that a test process looks up
 * (and a unit-tier run, which provisions only the test server, hides nothing).
 */
async function writeManifest(tools: Partial<ProvisionedTools>): Promise<void> {
  const previous = readProvisionManifest();
  const manifest: ProvisionManifest = {
    ...previous,
    ...tools,
    temporalCliPath: tools.temporalCliPath ?? previous?.temporalCliPath,
    ferretDbPath: tools.ferretDbPath ?? previous?.ferretDbPath,
    chromiumPath: tools.chromiumPath ?? previous?.chromiumPath,
    temporalTestServerPath: tools.temporalTestServerPath ?? previous?.temporalTestServerPath,
    provisionedAt: new Date().toISOString(),
  };
  await writeFileAtomically(provisionManifestPath(), `${JSON.stringify(manifest, null, 2)}\n`);
}

function skipped(log: Log, displayName: string, reason: string): undefined {
  log(`${displayName}: not needed (${reason})`);
  return undefined;
}

/** Runs `body` holding the provisioning lock, so no two runs build into the cache at once. */
function underProvisionLock<T>(log: Log, body: () => Promise<T>): Promise<T> {
  const lockPath = path.join(toolsmithCacheDir(), 'provision.lock');
  const announceWait = (holder: string): void =>
    log(`waiting for another provisioning run (pid ${holder}) to finish; lock: ${lockPath}`);
  return withFileLock(lockPath, announceWait, body);
}

export async function provision(
  needs: ProvisionNeeds,
  log: Log = (line) => console.log(line),
): Promise<ProvisionedTools> {
  return underProvisionLock(log, async () => {
    const tools: ProvisionedTools = {
      temporalCliPath: needs.temporalCli
        ? await provisionTemporalCli(log)
        : skipped(log, 'temporal CLI', 'TEMPORAL_ADDRESS is set'),
      ferretDbPath: needs.ferretDb ? await provisionFerretDb(log) : skipped(log, 'FerretDB', 'MONGODB_URL is set'),
      toolRuntime: await provisionToolRuntime(log),
      bwrapPath: await provisionBubblewrap(log),
      chromiumPath: needs.browser ? await provisionChromium(log) : undefined,
      temporalTestServerPath: needs.temporalTestServer ? await provisionTemporalTestServer(log) : undefined,
    };
    await writeManifest(tools);
    return tools;
  });
}

/**
 * The unit tier's provisioning (`pretest:unit`): only the time-skipping test server, so a fresh
 * machine runs the unit tests without building the Go binaries or the Python runtime first.
 * Returns the test server's path, which it also records in the manifest.
 */
export async function provisionUnitTier(log: Log = (line) => console.log(line)): Promise<string> {
  return underProvisionLock(log, async () => {
    const temporalTestServerPath = await provisionTemporalTestServer(log);
    await writeManifest({ temporalTestServerPath });
    return temporalTestServerPath;
  });
}
