import assert from 'node:assert/strict';
import type { Express } from 'express';
import { openApiDocument } from '../../api/openapi';
import { startWebServer } from '../../api/web-server';
import { invalidSmilesExample, molecularWeightScript } from '../../dev/canned-tools';
import { loadExample } from '../../dev/examples';
import { pollUntil, postJson, request } from '../../dev/http';
import { FINISHED } from '../../dev/jobs';
import { createConformanceChecker } from '../../dev/openapi-conformance';
import { readEventStream } from '../helpers/sse';
import { useTestStack } from '../../dev/stack';

const document = openApiDocument();
type Json = Record<string, any>;

interface ServedRoute {
  method: string;
  path: string;
}

interface RouterLayer {
  rawPath?: unknown;
  route?: { path: string; methods: Record<string, boolean> };
  handle?: { stack?: RouterLayer[] };
}

/** Express path syntax as an OpenAPI path template, under its mount point. */
function asTemplate(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, '/').replace(/(.)\/$/, '$1');
  return joined.replace(/:(\w+)/g, '{$1}');
}

/** Every route of the app, read from its router stack (mounted routers included). */
function servedRoutes(app: Express): ServedRoute[] {
  const walk = (layers: RouterLayer[], prefix: string): ServedRoute[] =>
    layers.flatMap((layer) => {
      if (layer.route) {
        const methods = Object.keys(layer.route.methods).filter((method) => layer.route!.methods[method]);
        return methods.map((method) => ({ method, path: asTemplate(prefix, layer.route!.path) }));
      }
      const mountedAt = typeof layer.rawPath === 'string' ? layer.rawPath : '';
      return layer.handle?.stack ? walk(layer.handle.stack, asTemplate(prefix, mountedAt)) : [];
    });
  return walk((app as unknown as { router: { stack: RouterLayer[] } }).router.stack, '');
}

describe('the OpenAPI document, generated from the zod contract', function () {
  this.timeout(300_000);

  describe('against the running service', () => {
    const stack = useTestStack(molecularWeightScript());

    it('documents every route the app serves, and serves every route it documents', async () => {
      const { config, env } = stack();
      const server = await startWebServer(config, { client: env.client, connection: env.connection });
      try {
        const served = servedRoutes(server.app);
        assert.ok(served.length >= 25, JSON.stringify(served));
        for (const route of served) {
          const item = document.paths[route.path] as Json | undefined;
          assert.ok(item, `${route.path} is in the document`);
          if (route.method !== '_all') assert.ok(item[route.method], `${route.method} ${route.path} is documented`);
        }
        const servedPaths = new Set(served.map((route) => route.path));
        for (const path of Object.keys(document.paths)) assert.ok(servedPaths.has(path), `${path} is served`);
      } finally {
        await server.close();
      }
    });

    it('serves exactly the generated document at /openapi.json, and the page that renders it at /docs', async () => {
      const base = stack().apiUrl.replace(/\/api\/v1$/, '');
      const served = await request(`${base}/openapi.json`);
      assert.equal(served.status, 200);
      assert.deepEqual(served.body, JSON.parse(JSON.stringify(document)));
      assert.equal((await request(`${base}/docs`)).status, 200);
      assert.equal((await request(`${base}/docs/assets/swagger-ui.css`)).status, 200);
      assert.equal((await request(`${base}/docs/assets/package.json`)).status, 404);
    });

    it('fits every answer of a real job, its session, its tool and the calls of it', async () => {
      const api = stack().apiUrl;
      const base = api.replace(/\/api\/v1$/, '');
      const checker = createConformanceChecker(document);
      // Every request below goes through the helpers, so the conformance hook checks each answer.
      assert.equal((await request(`${api}/health`)).status, 200);
      // The seed's request, with its invalid SMILES as an acceptance example: the answers show a test that raises.
      const seed = loadExample<{ toolRequirements: object[] }>('molecular-weight.json');
      const created = await postJson(`${api}/jobs`, {
        ...seed,
        toolRequirements: seed.toolRequirements.map((requirement) => ({
          ...requirement,
          examples: [invalidSmilesExample],
        })),
        options: { reuse: false },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const jobId: string = created.body.jobId;
      const { last } = await pollUntil(`${api}/jobs/${jobId}`, (answer) => FINISHED.includes(answer.body.status));
      assert.equal(last.body.status, 'completed', JSON.stringify(last.body));
      const toolId: string = last.body.toolFiles[0].toolId;
      assert.deepEqual(last.body.toolFiles[0].testCases[0], { ...invalidSmilesExample, source: 'client' });

      const stream = await readEventStream(`${api}/jobs/${jobId}/events`);
      assert.equal(stream.status, 200);
      assert.ok(stream.events.some((event) => event.event === 'stage'));
      assert.equal(stream.events.at(-1)?.event, 'job');
      for (const event of stream.events) {
        const schema = event.event === 'stage' ? 'JobStageEvent' : 'JobEndEvent';
        assert.deepEqual(checker.schemaProblems(`/components/schemas/${schema}`, event.data), [], event.event);
      }
      assert.equal((await request(`${api}/jobs/${jobId}/events`)).status, 200);

      const listed = await request(`${api}/jobs?limit=5`);
      assert.ok(listed.body.jobs.some((job: Json) => job.jobId === jobId));
      assert.equal((await postJson(`${api}/jobs/${jobId}/cancel`, {})).status, 409);
      assert.equal((await postJson(`${api}/jobs/${jobId}/retry`, {})).status, 409);

      const session = await request(`${api}/sessions/${(await request(`${api}/tools/${toolId}`)).body.sessionId}`);
      assert.equal(session.status, 200);
      const { sessionId, userId, status } = session.body;
      for (const path of [`${sessionId}/tools`, `${sessionId}/status`, `user/${userId}`, `status/${status}`]) {
        assert.equal((await request(`${api}/sessions/${path}`)).status, 200, path);
      }

      const name = 'calculate_molecular_weight';
      for (const path of [`tools?name=${name}`, `tools/by-name/${name}`, `tools/${toolId}/openai?format=chat`]) {
        assert.equal((await request(`${api}/${path}`)).status, 200, path);
      }
      assert.equal((await request(`${api}/openai/functions`)).body.functions.length, 1);
      const executed = await postJson(`${api}/tools/${toolId}/execute`, { input: { smiles: 'CCO' } });
      assert.equal(executed.body.success, true, JSON.stringify(executed.body));
      const raised = await postJson(`${api}/tools/by-name/${name}/execute`, { input: { smiles: 'xyz' } });
      assert.equal(raised.body.success, false);
      const called = await postJson(`${api}/execute-tool`, { tool_name: name, arguments: '{"smiles":"CCO"}' });
      assert.equal(called.status, 200);
      assert.equal((await postJson(`${api}/tools/by-name/${name}/execute`, { input: {} })).status, 400);

      const listTools = await request(`${base}/mcp`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list', params: {} }),
      });
      assert.equal(listTools.status, 200);
      assert.equal((await request(`${base}/mcp`)).status, 405);

      const deprecated = await postJson(`${api}/tools/${toolId}/deprecate`, {});
      assert.equal(deprecated.body.status, 'deprecated');
      assert.equal((await postJson(`${api}/tools/${toolId}/execute`, { input: { smiles: 'CCO' } })).status, 409);
      assert.equal((await request(`${api}/tools/${'0'.repeat(24)}`)).status, 404);
    });
  });
});
