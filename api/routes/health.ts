import type { Connection } from '@temporalio/client';
import { Router } from 'express';
import type { Db } from 'mongodb';
import { pingDatabase } from '../../store';
import type { HealthResponse } from '../../contract';

export interface HealthDependencies {
  db: Db;
  temporalConnection: Connection;
  version: string;
  timeoutMs: number;
}

async function temporalReachable(connection: Connection, timeoutMs: number): Promise<boolean> {
  try {
    await connection.withDeadline(Date.now() + timeoutMs, () => connection.workflowService.getSystemInfo({}));
    return true;
  } catch {
    return false;
  }
}

export function healthRouter(deps: HealthDependencies): Router {
  const router = Router();
  router.get('/', async (_req, res) => {
    const [database, temporal] = await Promise.all([
      pingDatabase(deps.db, deps.timeoutMs),
      temporalReachable(deps.temporalConnection, deps.timeoutMs),
    ]);
    const body: HealthResponse = {
      status: database && temporal ? 'healthy' : 'unhealthy',
      timestamp: new Date().toISOString(),
      version: deps.version,
      database: database ? 'connected' : 'disconnected',
      temporal: temporal ? 'connected' : 'disconnected',
    };
    res.status(body.status === 'healthy' ? 200 : 503).json(body);
  });
  return router;
}
