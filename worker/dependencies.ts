import type { Config } from '../config';
import path from 'node:path';
import { createDocsIndex, missingDependencyDocs, type DocsIndex } from '../docs-index';
import { toolsmithCacheDir } from '../infra/cache';
import type { ActivityDependencies } from '../activities';
import { createLlmGateway, EndpointMemory, type EndpointHabitChange, type LlmSettings } from '../llm/gateway';
import { probeModel, type ProbeResult } from '../llm/probe';
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
  /** one small plan asked of the configured model (llm/probe.ts), sharing what it learns with the jobs' calls */
  probeModel(signal?: AbortSignal): Promise<ProbeResult>;
  /** stops the sandboxes and closes the Mongo client */
  close(): Promise<void>;
}

export interface WorkerDependencyOptions {
  /** where what the gateway learns about the endpoint (a structured-output fallback, max_tokens) is said, once */
  logger?: { warn(fields: object, message: string): void };
}

function describeHabitChange(change: EndpointHabitChange): string {
  return `model endpoint ${change.endpoint}, ${change.model}: ${change.habit} ${change.from} → ${change.to} (${change.reason}); kept for the life of this worker`;
}

/** The warm pool, or (SANDBOX_VALIDATION=cold) a new sandbox per run: the same limits either way. */
function validationSandboxes(config: Config): WorkerDependencies['sandboxes'] {
  const settings = sandboxPoolSettings(config, 'worker');
  if (config.sandbox.validation === 'warm') return createSandboxPool(settings);
  return { ...createSandbox(settings), close: async () => undefined };
}

/** Builds the Mongo, model and sandbox clients once per worker process. */
export async function createWorkerDependencies(
  config: Config,
  options: WorkerDependencyOptions = {},
): Promise<WorkerDependencies> {
  const mongo = createMongo(config.mongo.url, config.mongo.dbName);
  await ensureIndexes(mongo.db);
  const stores = createStores(mongo.db);
  const metrics = createWorkerMetrics();
  const llmSettings: LlmSettings = {
    ...config.llm,
    memory: new EndpointMemory(),
    onModeChange: (change) => options.logger?.warn({ endpointChange: change }, describeHabitChange(change)),
    // every paid call of a tool, counted in MongoDB so the budget holds across retries and workers
    reserveCall: (context) =>
      stores.callBudgets.reserve({
        jobId: context.jobId,
        runId: context.runId,
        requirementIndex: context.requirementIndex!,
      }),
  };
  const llm = createLlmGateway(llmSettings, (call) => {
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
    probeModel: (signal) => probeModel(llmSettings, { signal }),
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
