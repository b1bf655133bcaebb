/**
 * The physical limit of the workflow engine on this machine: workflows of no-op activities on a
 * given Temporal server, with a worker of its own on a task queue of its own.
 */
import { Client, Connection } from '@temporalio/client';
import { NativeConnection, Worker } from '@temporalio/worker';
import { noOpActivities } from './no-op-activities';
import { cpuPerUnit, type CpuPerUnit } from './cpu';
import { perSecond } from './stats';

export interface EngineLimit {
  /** wall time of one workflow, POST-less: start to result, one after another */
  latencies: number[];
  /** workflows completed per second with `concurrency` in flight */
  perSecond: number;
  /** CPU milliseconds per workflow during that throughput run, by program */
  cpuPerWorkflow: CpuPerUnit;
}

export interface EngineLimitOptions {
  address: string;
  namespace: string;
  activityCount: number;
  latencyRuns: number;
  throughputRuns: number;
  concurrency: number;
}

export async function measureEngineLimit(options: EngineLimitOptions): Promise<EngineLimit> {
  const taskQueue = `bench-no-op-${Date.now()}`;
  const connection = await Connection.connect({ address: options.address });
  const client = new Client({ connection, namespace: options.namespace });
  const worker = await Worker.create({
    connection: await NativeConnection.connect({ address: options.address }),
    namespace: options.namespace,
    taskQueue,
    workflowsPath: require.resolve('./no-op-workflow'),
    activities: noOpActivities,
  });
  const running = worker.run();
  let sequence = 0;
  const once = () =>
    client.workflow.execute('noOpWorkflow', {
      args: [options.activityCount],
      taskQueue,
      workflowId: `${taskQueue}-${(sequence += 1)}`,
    });
  try {
    await once(); // warm-up: the workflow bundle's first run
    const latencies: number[] = [];
    for (let run = 0; run < options.latencyRuns; run += 1) {
      const started = performance.now();
      await once();
      latencies.push(performance.now() - started);
    }
    const [cpuPerWorkflow, workflowsPerSecond] = await cpuPerUnit(options.throughputRuns, () =>
      perSecond(options.throughputRuns, options.concurrency, async () => {
        await once();
      }),
    );
    return { latencies, perSecond: workflowsPerSecond, cpuPerWorkflow };
  } finally {
    worker.shutdown();
    await running;
    await connection.close();
  }
}
