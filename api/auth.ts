import type { Request, RequestHandler } from 'express';
import { ServiceError } from '../contract';
import { hashApiKey, type ApiKeyStore } from '../store/api-keys';
import { DATABASE_RETRY_AFTER_MS } from './http-errors';
import { assignTenant } from './tenant';

/**
 * Open to anyone, with everything under them: probes, scrapers, the API's own documentation, the
 * web console's assets. Everything else needs a key.
 */
export const PUBLIC_PATHS = ['/api/v1/health', '/metrics', '/openapi.json', '/docs', '/assets'];
/** The web console's page: public itself (the calls it makes carry the key), but not what is "under" it. */
export const CONSOLE_PAGE_PATH = '/';

/**
 * How long a valid key is taken on trust before MongoDB is asked again. Keys are revoked by
 * `toolsmith keys revoke`, another process, so every API process refuses a revoked key within
 * this long; an unknown key is never cached, and always refused at once.
 */
export const KEY_CACHE_TTL_MS = 5_000;
/** the most keys remembered at once; beyond it the cache starts over */
const KEY_CACHE_MAX_ENTRIES = 10_000;

const HOW_TO_SEND_A_KEY =
  'Send an API key as "Authorization: Bearer <key>" or "X-API-Key: <key>"; ' +
  'an operator creates one with `npx toolsmith keys create --client <id>`.';

/** Whether a request path (or an OpenAPI path template) is answered without a key. */
export function isPublicPath(path: string): boolean {
  return path === CONSOLE_PAGE_PATH || PUBLIC_PATHS.some((open) => path === open || path.startsWith(`${open}/`));
}

function unauthorized(problem: string): ServiceError {
  return new ServiceError('UNAUTHORIZED', `${problem} ${HOW_TO_SEND_A_KEY}`);
}

/** The key the request presents: Authorization (Bearer) first, else X-API-Key; never echoed back. */
function presentedKey(req: Request): string | undefined {
  const authorization = req.get('authorization')?.trim();
  if (authorization) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(authorization);
    if (!bearer) throw unauthorized('The Authorization header is not "Bearer <key>".');
    return bearer[1];
  }
  return req.get('x-api-key')?.trim() || undefined;
}

export interface AuthenticationOptions {
  cacheTtlMs?: number;
}

/**
 * Every request but the public ones must carry a valid, unrevoked API key; the key's client
 * becomes the request's tenant. Missing, malformed, unknown or revoked: 401 UNAUTHORIZED.
 */
export function authenticate(keys: ApiKeyStore, options: AuthenticationOptions = {}): RequestHandler {
  const cacheTtlMs = options.cacheTtlMs ?? KEY_CACHE_TTL_MS;
  // by the key's hash: the process keeps no key it was sent
  const trusted = new Map<string, { clientId: string; until: number }>();

  async function clientOf(key: string): Promise<string | null> {
    const hash = hashApiKey(key);
    const cached = trusted.get(hash);
    if (cached && cached.until > Date.now()) return cached.clientId;
    trusted.delete(hash);
    let found: Awaited<ReturnType<ApiKeyStore['findActive']>>;
    try {
      found = await keys.findActive(key);
    } catch {
      throw new ServiceError(
        'SERVICE_UNAVAILABLE',
        'The API key cannot be checked: the database is unreachable; try again shortly.',
        {
          retryable: true,
          retryAfterMs: DATABASE_RETRY_AFTER_MS,
        },
      );
    }
    if (!found) return null;
    if (trusted.size >= KEY_CACHE_MAX_ENTRIES) trusted.clear();
    trusted.set(hash, { clientId: found.clientId, until: Date.now() + cacheTtlMs });
    return found.clientId;
  }

  async function clientOfRequest(req: Request): Promise<string> {
    const key = presentedKey(req);
    if (!key) throw unauthorized('This request carries no API key.');
    const clientId = await clientOf(key);
    if (!clientId) throw unauthorized('The API key is not valid: it is unknown or has been revoked.');
    return clientId;
  }

  return async (req, res, next) => {
    if (isPublicPath(req.path)) return next();
    try {
      assignTenant(res, await clientOfRequest(req));
    } catch (error) {
      if (error instanceof ServiceError && error.code === 'UNAUTHORIZED') {
        res.setHeader('WWW-Authenticate', 'Bearer realm="toolsmith"');
      }
      throw error;
    }
    next();
  };
}
