/**
 * What `npm start` runs, read from the environment. Each setting has a default,
 * so a bare `npm start` runs everything embedded with its data under .data/.
 */
import path from 'node:path';
import { defaultDataDir, projectRoot } from './cache';
import { SetupError } from './setup-error';

export interface StartConfig {
  dataDir: string;
  /** TEMPORAL_ADDRESS: an existing server to use instead of the embedded dev server. */
  externalTemporalAddress?: string;
  embeddedTemporal: { port: number; uiPort: number; dbFile: string };
  temporalNamespace: string;
  /** MONGODB_URL: an existing MongoDB to use instead of the embedded FerretDB. */
  externalMongoUrl?: string;
  embeddedMongo: { port: number; dataDir: string };
  toolsDir: string;
  api: { bindHost: string; port: number; command: string[] };
  worker: { command: string[] };
}

function readPort(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new SetupError(`${name} must be a port number (1-65535), got "${raw}"`);
  }
  return port;
}

/**
 * An override is split on whitespace (no quoting), and run without a shell so the
 * supervisor's signals reach the program itself; by default, `tsx <entry point>`.
 */
function readCommand(env: NodeJS.ProcessEnv, name: string, entryPoint: string): string[] {
  const override = env[name]?.trim();
  if (override) return override.split(/\s+/);
  return [path.join(projectRoot(), 'node_modules', '.bin', 'tsx'), entryPoint];
}

export function readStartConfig(env: NodeJS.ProcessEnv = process.env): StartConfig {
  const dataDir = defaultDataDir();
  return {
    dataDir,
    externalTemporalAddress: env.TEMPORAL_ADDRESS || undefined,
    embeddedTemporal: {
      port: readPort(env, 'TEMPORAL_DEV_PORT', 7233),
      uiPort: readPort(env, 'TEMPORAL_UI_PORT', 8233),
      dbFile: path.join(dataDir, 'temporal.db'),
    },
    temporalNamespace: env.TEMPORAL_NAMESPACE || 'default',
    externalMongoUrl: env.MONGODB_URL || undefined,
    embeddedMongo: {
      port: readPort(env, 'EMBEDDED_MONGODB_PORT', 27017),
      dataDir: path.join(dataDir, 'ferretdb'),
    },
    toolsDir: path.resolve(env.TOOLS_DIR || path.join(dataDir, 'tools')),
    api: {
      bindHost: env.HOST || '0.0.0.0',
      port: readPort(env, 'PORT', 8000),
      command: readCommand(env, 'TOOLSMITH_API_COMMAND', 'api/main.ts'),
    },
    worker: { command: readCommand(env, 'TOOLSMITH_WORKER_COMMAND', 'worker/main.ts') },
  };
}
