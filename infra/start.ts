/**
 * `npm start`: all of Toolsmith on this machine. Provisions, starts the embedded
 * Temporal dev server and FerretDB unless TEMPORAL_ADDRESS / MONGODB_URL name
 * existing ones, then runs the worker and the API with the environment pointing
 * at them. All state lives in the data dir, so a restart carries on where it stopped.
 * A process that crashes is restarted (supervisor.ts); none outlives this one (parent-death.ts).
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import { loadConfig } from '../config';
import { findFreePort, requirePortFree, spawnService, waitForPort } from './child-process';
import { projectRoot } from './cache';
import { startFerretDb } from './ferretdb';
import { whenParentDies } from './parent-death';
import { provision, provisionNeedsFromEnv, type ProvisionedTools } from './provision';
import { DEV_CLIENT_ID, ensureDevApiKey, type DevApiKey } from './dev-api-key';
import { describeFailure, SetupError } from './setup-error';
import { readStartConfig, type StartConfig } from './start-config';
import { DEFAULT_RESTART_POLICY, Supervisor } from './supervisor';
import { startTemporalDevServer } from './temporal-dev-server';

/** Embedded servers listen on loopback only: they have no authentication. */
const EMBEDDED_HOST = '127.0.0.1';
/** tsx compiles the API on the fly and it connects to MongoDB and Temporal before listening. */
const API_READY_TIMEOUT_MS = 120_000;
const DUPLICATE_SIGNAL_WINDOW_MS = 1_000;
/** How long an orphaned `npm start` spends stopping politely before it kills what is left. */
const ORPHANED_STOP_DEADLINE_MS = 5_000;
const ANOTHER_INSTANCE = 'is another `npm start` (or a server left over from one) running?';

const log = (line: string): void => console.log(`[start] ${line}`);

/** Bound to every interface: reach it, and show it, as this machine. */
function isWildcard(bindHost: string): boolean {
  return bindHost === '0.0.0.0' || bindHost === '::';
}

function reachableHost(bindHost: string): string {
  return isWildcard(bindHost) ? '127.0.0.1' : bindHost;
}

function displayHost(bindHost: string): string {
  return isWildcard(bindHost) ? 'localhost' : bindHost;
}

/** Checked before the slow steps, so a taken port fails in a second, with the setting that moves it. */
async function requireFreePorts(config: StartConfig): Promise<void> {
  if (!config.externalTemporalAddress) {
    const { port, uiPort } = config.embeddedTemporal;
    const hint = `${ANOTHER_INSTANCE} Set TEMPORAL_DEV_PORT, or TEMPORAL_ADDRESS to use a running server`;
    await requirePortFree(EMBEDDED_HOST, port, 'the Temporal dev server', hint);
    await requirePortFree(EMBEDDED_HOST, uiPort, 'the Temporal Web UI', `${ANOTHER_INSTANCE} Set TEMPORAL_UI_PORT`);
  }
  if (!config.externalMongoUrl) {
    const hint = `${ANOTHER_INSTANCE} Set EMBEDDED_MONGODB_PORT, or MONGODB_URL to use a running MongoDB`;
    await requirePortFree(EMBEDDED_HOST, config.embeddedMongo.port, 'FerretDB', hint);
  }
  await requirePortFree(config.api.bindHost, config.api.port, 'the API', `${ANOTHER_INSTANCE} Set PORT`);
}

function provisioned(path: string | undefined, what: string): string {
  if (!path) throw new Error(`${what} was not provisioned although the embedded server needs it`);
  return path;
}

/** Starts whichever servers the environment does not provide; returns where they are. */
async function startBackingServices(
  config: StartConfig,
  tools: ProvisionedTools,
  supervisor: Supervisor,
): Promise<{ temporalAddress: string; mongoUrl: string }> {
  let temporalAddress = config.externalTemporalAddress;
  if (!temporalAddress) {
    log(`starting the Temporal dev server (state in ${config.embeddedTemporal.dbFile})`);
    const binaryPath = provisioned(tools.temporalCliPath, 'the temporal CLI');
    const temporal = await supervisor.start('Temporal dev server', () =>
      startTemporalDevServer({
        binaryPath,
        ...config.embeddedTemporal,
        namespace: config.temporalNamespace,
        host: EMBEDDED_HOST,
        ownProcessGroup: true,
      }),
    );
    temporalAddress = temporal.address;
  }

  let mongoUrl = config.externalMongoUrl;
  if (!mongoUrl) {
    log(`starting FerretDB (data in ${config.embeddedMongo.dataDir})`);
    const binaryPath = provisioned(tools.ferretDbPath, 'FerretDB');
    const ferretDb = await supervisor.start('FerretDB', () =>
      startFerretDb({ binaryPath, ...config.embeddedMongo, host: EMBEDDED_HOST, ownProcessGroup: true }),
    );
    mongoUrl = ferretDb.url;
  }
  return { temporalAddress, mongoUrl };
}

async function spawnAppProcess(
  name: string,
  command: string[],
  env: NodeJS.ProcessEnv,
  supervisor: Supervisor,
): Promise<void> {
  const [program, ...args] = command;
  if (!program) throw new SetupError(`the ${name} command is empty`);
  await supervisor.start(name, () =>
    Promise.resolve(spawnService({ name, command: program, args, env, cwd: projectRoot(), ownProcessGroup: true })),
  );
}

function workerMetrics(config: StartConfig): string {
  return config.workerMetricsPort === 0
    ? 'on a free port (WORKER_METRICS_PORT=0; the worker logs it)'
    : `http://localhost:${config.workerMetricsPort}/metrics`;
}

function printBanner(config: StartConfig, temporalAddress: string, devKey: DevApiKey, devKeyFile: string): void {
  const api = `http://${displayHost(config.api.bindHost)}:${config.api.port}`;
  const keyFile = path.relative(process.cwd(), devKeyFile) || devKeyFile;
  const temporal = config.externalTemporalAddress
    ? `external Temporal at ${temporalAddress}`
    : `Temporal Web UI:  http://localhost:${config.embeddedTemporal.uiPort}`;
  console.log(
    [
      '',
      'Toolsmith is running:',
      `  API:              ${api}/api/v1`,
      `  API docs:         ${api}/docs`,
      `  API metrics:      ${api}/metrics`,
      `  worker metrics:   ${workerMetrics(config)} (with the Temporal SDK's series)`,
      `  ${temporal}`,
      `  data:             ${config.dataDir}`,
      `  API key:          ${devKey.key}`,
      `                    (client "${DEV_CLIENT_ID}", ${devKey.created ? 'new, saved to' : 'kept in'} ${keyFile})`,
      `  try:              curl -H "Authorization: Bearer $(cat ${keyFile})" ${api}/api/v1/jobs`,
      'Stop with Ctrl-C.',
      '',
    ].join('\n'),
  );
}

async function startStack(config: StartConfig, supervisor: Supervisor): Promise<void> {
  // PORT=0 means any free port here as everywhere: chosen now, so the banner can say which.
  if (config.api.port === 0) config.api.port = await findFreePort();
  await requireFreePorts(config);
  const tools = await provision(provisionNeedsFromEnv(), (line) => console.log(`[provision] ${line}`));
  await fs.mkdir(config.toolsDir, { recursive: true });
  const { temporalAddress, mongoUrl } = await startBackingServices(config, tools, supervisor);
  const devKeyFile = path.join(config.dataDir, 'dev-api-key');
  const devKey = await ensureDevApiKey(
    mongoUrl,
    loadConfig({ ...process.env, MONGODB_URL: mongoUrl }).mongo.dbName,
    devKeyFile,
  );

  const appEnv: NodeJS.ProcessEnv = {
    ...process.env,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: config.temporalNamespace,
    MONGODB_URL: mongoUrl,
    TOOL_RUNTIME_DIR: tools.toolRuntime.venvDir,
    BWRAP_PATH: tools.bwrapPath,
    TOOLS_DIR: config.toolsDir,
    PORT: String(config.api.port),
    // readable log lines in the terminal npm start runs in (JSON lines when LOG_PRETTY=0)
    LOG_PRETTY: process.env.LOG_PRETTY ?? '1',
    // job answers deep-link into the UI of the dev server we started
    ...(config.externalTemporalAddress || process.env.TEMPORAL_UI_URL
      ? {}
      : { TEMPORAL_UI_URL: `http://localhost:${config.embeddedTemporal.uiPort}` }),
  };
  log('starting the worker and the API');
  await spawnAppProcess('worker', config.worker.command, appEnv, supervisor);
  await spawnAppProcess('api', config.api.command, appEnv, supervisor);
  // An API that dies is restarted; one that keeps dying makes the supervisor end the program.
  await waitForPort(reachableHost(config.api.bindHost), config.api.port, API_READY_TIMEOUT_MS);
  printBanner(config, temporalAddress, devKey, devKeyFile);
}

function readConfigOrExit(): StartConfig {
  try {
    return readStartConfig();
  } catch (error) {
    console.error(`[start] ${describeFailure(error)}`);
    process.exit(1);
  }
}

function main(): void {
  const config = readConfigOrExit();
  const supervisor = new Supervisor(log, { ...DEFAULT_RESTART_POLICY, ...config.restart });
  void supervisor.finished.then((exitCode) => process.exit(exitCode));

  // Children run in their own process groups (see ownProcessGroup), so these
  // signals reach only this process, which stops the children in order.
  let firstSignalAt: number | undefined;
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      if (firstSignalAt === undefined) {
        firstSignalAt = Date.now();
        void supervisor.stopAll(`received ${signal}; stopping (send it again to kill everything at once)`, 0);
        return;
      }
      // One Ctrl-C can arrive twice: from the terminal, and relayed by tsx (or npm).
      if (Date.now() - firstSignalAt < DUPLICATE_SIGNAL_WINDOW_MS) return;
      process.exit(130); // child-process's exit hook SIGKILLs whatever still runs
    });
  }

  // Killed launcher (tsx passes no SIGKILL on): nobody waits for a polite stop, so it is bounded.
  whenParentDies(() => {
    setTimeout(() => process.exit(1), ORPHANED_STOP_DEADLINE_MS); // the exit hook SIGKILLs the rest
    void supervisor.stopAll('the process that started this one is gone; stopping everything', 1);
  });

  startStack(config, supervisor).catch((error: unknown) => {
    console.error(`[start] ${describeFailure(error)}`);
    void supervisor.stopAll('start failed; stopping what was started', 1);
  });
}

main();
