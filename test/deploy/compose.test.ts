import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { configVariableNames, loadConfig } from '../../config';
import { toolsmithSearchAttributes } from '../../workflows/search-attributes';

/**
 * Docker cannot run on this machine, so the deployment is checked as text: every Toolsmith
 * service's environment must be one the service accepts (config.ts), with no variable it does not
 * read, and the pieces a deployment needs (health checks, volumes, scaling, the search attributes,
 * a multi-stage image with the tool runtime and the workflow bundle) must be there.
 */

const ROOT = path.resolve(__dirname, '..', '..');

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

/** `${NAME:-default}` as Compose substitutes it when NAME is unset. */
function substituteDefaults(value: string | number): string {
  return String(value).replace(/\$\{[A-Z_]+:-([^}]*)\}/g, '$1');
}

const toolsmithServices = Object.entries(compose.services).filter(([, service]) => service.build !== undefined);

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
      assert.ok(service.healthcheck?.test.length, `${name} has a health check`);
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
    assert.ok(worker.volumes?.some((volume) => volume.startsWith('tools:')));
  });

  it('runs Temporal on PostgreSQL, with its Web UI, and registers every search attribute the workflows set', () => {
    const temporal = compose.services.temporal!;
    assert.equal(temporal.depends_on?.postgresql?.condition, 'service_healthy');
    assert.ok(compose.services['temporal-ui']);
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
    assert.match(dockerfile, /tsx infra\/bundle-workflows\.ts/);
    assert.match(dockerfile, /WORKFLOW_BUNDLE_PATH=/);
    assert.match(dockerfile, /^USER node$/m);
  });
});
