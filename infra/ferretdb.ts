/** Running FerretDB (SQLite backend) as an embedded MongoDB: for `npm start` and the tests. */
import type { ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { startServiceOnPort } from './child-process';

export interface FerretDbOptions {
  binaryPath: string;
  /** Holds the SQLite files (one per database) and FerretDB's state.json; created if missing. */
  dataDir: string;
  port: number;
  host?: string;
  /**
   * DEBUG, INFO, WARN or ERROR. Default ERROR: at WARN it dumps a whole wire message
   * each time a MongoDB driver disconnects (it does not implement endSessions).
   */
  logLevel?: string;
  /** See ServiceSpec.ownProcessGroup: for supervisors that stop their children in order themselves. */
  ownProcessGroup?: boolean;
}

export interface RunningFerretDb {
  url: string;
  port: number;
  /** The ferretdb process itself, not a wrapper, so killing it kills the server. */
  process: ChildProcess;
  stop(): Promise<void>;
}

export async function startFerretDb(opts: FerretDbOptions): Promise<RunningFerretDb> {
  const host = opts.host ?? '127.0.0.1';
  const dataDir = path.resolve(opts.dataDir);
  await fs.mkdir(dataDir, { recursive: true });
  // FerretDB wants a file: URL naming a directory, with the trailing slash.
  const sqliteUrl = `${pathToFileURL(dataDir).href}/`;

  const service = await startServiceOnPort({
    name: 'FerretDB',
    command: opts.binaryPath,
    args: [
      '--handler=sqlite',
      `--sqlite-url=${sqliteUrl}`,
      `--listen-addr=${host}:${opts.port}`,
      // Its metrics/debug HTTP listener defaults to the fixed 127.0.0.1:8088, which
      // would stop a second instance from starting; nothing here uses it.
      '--debug-addr=-',
      // state.json (instance UUID, telemetry choice) otherwise lands in the working directory.
      `--state-dir=${dataDir}`,
      '--telemetry=disable',
      `--log-level=${opts.logLevel ?? 'ERROR'}`,
    ],
    host,
    port: opts.port,
    ownProcessGroup: opts.ownProcessGroup,
  });

  return {
    url: `mongodb://${host}:${opts.port}/`,
    port: opts.port,
    process: service.process,
    stop: () => service.stop(5_000),
  };
}
