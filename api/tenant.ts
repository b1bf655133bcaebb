import type { Response } from 'express';

/**
 * Whose data a request may see: the client its API key names (api/auth.ts). Every read and write
 * of jobs, sessions and tools is scoped by it.
 */
export function assignTenant(res: Response, tenant: string): void {
  res.locals.tenant = tenant;
}

/** The request's tenant, or undefined on a public route (health, docs, metrics), which has none. */
export function tenantIfAny(res: Response): string | undefined {
  const tenant: unknown = res.locals.tenant;
  return typeof tenant === 'string' ? tenant : undefined;
}

export function tenantOf(res: Response): string {
  const tenant = tenantIfAny(res);
  if (tenant === undefined) throw new Error('no tenant was assigned to this request');
  return tenant;
}
