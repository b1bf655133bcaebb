import assert from 'node:assert/strict';
import { request, type HttpAnswer } from '../../dev/http';
import { FINISHED, requirement } from '../../dev/jobs';
import type { TestStack } from '../../dev/stack';
import { waitFor } from '../../dev/wait';
import { startWorkerProcess, type WorkerProcess } from '../../dev/worker-process';

/** A client of the API under test with an API key of its own, sent as a bearer token on every request. */
export interface KeyedClient {
  key: string;
  call<T = any>(path: string, init?: RequestInit): Promise<HttpAnswer<T>>;
  /** submits a job (its tools generated, never reused); the 201 answer */
  submitJob(descriptions: string[]): Promise<HttpAnswer>;
  /** polls the job until it ends; the final job answer */
  waitForJob(jobId: string): Promise<any>;
  /** both */
  runJob(descriptions: string[]): Promise<any>;
}

export async function keyedClient(stack: TestStack, apiUrl = stack.apiUrl): Promise<KeyedClient> {
  const { key } = await stack.stores.apiKeys.create(`observability-${Date.now()}`);
  const call = <T = any>(path: string, init: RequestInit = {}) =>
    request<T>(`${apiUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...init.headers },
    });
  const submitJob = async (descriptions: string[]) => {
    const body = JSON.stringify({ toolRequirements: descriptions.map(requirement), options: { reuse: false } });
    const created = await call('/jobs', { method: 'POST', body });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    return created;
  };
  const waitForJob = (jobId: string) =>
    waitFor(
      async () => {
        const answer = await call(`/jobs/${jobId}`);
        return FINISHED.includes(answer.body.status) ? answer.body : undefined;
      },
      120_000,
      `job ${jobId} to end`,
    );
  return {
    key,
    call,
    submitJob,
    waitForJob,
    runJob: async (descriptions) => waitForJob((await submitJob(descriptions)).body.jobId),
  };
}

/** The JSON lines of a text (a process's output): other lines (a stack trace, a warning) are skipped. */
export function jsonLines(text: string): Record<string, any>[] {
  return text
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, any>);
}

export interface LoggingWorker extends WorkerProcess {
  /** the process's /metrics, from its start-up line */
  metricsUrl: string;
  stop(): Promise<void>;
}

/** `worker/main.ts` as its own process, logging down to debug (every activity's line), once it polls its queues. */
export async function startLoggingWorker(stack: TestStack, env: Record<string, string> = {}): Promise<LoggingWorker> {
  const worker = startWorkerProcess({ ...stack.serviceEnv, LOG_LEVEL: 'debug', LOG_PRETTY: '0', ...env });
  const started = await waitFor(
    () => jsonLines(worker.output()).find((line) => typeof line.metricsUrl === 'string'),
    120_000,
    'the worker process to poll its task queues',
  ).catch((error: Error) => {
    worker.process.kill('SIGKILL');
    throw new Error(`${error.message}\n${worker.output()}`);
  });
  return {
    ...worker,
    metricsUrl: started.metricsUrl as string,
    async stop() {
      worker.process.kill('SIGTERM');
      await worker.exited;
    },
  };
}
