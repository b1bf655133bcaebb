import assert from 'node:assert/strict';
import type { Express } from 'express';
import { jobStatuses, sessionStatuses, toolStages, toolStatuses } from '../../contract';
import { openApiDocument } from '../../api/openapi';
import { startWebServer } from '../../api/web-server';
import { molecularWeightScript } from '../../dev/canned-tools';
import { loadExample } from '../../dev/examples';
import { pollUntil, postJson, request } from '../../dev/http';
import { FINISHED } from '../../dev/jobs';
import { createConformanceChecker, createDocumentAjv, OPENAPI_METHODS } from '../../dev/openapi-conformance';
import { readEventStream } from '../helpers/sse';
import { useTestStack } from '../../dev/stack';

const document = openApiDocument();
const PUBLIC_PATHS = [
  '/api/v1/health',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/docs/assets/{asset}',
  '/',
  '/assets/{asset}',
];

type Json = Record<string, any>;

function operationsOf(path: string): [string, Json][] {
  const item = document.paths[path] as Json;
  return OPENAPI_METHODS.filter((method) => item[method]).map((method) => [method, item[method]]);
}

const allOperations = Object.keys(document.paths).flatMap((path) =>
  operationsOf(path).map(([method, operation]) => ({ path, method, operation })),
);

/** Every `$ref` in the document, wherever it is. */
function refsIn(value: unknown): string[] {
  if (Array.isArray(value)) return value.flatMap(refsIn);
  if (typeof value !== 'object' || value === null) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    key === '$ref' && typeof inner === 'string' ? [inner] : refsIn(inner),
  );
}

function resolvePointer(ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `${ref} is local`);
  return ref
    .slice(2)
    .split('/')
    .map((token) => token.replaceAll('~1', '/').replaceAll('~0', '~'))
    .reduce<unknown>((node, token) => (node as Json | undefined)?.[token], document);
}

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

  describe('as a document', () => {
    it('is OpenAPI 3.1 where every path has operations and every operation documents its answers', () => {
      assert.equal(document.openapi, '3.1.0');
      assert.ok(Object.keys(document.paths).length >= 25);
      for (const path of Object.keys(document.paths)) {
        assert.ok(operationsOf(path).length > 0, `${path} has an operation`);
      }
      for (const { path, method, operation } of allOperations) {
        const responses = Object.entries(operation.responses as Json);
        assert.ok(responses.length > 0, `${method} ${path} documents its answers`);
        for (const [status, response] of responses) {
          assert.match(status, /^[1-5]\d\d$/, `${method} ${path}: ${status} is a status`);
          assert.equal(typeof response.description, 'string', `${method} ${path} ${status} is described`);
        }
        for (const name of (path.match(/\{(\w+)\}/g) ?? []).map((param) => param.slice(1, -1))) {
          const parameter = (operation.parameters ?? []).find((p: Json) => p.in === 'path' && p.name === name);
          assert.ok(parameter?.required, `${method} ${path} documents its path parameter ${name}`);
        }
      }
    });

    it('resolves every $ref', () => {
      const refs = new Set(refsIn(document));
      assert.ok(refs.size > 20);
      for (const ref of refs) assert.ok(resolvePointer(ref) !== undefined, `${ref} resolves`);
    });

    it('has schemas that all compile as JSON Schema 2020-12 (parameters, bodies and answers)', () => {
      const ajv = createDocumentAjv(document, 'doc.json');
      const pointers = Object.keys(document.components.schemas ?? {}).map((name) => `/components/schemas/${name}`);
      for (const { path, method, operation } of allOperations) {
        const at = `/paths/${encodeURIComponent(path.replaceAll('/', '~1'))}/${method}`;
        const mediaTypes = (content: Json | undefined, where: string) =>
          Object.keys(content ?? {}).map(
            (type) => `${at}/${where}/content/${encodeURIComponent(type.replace('/', '~1'))}/schema`,
          );
        pointers.push(
          ...(operation.parameters ?? []).map((_: unknown, index: number) => `${at}/parameters/${index}/schema`),
          ...mediaTypes(operation.requestBody?.content, 'requestBody'),
          ...Object.entries(operation.responses as Json).flatMap(([status, response]) =>
            mediaTypes(response.content, `responses/${status}`),
          ),
        );
      }
      for (const pointer of pointers) assert.doesNotThrow(() => ajv.compile({ $ref: `doc.json#${pointer}` }), pointer);
      assert.ok(pointers.length > 200, `${pointers.length} schemas compiled`);
    });

    it('answers every error with the ErrorResponse, whose codes are the contract’s', () => {
      const errorResponse = document.components.schemas!.ErrorResponse as Json;
      assert.deepEqual(errorResponse.required, ['error', 'code', 'timestamp']);
      assert.ok(errorResponse.properties.code.enum.includes('JOB_NOT_FOUND'));
      for (const { path, method, operation } of allOperations.filter((entry) => entry.path !== '/mcp')) {
        for (const [status, response] of Object.entries(operation.responses as Json)) {
          if (Number(status) < 400 || path === '/api/v1/health') continue;
          assert.equal(
            response.content['application/json'].schema.$ref,
            '#/components/schemas/ErrorResponse',
            `${method} ${path} ${status}`,
          );
        }
        assert.ok(operation.responses['500'], `${method} ${path} documents 500`);
      }
    });

    it('asks for an API key on every route but health, /metrics, /openapi.json, /docs and the web console', () => {
      assert.deepEqual(Object.keys(document.components.securitySchemes ?? {}).sort(), ['ApiKeyBearer', 'ApiKeyHeader']);
      for (const { path, method, operation } of allOperations) {
        if (PUBLIC_PATHS.includes(path)) {
          assert.deepEqual(operation.security, [], `${method} ${path} is public`);
          assert.equal(operation.responses['401'], undefined, `${method} ${path} never answers 401`);
        } else {
          assert.deepEqual(operation.security, [{ ApiKeyBearer: [] }, { ApiKeyHeader: [] }], `${method} ${path}`);
          assert.ok(operation.responses['401'], `${method} ${path} documents 401`);
        }
      }
    });

    it("uses the contract's status values, exactly", () => {
      const schemas = document.components.schemas as Json;
      assert.deepEqual(schemas.JobStatus.enum, [...jobStatuses]);
      assert.deepEqual(schemas.SessionStatusValue.enum, [...sessionStatuses]);
      assert.deepEqual(schemas.ToolStatus.enum, [...toolStatuses]);
      assert.deepEqual(schemas.ToolStage.enum, [...toolStages]);
      assert.deepEqual(Object.keys(schemas.HealthResponse.properties), [
        'status',
        'timestamp',
        'version',
        'database',
        'temporal',
      ]);
    });

    it('catches answers that do not fit it: a wrong field, an undocumented status, route or content type', () => {
      const checker = createConformanceChecker(document);
      const headers = new Headers({ 'content-type': 'application/json; charset=utf-8', 'x-request-id': 'r1' });
      const url = 'http://127.0.0.1:1/api/v1/health';
      const healthy = { status: 'healthy', timestamp: new Date().toISOString(), version: '1', database: 'connected' };
      const answer = { method: 'GET', url, status: 200, headers, body: { ...healthy, temporal: 'connected' } };
      assert.deepEqual(checker.check(answer), []);
      assert.match(checker.check({ ...answer, body: healthy }).join(), /must have required property 'temporal'/);
      assert.match(checker.check({ ...answer, body: { ...answer.body, extra: 1 } }).join(), /additional/);
      assert.match(checker.check({ ...answer, body: { ...answer.body, timestamp: 'today' } }).join(), /date-time/);
      assert.match(checker.check({ ...answer, status: 418 }).join(), /status 418 is not documented/);
      assert.match(
        checker
          .check({ ...answer, headers: new Headers({ 'content-type': 'text/html', 'x-request-id': 'r1' }) })
          .join(),
        /content type "text\/html"/,
      );
      assert.match(checker.check({ ...answer, url: 'http://127.0.0.1:1/api/v1/nope' }).join(), /not in the document/);
      assert.match(checker.check({ ...answer, method: 'DELETE' }).join(), /not in the document/);
      const noRequestId = new Headers({ 'content-type': 'application/json' });
      assert.match(checker.check({ ...answer, headers: noRequestId }).join(), /X-Request-Id is missing/);
    });
  });

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
      const created = await postJson(`${api}/jobs`, {
        ...loadExample<object>('molecular-weight.json'),
        options: { reuse: false },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      const jobId: string = created.body.jobId;
      const { last } = await pollUntil(`${api}/jobs/${jobId}`, (answer) => FINISHED.includes(answer.body.status));
      assert.equal(last.body.status, 'completed', JSON.stringify(last.body));
      const toolId: string = last.body.toolFiles[0].toolId;

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
