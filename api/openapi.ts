import { OpenAPIRegistry, OpenApiGeneratorV31 } from '@asteasolutions/zod-to-openapi';
import { version } from '../package.json';
import { registerJobPaths } from './openapi-paths/jobs';
import { registerApiKeySchemes } from './openapi-paths/operation';
import { registerServicePaths } from './openapi-paths/service';
import { registerSessionPaths } from './openapi-paths/sessions';
import { registerToolCallPaths, registerToolRegistryPaths } from './openapi-paths/tools';

/** Where the document says how a path or method it does not list is answered. */
export const UNMATCHED_ROUTE_RESPONSE = 'RouteNotFound';

function buildDocument() {
  const registry = new OpenAPIRegistry();
  registerApiKeySchemes(registry);
  registry.registerComponent('responses', UNMATCHED_ROUTE_RESPONSE, {
    description: 'INVALID_REQUEST: any path or method not in this document is answered with this 404',
    content: { 'application/json': { schema: { $ref: '#/components/schemas/ErrorResponse' } } },
  });
  registerServicePaths(registry);
  registerJobPaths(registry);
  registerSessionPaths(registry);
  registerToolRegistryPaths(registry);
  registerToolCallPaths(registry);
  const document = new OpenApiGeneratorV31(registry.definitions).generateDocument({
    openapi: '3.1.0',
    info: {
      title: 'Toolsmith',
      version,
      description:
        'Turns natural-language tool requirements into tested, registered Python tools. Each job is a Temporal workflow. ' +
        'Every route but health, /metrics, /openapi.json and /docs needs an API key (Authorization: Bearer, or X-API-Key). ' +
        'Every error answer is an ErrorResponse (the MCP endpoint answers in JSON-RPC).',
    },
  });
  return { ...document, components: document.components ?? {}, paths: document.paths ?? {} };
}

type GeneratedDocument = ReturnType<OpenApiGeneratorV31['generateDocument']>;
export type OpenApiDocument = GeneratedDocument & Required<Pick<GeneratedDocument, 'components' | 'paths'>>;

let generated: OpenApiDocument | undefined;

/** OpenAPI 3.1 for every route the service serves, generated once from the zod contract (api/contract). */
export function openApiDocument(): OpenApiDocument {
  generated ??= buildDocument();
  return generated;
}
