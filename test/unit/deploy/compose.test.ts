import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configVariableNames, loadConfig } from '../../../config';
import { toolsmithSearchAttributes } from '../../../workflows/search-attributes';

/**
 * Docker cannot run on this machine, so the deployment is checked as text: every Toolsmith
 * service's environment must be one the service accepts (config/), with no variable it does not
 * read, and the pieces a deployment needs (health checks, volumes, scaling, the search attributes,
 * a multi-stage image with the tool runtime and the workflow bundle) must be there.
 */

const ROOT = path.resolve(__dirname, '..', '..', '..');

interface ComposeService {
  build?: unknown;
  image?: string;
  command?: string[];
  environment?: Record<string, string | number>;
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
  ports?: string[];
  container_name?: string;
  volumes?: string[];
  stop_grace_period?: string;
  deploy?: { replicas?: number };
}

const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
  services: Record<string, ComposeService>;
  volumes: Record<string, unknown>;
};
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
/** the Dockerfile's instructions, one a line (continuation lines joined) */
const instructions = dockerfile.replace(/\\\n\s*/g, ' ').split('\n');
/** what the image's `ENV` sets, which every container of it starts with */
const imageEnvironment = Object.fromEntries(
  instructions
    .filter((line) => line.startsWith('ENV '))
    .flatMap((line) => line.slice(4).trim().split(/\s+/))
    .map((pair) => pair.split('=') as [string, string]),
);

/** `${NAME:-default}` as Compose substitutes it when NAME is unset. */
function substituteDefaults(value: string | number): string {
  return String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

const toolsmithServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

/** The environment a service's container gets: the compose file's over the image's, defaults substituted. */
function environmentOf(service: ComposeService): Record<string, string> {
  const composed = Object.entries(service.environment ?? {}).map(([key, value]) => [key, substituteDefaults(value)]);
  return { ...imageEnvironment, ...Object.fromEntries(composed) };
}

/** What each Toolsmith service's health check must ask for: its own endpoint, on the port it listens on. */
const healthEndpoints: Record<string, (config: ReturnType<typeof loadConfig>) => string> = {
  api: (config) => `http://127.0.0.1:${config.http.port}/api/v1/health`,
  worker: (config) => `http://127.0.0.1:${config.metrics.workerPort}/metrics`,
};

const seconds = (duration: string) => Number(/^(\d+)s$/.exec(duration)?.[1] ?? NaN);

describe('the deployment (docker-compose.yml and Dockerfile), checked without Docker', () => {
  it('runs the API and the worker from the project image', () => {
    assert.deepEqual(toolsmithServices.map(([name]) => name).sort(), ['api', 'worker']);
    assert.deepEqual(compose.services.api!.command, ['npx', 'tsx', 'api/main.ts']);
    assert.deepEqual(compose.services.worker!.command, ['npx', 'tsx', 'worker/main.ts']);
  });

  for (const [name, service] of toolsmithServices) {
    it(`gives the ${name} an environment the service accepts, and only variables it reads`, () => {
      const environment = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [key, substituteDefaults(value)]),
      );
      const unknown = Object.keys(environment).filter((key) => !(configVariableNames as string[]).includes(key));
      assert.deepEqual(unknown, [], `variables ${name} sets but the service never reads`);
      const config = loadConfig(environment);
      assert.equal(config.mongo.url, 'mongodb://mongodb:27017');
      assert.equal(config.temporal.address, 'temporal:7233');
    });

    it(`checks the ${name}'s health, waits for its dependencies and drains on SIGTERM`, () => {
      const config = loadConfig(environmentOf(service));
      const probe = service.healthcheck?.test.join(' ') ?? '';
      const endpoint = healthEndpoints[name]!(config);
      assert.ok(probe.includes(`fetch('${endpoint}')`), `${name}'s health check asks ${endpoint}: ${probe}`);
      for (const published of service.ports ?? []) {
        assert.equal(published.split(':').at(-1), String(config.http.port), `${name} publishes the port it listens on`);
      }
      assert.equal(service.depends_on?.mongodb?.condition, 'service_healthy');
      assert.equal(service.depends_on?.['temporal-search-attributes']?.condition, 'service_completed_successfully');
      const grace = Number(service.environment?.SHUTDOWN_GRACE_MS) / 1000;
      assert.ok(seconds(service.stop_grace_period ?? '10s') > grace, 'Docker waits longer than the drain');
    });
  }

  it('lets the worker scale: no fixed name or host port, replicas, and the tools on a volume', () => {
    const worker = compose.services.worker!;
    assert.equal(worker.container_name, undefined);
    assert.equal(worker.ports, undefined);
    assert.ok((worker.deploy?.replicas ?? 1) >= 2);
    const { toolsDir } = loadConfig(environmentOf(worker));
    assert.ok(worker.volumes?.includes(`tools:${toolsDir}`), `the tools volume is mounted at TOOLS_DIR (${toolsDir})`);
  });

  it('runs Temporal on PostgreSQL, with its Web UI, and registers every search attribute the workflows set', () => {
    const temporal = compose.services.temporal!;
    assert.equal(temporal.depends_on?.postgresql?.condition, 'service_healthy');
    // the Web UI talks to that Temporal, on the host port the services' deep links (TEMPORAL_UI_URL) name
    const ui = compose.services['temporal-ui']!;
    const { temporal: services } = loadConfig(environmentOf(compose.services.api!));
    assert.equal(ui.environment?.TEMPORAL_ADDRESS, services.address);
    assert.ok(
      ui.ports?.some((published) => published.split(':')[0] === new URL(services.uiUrl).port),
      services.uiUrl,
    );
    const registration = JSON.stringify(compose.services['temporal-search-attributes']);
    for (const key of toolsmithSearchAttributes) {
      const type = key.type === 'INT' ? 'Int' : 'Keyword';
      assert.ok(registration.includes(`${key.name}=${type}`), `${key.name} is registered as ${type}`);
    }
    assert.deepEqual(Object.keys(compose.volumes).sort(), ['mongodb-data', 'temporal-db', 'tools']);
  });

  it('builds a multi-stage image with bubblewrap, the pinned tool runtime and the workflow bundle, run as non-root', () => {
    assert.ok((dockerfile.match(/^FROM /gm) ?? []).length >= 3, 'several stages');
    assert.match(dockerfile, /apt-get install[^\n]*bubblewrap/);
    assert.match(dockerfile, /pip install[^\n]*-r \/tmp\/requirements\.txt/);
    // the final stage runs with the files the other stages made, where its environment says they are
    const copied = (stage: string) =>
      instructions.map((line) => /^COPY --from=(\S+) (\S+) (\S+)$/.exec(line)).find((match) => match?.[1] === stage);
    const bundled = /tsx infra\/bundle-workflows\.ts (\S+)$/m.exec(dockerfile)?.[1];
    const bundleCopy = copied('workflow-bundle');
    assert.ok(bundled && bundleCopy, 'a stage bundles the workflows, and the final stage copies the bundle');
    assert.equal(bundleCopy[2], bundled);
    const config = loadConfig(environmentOf(compose.services.worker!));
    assert.equal(config.workflowBundlePath, bundleCopy[3], 'the worker loads the bundle that was built');
    const venv = /python3 -m venv (\S+)/.exec(dockerfile)?.[1];
    const runtimeCopy = copied('tool-runtime');
    assert.ok(venv && runtimeCopy, 'a stage makes the tool runtime, and the final stage copies it');
    assert.deepEqual(
      [runtimeCopy[2], runtimeCopy[3]],
      [venv, config.sandbox.runtimeDir],
      'the runtime the sandbox runs',
    );
    assert.match(dockerfile, /^USER node$/m);
  });
});
