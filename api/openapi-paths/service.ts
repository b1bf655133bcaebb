import type { OpenAPIRegistry, ResponseConfig } from '@asteasolutions/zod-to-openapi';
import {
  consoleAssetParamsSchema,
  docsAssetParamsSchema,
  errorResponseSchema,
  healthResponseSchema,
  jsonRpcBodySchema,
  jsonRpcMessageSchema,
} from '../../contract';
import { z } from '../../contract/zod';
import { serverSentEventSchema } from '../../contract/server-sent-events';
import { jsonAnswer, registerOperation } from './operation';

/** The service's own routes: health, metrics, this document and its page, and MCP. */
export function registerServicePaths(registry: OpenAPIRegistry): void {
  registerOperation(registry, {
    method: 'get',
    path: '/api/v1/health',
    summary: 'Health of the service, its database and Temporal',
    responses: {
      200: jsonAnswer('healthy', healthResponseSchema),
      503: jsonAnswer('unhealthy: the database or Temporal cannot be reached', healthResponseSchema),
    },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/metrics',
    summary: 'Prometheus metrics of the API',
    description:
      'toolsmith_http_requests_total and toolsmith_http_request_duration_seconds by route and status, jobs by status, and the process metrics.',
    responses: {
      200: {
        description: 'the Prometheus text exposition format',
        content: { 'text/plain': { schema: z.string() } },
      },
    },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document (OpenAPI 3.1), generated from the zod schemas the routes validate and answer with',
    responses: {
      200: jsonAnswer(
        'the OpenAPI document',
        z.looseObject({ openapi: z.string() }).describe('an OpenAPI 3.1 document'),
      ),
    },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/docs',
    summary: 'This document, rendered (swagger-ui, served from the service itself)',
    responses: { 200: { description: 'the page', content: { 'text/html': { schema: z.string() } } } },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/docs/assets/{asset}',
    summary: "The docs page's scripts and styles (the bundled swagger-ui)",
    request: { params: docsAssetParamsSchema },
    responses: {
      200: {
        description: 'the file',
        content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } },
      },
    },
    errors: { 404: 'INVALID_REQUEST: no such file' },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/',
    summary: 'The web console: submit jobs, watch them live, browse the registry, run tools',
    description: 'The page needs no key; it asks for one and sends it with every call it makes to /api/v1.',
    responses: { 200: { description: 'the page', content: { 'text/html': { schema: z.string() } } } },
  });

  registerOperation(registry, {
    method: 'get',
    path: '/assets/{asset}',
    summary: "The web console's script and styles (bundled from web/ by the API itself)",
    request: { params: consoleAssetParamsSchema },
    responses: {
      200: {
        description: 'the file',
        content: { 'text/javascript': { schema: z.string() }, 'text/css': { schema: z.string() } },
      },
    },
    errors: { 404: 'INVALID_REQUEST: no such file' },
  });

  registerMcpPaths(registry);
}

/** The MCP SDK answers in JSON-RPC itself; only the API key check and our own faults are ErrorResponses. */
function jsonRpcError(description: string): ResponseConfig {
  return { description, content: { 'application/json': { schema: jsonRpcMessageSchema } } };
}

const MCP_DESCRIPTION =
  'The registered tools as an MCP server (streamable HTTP, stateless, JSON-RPC 2.0). tools/list offers every ' +
  'registered tool (newest version per name) with inputSchema and outputSchema; tools/call answers structuredContent ' +
  'plus the same JSON as text, or isError with the tool’s error. A request with an Origin other than localhost is ' +
  'refused (403).';

function registerMcpPaths(registry: OpenAPIRegistry): void {
  registerOperation(registry, {
    method: 'post',
    path: '/mcp',
    summary: 'An MCP request, notification or response',
    description: MCP_DESCRIPTION,
    request: {
      body: {
        required: true,
        content: { 'application/json': { schema: jsonRpcBodySchema } },
      },
    },
    responses: {
      200: {
        description: 'the JSON-RPC answer, as JSON or as a Server-Sent Events stream (per the Accept header)',
        content: {
          'application/json': { schema: jsonRpcBodySchema },
          'text/event-stream': { schema: serverSentEventSchema(['message'], 'the JSON of one JSON-RPC message') },
        },
      },
      202: { description: 'a notification or response was accepted; nothing to answer' },
      400: jsonRpcError('the body is not JSON-RPC (a JSON-RPC parse or invalid-request error)'),
      403: jsonRpcError('a foreign Origin (or Host, when the service listens on loopback)'),
      404: jsonRpcError('an unknown session'),
      406: jsonRpcError('the Accept header allows neither application/json nor text/event-stream'),
      413: jsonRpcError('the body is over the limit'),
      415: jsonRpcError('the body is not application/json'),
      500: {
        description: 'a fault on our side',
        content: { 'application/json': { schema: z.union([jsonRpcMessageSchema, errorResponseSchema]) } },
      },
    },
  });

  for (const method of ['get', 'delete'] as const) {
    registerOperation(registry, {
      method,
      path: '/mcp',
      summary: 'Not offered: the server is stateless, so there is no stream to open or session to end',
      responses: { 405: jsonRpcError('always (Allow: POST)') },
    });
  }
}
