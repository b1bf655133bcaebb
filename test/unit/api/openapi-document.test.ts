import assert from 'node:assert/strict';
import { jobStatuses, sessionStatuses, toolStages, toolStatuses } from '../../../contract';
import { openApiDocument } from '../../../api/openapi';
import { createConformanceChecker, createDocumentAjv, OPENAPI_METHODS } from '../../../dev/openapi-conformance';

const document = openApiDocument();
type Json = Record<string, any>;

const PUBLIC_PATHS = [
  '/api/v1/health',
  '/metrics',
  '/openapi.json',
  '/docs',
  '/docs/assets/{asset}',
  '/',
  '/assets/{asset}',
];

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

describe('the OpenAPI document, generated from the zod contract, as a document', () => {
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
      checker.check({ ...answer, headers: new Headers({ 'content-type': 'text/html', 'x-request-id': 'r1' }) }).join(),
      /content type "text\/html"/,
    );
    assert.match(checker.check({ ...answer, url: 'http://127.0.0.1:1/api/v1/nope' }).join(), /not in the document/);
    assert.match(checker.check({ ...answer, method: 'DELETE' }).join(), /not in the document/);
    const noRequestId = new Headers({ 'content-type': 'application/json' });
    assert.match(checker.check({ ...answer, headers: noRequestId }).join(), /X-Request-Id is missing/);
  });
});
