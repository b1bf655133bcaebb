import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { findFreePort, forEachLine, isPortFree } from '../infra/child-process';
import { waitFor } from './wait';

const projectRoot = path.resolve(__dirname, '..');
const BANNER = 'Toolsmith is running';
const STARTUP_TIMEOUT_MS = 90_000;
const PORT_SETTINGS = [
  'PORT',
  'TEMPORAL_DEV_PORT',
  'TEMPORAL_UI_PORT',
  'EMBEDDED_MONGODB_PORT',
  'WORKER_METRICS_PORT',
  'TEMPORAL_METRICS_PORT',
] as const;
export type PortSetting = (typeof PORT_SETTINGS)[number];

/**
 * One `npm start`, as a person runs it: tsx, which runs the supervisor in a node of its own. In a
 * process group of its own, as a process manager keeps a service, so the group can be killed.
 */
export class StartRun {
  readonly process: ChildProcess;
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;

  constructor(env: NodeJS.ProcessEnv) {
    this.process = spawn(path.join(projectRoot, 'node_modules', '.bin', 'tsx'), ['infra/start.ts'], {
      cwd: projectRoot,
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    for (const stream of [this.process.stdout!, this.process.stderr!]) {
      forEachLine(stream, (line) => this.output.push(line));
    }
    this.exited = new Promise((resolve) => this.process.once('exit', (code, signal) => resolve({ code, signal })));
  }

  /** Every pid the supervisor reported for `service`, oldest first. */
  pidsOf(service: string): number[] {
    const reported = new RegExp(`^\\[start\\] ${service} is running \\(pid (\\d+)\\)$`);
    return this.output.flatMap((line) => {
      const match = reported.exec(line);
      return match ? [Number(match[1])] : [];
    });
  }

  lastOutput(): string {
    return this.output.slice(-60).join('\n');
  }

  async waitForBanner(): Promise<void> {
    const exitedEarly = this.exited.then((status) => {
      throw new Error(`npm start ended (${JSON.stringify(status)}) before its banner:\n${this.lastOutput()}`);
    });
    const banner = waitFor(() => this.output.includes(BANNER + ':'), STARTUP_TIMEOUT_MS, 'the banner');
    exitedEarly.catch(() => {});
    await Promise.race([banner, exitedEarly]).catch((error: unknown) => {
      throw new Error(`${String(error)}\n${this.lastOutput()}`);
    });
  }
}

/**
 * `npm start` runs in a data dir and on ports of their own, embedded servers only (nothing in the
 * environment may point them elsewhere), and every process they start is found by that data dir.
 */
export class IsolatedStart {
  readonly runs: StartRun[] = [];

  private constructor(
    readonly dataDir: string,
    readonly ports: Record<PortSetting, number>,
    readonly env: NodeJS.ProcessEnv,
  ) {}

  static async create(extraEnv: NodeJS.ProcessEnv = {}): Promise<IsolatedStart> {
    const dataDir = await mkdtemp(path.join(os.tmpdir(), 'toolsmith-start-'));
    const chosen = await Promise.all(PORT_SETTINGS.map(async (setting) => [setting, await findFreePort()] as const));
    const env: NodeJS.ProcessEnv = { ...process.env };
    for (const setting of ['TEMPORAL_ADDRESS', 'MONGODB_URL', 'TEMPORAL_UI_URL']) delete env[setting];
    Object.assign(env, {
      TOOLSMITH_DATA_DIR: dataDir,
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      LOG_PRETTY: '0',
      ...Object.fromEntries(chosen),
      ...extraEnv,
    });
    return new IsolatedStart(dataDir, Object.fromEntries(chosen) as Record<PortSetting, number>, env);
  }

  async start(): Promise<StartRun> {
    const run = new StartRun(this.env);
    this.runs.push(run);
    await run.waitForBanner();
    return run;
  }

  /** Pids of live processes whose environment names this data dir: everything a run started. */
  async processes(): Promise<number[]> {
    const marker = `TOOLSMITH_DATA_DIR=${this.dataDir}`;
    const pids: number[] = [];
    for (const entry of await readdir('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const environ = await readFile(`/proc/${entry}/environ`, 'utf8');
        if (environ.split('\0').includes(marker)) pids.push(Number(entry));
      } catch {
        // gone meanwhile, or not ours to read
      }
    }
    return pids;
  }

  /** A power cut: every process of every run SIGKILLed at once, none given a chance to clean up. */
  async killEverything(): Promise<void> {
    for (const run of this.runs) run.process.kill('SIGKILL');
    for (const pid of await this.processes()) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // ended meanwhile
      }
    }
  }

  async takenPorts(): Promise<string[]> {
    const taken: string[] = [];
    for (const [setting, port] of Object.entries(this.ports)) {
      if (!(await isPortFree('127.0.0.1', port))) taken.push(`${setting}=${port}`);
    }
    return taken;
  }

  async apiHealth(): Promise<Health> {
    try {
      const response = await fetch(`http://127.0.0.1:${this.ports.PORT}/api/v1/health`);
      return (await response.json()) as Health;
    } catch {
      return {};
    }
  }

  /** Kills whatever is left and removes the data dir. */
  async dispose(): Promise<void> {
    await this.killEverything();
    await rm(this.dataDir, { recursive: true, force: true });
  }
}

export async function commandLine(pid: number): Promise<string> {
  return (await readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => '')).split('\0').join(' ');
}

export interface Health {
  status?: string;
  database?: string;
  temporal?: string;
}
