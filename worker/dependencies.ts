import type { Config } from '../config';
import path from 'node:path';
import { createDocsIndex, missingDependencyDocs, type DocsIndex } from '../docs-index';
import { toolsmithCacheDir } from '../infra/cache';
import type { ActivityDependencies } from '../activities';
import { createLlmGateway } from '../llm/gateway';
import { createSandbox } from '../sandbox/runner';
import { runtimePackageNames } from '../sandbox/runtime-packages';
import { createMongo, createStores, ensureIndexes, type MongoHandle } from '../store';

export const SANDBOX_CPU_SECONDS = 60;
export const SANDBOX_MAX_PROCESSES = 64;

export interface WorkerDependencies {
  activities: ActivityDependencies;
  mongo: MongoHandle;
  docsIndex: DocsIndex;
}

/** Builds the Mongo, model and sandbox clients once per worker process. */
export async function createWorkerDependencies(config: Config): Promise<WorkerDependencies> {
  const mongo = createMongo(config.mongo.url, config.mongo.dbName);
  await ensureIndexes(mongo.db);
  const stores = createStores(mongo.db);
  const llm = createLlmGateway(config.llm, (call) =>
    stores.agentSessions.record({
      job_id: call.jobId,
      requirement_index: call.requirementIndex,
      step: call.step,
      model: call.model,
      request: call.request,
      response: call.response,
      error: call.error,
      usage: call.usage,
      latency_ms: call.latencyMs,
      created_at: new Date(),
    }),
  );
  const sandbox = createSandbox({
    runtimeDir: config.sandbox.runtimeDir,
    bwrapPath: config.sandbox.bwrapPath,
    limits: {
      wallTimeMs: config.sandbox.wallTimeMs,
      memoryMb: config.sandbox.memoryMb,
      outputBytes: config.sandbox.outputBytes,
      cpuSeconds: SANDBOX_CPU_SECONDS,
      processes: SANDBOX_MAX_PROCESSES,
    },
  });
  const installedPackages = runtimePackageNames();
  const docsIndex = createDocsIndex({
    pythonPath: path.join(config.sandbox.runtimeDir, 'bin', 'python'),
    cacheDir: toolsmithCacheDir(),
    packages: installedPackages,
  });
  return {
    mongo,
    docsIndex,
    activities: {
      stores,
      llm,
      sandbox,
      docs: {
        search: (queries, packages) => docsIndex.search(queries, { packages }),
        missingPackages: missingDependencyDocs,
      },
      toolsDir: config.toolsDir,
      installedPackages,
    },
  };
}
