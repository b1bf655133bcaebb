import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { ObjectId } from 'mongodb';
import { loadConfig, type Config } from '../config';
import { startFerretDb } from '../infra/ferretdb';
import { findFreePort } from '../infra/child-process';
import { DEV_SERVER_TUNING } from '../infra/temporal-dev-server';
import { provision, type ProvisionedTools } from '../infra/provision';
import type { MongoHandle, Stores } from '../store';
import { startWebServer } from '../api/web-server';
import { createToolsmithWorkers, type ToolsmithWorkers } from '../worker/create-worker';
import { createWorkerDependencies } from '../worker/dependencies';
import { toolsmithSearchAttributes } from '../workflows/search-attributes';
import { forgetApiKey, useApiKey } from './http';
import { startScriptedModel, type ModelScript, type ScriptedModel } from './scripted-model';

let provisioned: Promise<ProvisionedTools> | undefined;

/** Provisioning is idempotent but not free: once per test process. */
export function provisionedTools(): Promise<ProvisionedTools> {
  provisioned ??= provision({ temporalCli: true, ferretDb: !process.env.MONGODB_URL }, () => undefined);
  return provisioned;
}

export interface MongoServer {
  url: string;
  kill(): Promise<void>;
}

const PORT_ATTEMPTS = 5;

/**
 * A free port can be taken between finding it and binding it (a Temporal dev server starting beside
 * it picks its own ports): try another one then.
 */
async function startFerretDbOnSomeFreePort(binaryPath: string, dataDir: string) {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await startFerretDb({ binaryPath, dataDir, port: await findFreePort() });
    } catch (error) {
      if (attempt === PORT_ATTEMPTS || !/already listening|address already in use/i.test(String(error))) throw error;
    }
  }
}

/** A real MongoDB-protocol server for one suite: MONGODB_URL when given, else a fresh FerretDB. */
export async function startMongoServer(): Promise<MongoServer> {
  if (process.env.MONGODB_URL) return { url: process.env.MONGODB_URL, kill: async () => undefined };
  const tools = await provisionedTools();
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-ferretdb-'));
  const ferret = await startFerretDbOnSomeFreePort(tools.ferretDbPath!, dataDir);
  return {
    url: ferret.url,
    kill: async () => {
      await ferret.stop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

/** the client of the stack's own API key */
export const TEST_CLIENT_ID = 'test-client';

export interface TestStack {
  apiUrl: string;
  model: ScriptedModel;
  config: Config;
  env: TestWorkflowEnvironment;
  mongo: MongoHandle;
  stores: Stores;
  mongoServer: MongoServer;
  toolsDir: string;
  tools: ProvisionedTools;
  /** the environment the service was configured from, for starting worker processes */
  serviceEnv: Record<string, string>;
  /** the in-process worker's /metrics (absent with `inProcessWorker: false`) */
  workerMetricsUrl?: string;
  /** the client the stack's own key acts for: what the tests' requests carry by default (dev/http.ts) */
  clientId: string;
  apiKey: string;
  /** a key for another client, to act as that client */
  createApiKey(clientId: string): Promise<string>;
  /** stops the worker and the Temporal dev server for good, as an outage would */
  killTemporal(): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  script: ModelScript;
  /** environment overrides for the service's config (e.g. OPENAI_API_KEY: '') */
  env?: Record<string, string>;
  /** false: no worker in this process; the test runs worker processes itself (with `serviceEnv`) */
  inProcessWorker?: boolean;
  /** the dev server as earlier versions ran it, without DEV_SERVER_TUNING: the benchmark's comparison */
  untunedTemporal?: boolean;
  /** the dev server keeps its state in this SQLite file, as `npm start`'s does (default: in memory) */
  temporalDbFile?: string;
}

/**
 * The whole service on real infrastructure: a Temporal dev server (the provisioned CLI), a
 * MongoDB-protocol server, the worker with the real sandbox, and the API on a free port. Only the
 * model is scripted.
 */
export async function startTestStack(options: StackOptions): Promise<TestStack> {
  const tools = await provisionedTools();
  const [mongoServer, model, env] = await Promise.all([
    startMongoServer(),
    startScriptedModel(options.script),
    TestWorkflowEnvironment.createLocal({
      server: {
        executable: { type: 'existing-path', path: tools.temporalCliPath! },
        ip: '127.0.0.1',
        searchAttributes: [...toolsmithSearchAttributes],
        // as `npm start` runs it
        extraArgs: options.untunedTemporal ? [] : DEV_SERVER_TUNING,
        ...(options.temporalDbFile ? { dbFilename: options.temporalDbFile } : {}),
      },
    }),
  ]);
  const toolsDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-tools-'));
  const serviceEnv: Record<string, string> = {
    HOST: '127.0.0.1',
    PORT: '0',
    MONGODB_URL: mongoServer.url,
    MONGODB_DB_NAME: `toolsmith_test_${new ObjectId().toHexString()}`,
    TEMPORAL_ADDRESS: env.address,
    TEMPORAL_TASK_QUEUE: `test-${new ObjectId().toHexString()}`,
    OPENAI_API_KEY: 'scripted-test-key',
    OPENAI_BASE_URL: model.baseUrl,
    OPENAI_MODEL: 'scripted-model',
    TOOL_RUNTIME_DIR: tools.toolRuntime.venvDir,
    BWRAP_PATH: tools.bwrapPath,
    TOOLS_DIR: toolsDir,
    // Suites poll and run jobs side by side far beyond a person's pace; test/api/rate-limits.test.ts sets small limits.
    RATE_LIMIT_PER_MINUTE: '100000',
    MAX_RUNNING_JOBS_PER_CLIENT: '50',
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent',
    WORKER_METRICS_PORT: '0',
    TEMPORAL_METRICS_PORT: '0',
    ...options.env,
  };
  const config = loadConfig(serviceEnv);

  const workerDependencies = await createWorkerDependencies(config);
  let worker: ToolsmithWorkers | undefined;
  let workerRun: Promise<void> | undefined;
  if (options.inProcessWorker !== false) {
    worker = await createToolsmithWorkers({
      connection: env.nativeConnection,
      config,
      dependencies: workerDependencies,
    });
    workerRun = worker.run();
  }

  const server = await startWebServer(
    config,
    { client: env.client, connection: env.connection },
    { mongoServerSelectionMs: 2_000 },
  );
  const createApiKey = async (clientId: string) => (await server.stores.apiKeys.create(clientId)).key;
  const apiKey = await createApiKey(TEST_CLIENT_ID);
  useApiKey(server.url, apiKey);

  let temporalStopped = false;
  const stopWorker = async () => {
    worker?.shutdown();
    await workerRun;
  };
  const stopTemporal = async () => {
    if (temporalStopped) return;
    temporalStopped = true;
    await env.teardown();
  };

  return {
    apiUrl: `${server.url}/api/v1`,
    model,
    config,
    env,
    mongo: server.mongo,
    stores: server.stores,
    mongoServer,
    toolsDir,
    tools,
    serviceEnv,
    workerMetricsUrl: worker?.metricsUrl,
    clientId: TEST_CLIENT_ID,
    apiKey,
    createApiKey,
    async killTemporal() {
      await stopWorker();
      await stopTemporal();
    },
    async stop() {
      forgetApiKey(server.url);
      await server.close();
      await stopWorker();
      await Promise.all([workerDependencies.close(), model.close()]);
      await stopTemporal();
      await mongoServer.kill();
      await rm(toolsDir, { recursive: true, force: true });
    },
  };
}

/**
 * Mocha hooks for a suite that shares one stack: started before the suite, its scripted model
 * reset to `script` (with no calls recorded) before each test, stopped after the suite.
 */
export function useTestStack(script: ModelScript): () => TestStack {
  let stack: TestStack | undefined;
  before(async () => {
    stack = await startTestStack({ script });
  });
  beforeEach(() => {
    stack!.model.calls.length = 0;
    stack!.model.setScript(script);
  });
  after(async () => stack?.stop());
  return () => stack!;
}
