import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import { createActivities, type Activities } from '../activities';
import type { Config } from '../config';
import { startTracing } from '../observability/tracing';
import { activityTaskQueue, HEARTBEAT_SEND_INTERVAL } from '../workflows/activity-options';
import type { WorkerDependencies } from './dependencies';
import { startMetricsServer } from './metrics-server';

export interface ToolsmithWorkersOptions {
  connection: NativeConnection;
  config: Pick<Config, 'http' | 'temporal' | 'llm' | 'metrics' | 'tracing' | 'workflowBundlePath'>;
  dependencies: Pick<WorkerDependencies, 'activities' | 'metrics'>;
  /** this process's Temporal SDK Prometheus exporter, appended to the worker's /metrics */
  temporalMetricsUrl?: string;
}

/** One Temporal Worker per task queue, run and stopped together, and the process's /metrics. */
export interface ToolsmithWorkers {
  /** the worker's /metrics (WORKER_METRICS_PORT on HOST) */
  metricsUrl: string;
  taskQueues: { main: string; llm: string; sandbox: string };
  /** polls every queue until shut down (SIGINT/SIGTERM, or `shutdown()`), then stops /metrics and tracing */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * The bundle built ahead of time (the Docker image) when there is one; with tracing on, the
 * workflows are bundled here instead, because the tracing plugin adds its workflow interceptors
 * to the bundle it builds.
 */
function workflowCode(
  config: Pick<Config, 'workflowBundlePath'>,
  tracing: boolean,
): Pick<WorkerOptions, 'workflowBundle' | 'workflowsPath'> {
  if (config.workflowBundlePath && !tracing) return { workflowBundle: { codePath: config.workflowBundlePath } };
  return { workflowsPath: require.resolve('../workflows') };
}

function pick<K extends keyof Activities>(activities: Activities, names: K[]): Pick<Activities, K> {
  return Object.fromEntries(names.map((name) => [name, activities[name]])) as Pick<Activities, K>;
}

/**
 * The workflow and the light activities on the main queue; the model calls on `<queue>-llm`, rate
 * limited for every worker of the fleet together (LLM_MAX_CALLS_PER_SECOND); validation on
 * `<queue>-sandbox`. Each queue scales by adding worker processes. The main queue's worker keeps
 * every activity: runs started before the split still schedule all of them there.
 */
export async function createToolsmithWorkers(options: ToolsmithWorkersOptions): Promise<ToolsmithWorkers> {
  const { connection, config } = options;
  const activities = createActivities(options.dependencies.activities);
  const taskQueues = {
    main: config.temporal.taskQueue,
    llm: activityTaskQueue(config.temporal.taskQueue, 'llm'),
    sandbox: activityTaskQueue(config.temporal.taskQueue, 'sandbox'),
  };
  const tracing = startTracing(config.tracing, 'toolsmith-worker');
  const common: Pick<
    WorkerOptions,
    'connection' | 'namespace' | 'plugins' | 'shutdownGraceTime' | 'maxHeartbeatThrottleInterval'
  > = {
    connection,
    namespace: config.temporal.namespace,
    plugins: tracing ? [tracing.plugin] : [],
    // SIGTERM: stop polling, let the activities in flight finish, then cancel what is left.
    shutdownGraceTime: config.http.shutdownGraceMs,
    maxHeartbeatThrottleInterval: HEARTBEAT_SEND_INTERVAL,
  };
  const workers = await Promise.all([
    Worker.create({
      ...common,
      taskQueue: taskQueues.main,
      ...workflowCode(config, Boolean(tracing)),
      activities,
    }),
    Worker.create({
      ...common,
      taskQueue: taskQueues.llm,
      activities: pick(activities, ['planTool', 'implementTool']),
      maxTaskQueueActivitiesPerSecond: config.llm.maxCallsPerSecond,
    }),
    Worker.create({ ...common, taskQueue: taskQueues.sandbox, activities: pick(activities, ['validateTool']) }),
  ]);
  const metricsServer = await startMetricsServer(
    options.dependencies.metrics.registry,
    config.http.host,
    config.metrics.workerPort,
    options.temporalMetricsUrl,
  );

  const shutdown = () => {
    for (const worker of workers) if (worker.getState() === 'RUNNING') worker.shutdown();
  };
  return {
    metricsUrl: metricsServer.url,
    taskQueues,
    shutdown,
    async run() {
      const runs = workers.map((worker) => worker.run());
      try {
        await Promise.all(runs);
      } catch (error) {
        // One queue's worker failing stops the others: a process half-polling would hide it.
        shutdown();
        await Promise.allSettled(runs);
        throw error;
      } finally {
        await metricsServer.close();
        await tracing?.shutdown();
      }
    },
  };
}
