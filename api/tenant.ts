import type { RequestHandler, Response } from 'express';
import { DEFAULT_TENANT } from '../store/documents';

/**
 * Whose data a request may see. Every registry read and write is scoped by it. Until API keys name
 * clients, every request acts for the one default tenant.
 */
export const assignTenant: RequestHandler = (_req, res, next) => {
  res.locals.tenant = DEFAULT_TENANT;
  next();
};

export function tenantOf(res: Response): string {
  const tenant: unknown = res.locals.tenant;
  if (typeof tenant !== 'string') throw new Error('no tenant was assigned to this request');
  return tenant;
}
