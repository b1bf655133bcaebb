/** Running `temporal server start-dev` as the embedded Temporal: for `npm start` and the tests. */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Connection } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { toolsmithSearchAttributes } from '../workflows/search-attributes';
import { requirePortFree, startServiceOnPort } from './child-process';
import { SetupError } from './setup-error';

export interface TemporalDevServerOptions {
  binaryPath: string;
  /** SQLite file the server keeps its state in, so workflows survive restarts; its directory is created. */
  dbFile: string;
  port: number;
  uiPort: number;
  /** Created at startup if missing ("default" always exists). */
  namespace: string;
  host?: string;
  /** See ServiceSpec.ownProcessGroup: for supervisors that stop their children in order themselves. */
  ownProcessGroup?: boolean;
  /** without DEV_SERVER_TUNING, as earlier versions ran it: for the benchmark's comparison */
  untuned?: boolean;
}

export interface RunningTemporalDevServer {
  /** host:port of the frontend, the form TEMPORAL_ADDRESS takes. */
  address: string;
  uiUrl: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

/** The CLI's spelling of each search attribute type. */
const CLI_SEARCH_ATTRIBUTE_TYPES: Record<SearchAttributeType, string> = {
  KEYWORD: 'Keyword',
  INT: 'Int',
  TEXT: 'Text',
  BOOL: 'Bool',
  DOUBLE: 'Double',
  DATETIME: 'Datetime',
  KEYWORD_LIST: 'KeywordList',
};

const NAMESPACE_READY_TIMEOUT_MS = 30_000;

/**
 * One machine, one server: several partitions per task queue only add forwarding between them.
 * The SQLite file in WAL mode with normal sync commits without an fsync per write, yet survives
 * any process crash (only an operating-system crash can lose the last commits). Measured in
 * `npm run bench`. Eager activity execution (system.enableActivityEagerExecution) cut a no-op
 * workflow's latency by a third in a trial, but is left off until it is cleared of a suspicion:
 * runs with it on saw activities time out on heartbeats under load.
 */
export const DEV_SERVER_TUNING = [
  '--dynamic-config-value',
  'matching.numTaskqueueReadPartitions=1',
  '--dynamic-config-value',
  'matching.numTaskqueueWritePartitions=1',
  '--sqlite-pragma',
  'journal_mode=wal',
  '--sqlite-pragma',
  'synchronous=normal',
];

function searchAttributeFlags(): string[] {
  return toolsmithSearchAttributes.flatMap((key) => [
    '--search-attribute',
    `${key.name}=${CLI_SEARCH_ATTRIBUTE_TYPES[key.type]}`,
  ]);
}

/**
 * Ready means the namespace answers, which is what a worker needs; an open port
 * alone would rely on the order in which start-dev happens to set things up.
 */
async function waitForNamespace(address: string, namespace: string): Promise<void> {
  const connection = await Connection.connect({ address, connectTimeout: 5_000 });
  try {
    const deadline = Date.now() + NAMESPACE_READY_TIMEOUT_MS;
    for (;;) {
      try {
        await connection.workflowService.describeNamespace({ namespace });
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          throw new SetupError(
            `Temporal namespace "${namespace}" was not ready after ${NAMESPACE_READY_TIMEOUT_MS / 1000} s: ${String(error)}`,
          );
        }
        await sleep(200);
      }
    }
  } finally {
    await connection.close();
  }
}

export async function startTemporalDevServer(opts: TemporalDevServerOptions): Promise<RunningTemporalDevServer> {
  const host = opts.host ?? '127.0.0.1';
  const dbFile = path.resolve(opts.dbFile);
  await fs.mkdir(path.dirname(dbFile), { recursive: true });
  await requirePortFree(host, opts.uiPort, 'the Temporal Web UI');

  const service = await startServiceOnPort({
    name: 'Temporal',
    command: opts.binaryPath,
    args: [
      'server',
      'start-dev',
      '--ip',
      host,
      '--port',
      String(opts.port),
      '--ui-port',
      String(opts.uiPort),
      '--db-filename',
      dbFile,
      '--namespace',
      opts.namespace,
      '--log-level',
      'warn',
      ...searchAttributeFlags(),
      ...(opts.untuned ? [] : DEV_SERVER_TUNING),
    ],
    host,
    port: opts.port,
    ownProcessGroup: opts.ownProcessGroup,
    muteWhileStopping: true,
  });
  const address = `${host}:${opts.port}`;
  const stop = (): Promise<void> => service.stop(10_000);

  try {
    await waitForNamespace(address, opts.namespace);
  } catch (error) {
    await stop();
    throw error;
  }
  return { address, uiUrl: `http://${host}:${opts.uiPort}`, process: service.process, stop };
}
