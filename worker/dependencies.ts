import type { Config } from '../config';
import path from 'node:path';
import { createDocsIndex, missingDependencyDocs, type DocsIndex } from '../docs-index';
import { toolsmithCacheDir } from '../infra/cache';
import type { ActivityDependencies } from '../activities';
import { createLlmGateway } from '../llm/gateway';
import { createSandboxPool, type SandboxPool } from '../sandbox/pool';
import { sandboxPoolSettings } from '../sandbox/pool-config';
import type { SandboxRunner } from '../sandbox/protocol';
import { createSandbox } from '../sandbox/runner';
import { runtimePackageNames } from '../sandbox/runtime-packages';
import { createMongo, createStores, ensureIndexes, type MongoHandle } from '../store';
import { createWorkerMetrics, type WorkerMetrics } from './metrics';

export interface WorkerDependencies {
  activities: ActivityDependencies;
  mongo: MongoHandle;
  docsIndex: DocsIndex;
  /** the registry behind the worker's /metrics, which the activities, model calls and sandbox runs count into */
  metrics: WorkerMetrics;
  /** the validation's sandboxes (the activities' `sandbox`), with the SANDBOX_* limits */
  sandboxes: SandboxRunner & Pick<SandboxPool, 'verify' | 'close'>;
  /** stops the sandboxes and closes the Mongo client */
  close(): Promise<void>;
}

/** The warm pool, or (SANDBOX_VALIDATION=cold) a new sandbox per run: the same limits either way. */
function validationSandboxes(config: Config): WorkerDependencies['sandboxes'] {
  const settings = sandboxPoolSettings(config, 'worker');
  if (config.sandbox.validation === 'warm') return createSandboxPool(settings);
  return { ...createSandbox(settings), close: async () => undefined };
}

/** Builds the Mongo, model and sandbox clients once per worker process. */
export async function createWorkerDependencies(config: Config): Promise<WorkerDependencies> {
  const mongo = createMongo(config.mongo.url, config.mongo.dbName);
  await ensureIndexes(mongo.db);
  const stores = createStores(mongo.db);
  const metrics = createWorkerMetrics();
  const llm = createLlmGateway(config.llm, (call) => {
    metrics.countModelCall(call);
    return stores.agentSessions.record({
      job_id: call.jobId,
      run_id: call.runId,
      requirement_index: call.requirementIndex,
      step: call.step,
      model: call.model,
      request: call.request,
      response: call.response,
      error: call.error,
      usage: call.usage,
      latency_ms: call.latencyMs,
      created_at: new Date(),
    });
  });
  const sandboxes = metrics.countingRuns(validationSandboxes(config));
  const installedPackages = runtimePackageNames();
  const docsIndex = createDocsIndex({
    pythonPath: path.join(config.sandbox.runtimeDir, 'bin', 'python'),
    cacheDir: toolsmithCacheDir(),
    packages: installedPackages,
  });
  return {
    mongo,
    docsIndex,
    metrics,
    sandboxes,
    async close() {
      await sandboxes.close();
      await mongo.close();
    },
    activities: {
      stores,
      llm,
      sandbox: sandboxes,
      docs: {
        search: (queries, packages) => docsIndex.search(queries, { packages }),
        missingPackages: missingDependencyDocs,
      },
      toolsDir: config.toolsDir,
      installedPackages,
      metrics: metrics.activities,
      costs: metrics.costs,
    },
  };
}
