/**
 * What `npm start` runs, from the one configuration (config.ts): each setting has a default, so a
 * bare `npm start` runs everything embedded with its data under .data/. Only the file layout of
 * the embedded servers and the default commands are added here.
 */
import path from 'node:path';
import { loadConfig } from '../config';
import { defaultDataDir, projectRoot } from './cache';

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
  /** port 0: any free port, chosen by `npm start` before it starts the API */
  api: { bindHost: string; port: number; command: string[] };
  worker: { command: string[] };
  /** where the worker serves /metrics (0: a free port it picks itself) */
  workerMetricsPort: number;
  /** when a process that keeps crashing stops being restarted */
  restart: { maxCrashes: number; windowMs: number };
}

const tsx = (entryPoint: string) => [path.join(projectRoot(), 'node_modules', '.bin', 'tsx'), entryPoint];

export function readStartConfig(env: NodeJS.ProcessEnv = process.env): StartConfig {
  const config = loadConfig(env);
  const dataDir = defaultDataDir();
  return {
    dataDir,
    externalTemporalAddress: config.embedded.externalTemporalAddress,
    embeddedTemporal: {
      port: config.embedded.temporalPort,
      uiPort: config.embedded.temporalUiPort,
      dbFile: path.join(dataDir, 'temporal.db'),
    },
    temporalNamespace: config.temporal.namespace,
    externalMongoUrl: config.embedded.externalMongoUrl,
    embeddedMongo: { port: config.embedded.mongoPort, dataDir: path.join(dataDir, 'ferretdb') },
    toolsDir: config.toolsDir,
    api: {
      bindHost: config.http.host,
      port: config.http.port,
      command: config.embedded.apiCommand ?? tsx('api/main.ts'),
    },
    worker: { command: config.embedded.workerCommand ?? tsx('worker/main.ts') },
    workerMetricsPort: config.metrics.workerPort,
    restart: config.embedded.restart,
  };
}
