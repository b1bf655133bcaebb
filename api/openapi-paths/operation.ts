import type { OpenAPIRegistry, ResponseConfig, RouteConfig } from '@asteasolutions/zod-to-openapi';
import { isPublicPath } from '../auth';
import { errorResponseSchema } from '../../contract';
import { z } from '../../contract/zod';

/**
 * One operation of the document, from the zod schemas the route validates and answers with. The
 * error answers every route shares are added here, so no operation can forget them: 401 and 429 on
 * every route behind an API key (and 503, the database being busy), 400/413/415 on every route that
 * reads a JSON body, 500 on all.
 */

export const API_KEY_SCHEMES = { bearer: 'ApiKeyBearer', header: 'ApiKeyHeader' } as const;

/** a request id on every answer, so a person can quote it */
const requestIdHeader = z.object({ 'X-Request-Id': z.string().describe("the client's X-Request-Id, or a new one") });
const retryAfterHeader = requestIdHeader.extend({
  'Retry-After': z.string().optional().describe('seconds to wait before trying again'),
});

type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 500 | 503;

/** An error answer: the ErrorResponse, described by the codes it carries and when. */
export function errorAnswer(status: ErrorStatus, description: string): ResponseConfig {
  return {
    description,
    headers: status === 429 || status === 503 ? retryAfterHeader : requestIdHeader,
    content: { 'application/json': { schema: errorResponseSchema } },
  };
}

export function jsonAnswer(description: string, schema: z.ZodType, headers?: z.ZodObject): ResponseConfig {
  return {
    description,
    headers: headers ? requestIdHeader.extend(headers.shape) : requestIdHeader,
    content: { 'application/json': { schema } },
  };
}

export interface OperationSpec extends Omit<RouteConfig, 'responses' | 'security' | 'request'> {
  request?: RouteConfig['request'];
  /** a JSON request body: adds the errors of reading one */
  body?: z.ZodType;
  responses: Partial<Record<number, ResponseConfig>>;
  /** the route's own error answers, by status: what each status means here */
  errors?: Partial<Record<ErrorStatus, string>>;
}

const SHARED_ERRORS = {
  authenticated: {
    401: 'UNAUTHORIZED: no API key, or one that is wrong or revoked',
    429: "RATE_LIMIT_EXCEEDED: over the client's requests per minute; Retry-After says when to try again",
    // the key itself is looked up in the database
    503: 'SERVICE_UNAVAILABLE: the database is busy or unreachable; Retry-After says when to try again',
  },
  readsBody: {
    400: 'INVALID_REQUEST: the body is not valid JSON or not the documented shape; details name the fields',
    413: 'PAYLOAD_TOO_LARGE: the body is over the limit',
    415: 'INVALID_REQUEST: the body is not UTF-8',
  },
  always: { 500: 'INTERNAL_ERROR: a fault on our side; quote the request id' },
} satisfies Record<string, OperationSpec['errors']>;

export function registerOperation(registry: OpenAPIRegistry, spec: OperationSpec): void {
  const { body, errors = {}, responses, request, ...route } = spec;
  // the paths the API answers without a key, as the authentication itself decides
  const authenticated = !isPublicPath(route.path);
  const descriptions = new Map<ErrorStatus, string[]>();
  const shared = [authenticated && SHARED_ERRORS.authenticated, body && SHARED_ERRORS.readsBody, SHARED_ERRORS.always];
  for (const group of [...shared, errors]) {
    for (const [status, description] of Object.entries<string>(group || {})) {
      const key = Number(status) as ErrorStatus;
      descriptions.set(key, [...(descriptions.get(key) ?? []), description]);
    }
  }
  const errorAnswers = Object.fromEntries(
    [...descriptions].map(([status, texts]) => [status, errorAnswer(status, texts.join('; or '))]),
  );
  registry.registerPath({
    ...route,
    security: authenticated ? [{ [API_KEY_SCHEMES.bearer]: [] }, { [API_KEY_SCHEMES.header]: [] }] : [],
    request: {
      ...request,
      ...(body ? { body: { required: true, content: { 'application/json': { schema: body } } } } : {}),
    },
    // what the route says of a status wins over what every route may answer with it
    responses: { ...errorAnswers, ...responses } as RouteConfig['responses'],
  });
}

/** The security schemes: an API key, sent either way. */
export function registerApiKeySchemes(registry: OpenAPIRegistry): void {
  registry.registerComponent('securitySchemes', API_KEY_SCHEMES.bearer, {
    type: 'http',
    scheme: 'bearer',
    description: 'Authorization: Bearer <API key>',
  });
  registry.registerComponent('securitySchemes', API_KEY_SCHEMES.header, {
    type: 'apiKey',
    in: 'header',
    name: 'X-API-Key',
    description: 'the API key, as X-API-Key: <key>',
  });
}
