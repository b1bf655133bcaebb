import type { Request, RequestHandler } from 'express';
import type { Db } from 'mongodb';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { jobStatuses } from '../contract';
import type { SessionDocument } from '../store/documents';

/** the label of a request no route matched: raw URLs never become labels (unbounded series) */
const UNMATCHED_ROUTE = 'unmatched';

export interface ApiMetrics {
  registry: Registry;
  /** counts and times every request, by method, route pattern and status */
  observeRequests: RequestHandler;
  /** GET /metrics: Prometheus text */
  serveMetrics: RequestHandler;
}

/** The Express route pattern that answered (`/api/v1/jobs/:jobId`), once the response is finished. */
function routePattern(req: Request): string {
  const path = req.route?.path;
  if (typeof path !== 'string') return UNMATCHED_ROUTE;
  const joined = `${req.baseUrl}${path}`;
  return joined.length > 1 ? joined.replace(/\/$/, '') : joined;
}

/** Jobs by status from the sessions mirror, every tenant's, counted when scraped. */
async function jobsByStatus(db: Db): Promise<Map<string, number>> {
  const groups = await db
    .collection<SessionDocument>('sessions')
    .aggregate<{ _id: string; count: number }>([{ $group: { _id: '$job_status', count: { $sum: 1 } } }])
    .toArray();
  return new Map(groups.map((group) => [group._id, group.count]));
}

/** One registry per app, so several apps in one process (the tests) never share or collide on series. */
export function createApiMetrics(db: Db, onScrapeProblem: (problem: string) => void): ApiMetrics {
  const registry = new Registry();
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'toolsmith_http_requests_total',
    help: 'HTTP requests answered, by method, route pattern and status',
    labelNames,
    registers: [registry],
  });
  const durations = new Histogram({
    name: 'toolsmith_http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by method, route pattern and status',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  new Gauge({
    name: 'toolsmith_jobs',
    help: 'Jobs by status, from the sessions mirror (all clients)',
    labelNames: ['status'],
    registers: [registry],
    async collect() {
      this.reset();
      try {
        const counts = await jobsByStatus(db);
        for (const status of jobStatuses) this.set({ status }, counts.get(status) ?? 0);
      } catch (error) {
        // A scrape still answers (with the HTTP series) while MongoDB is down.
        onScrapeProblem(`could not count jobs for /metrics: ${(error as Error).message}`);
      }
    },
  });

  const observeRequests: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once('finish', () => {
      const labels = { method: req.method, route: routePattern(req), status: String(res.statusCode) };
      requests.inc(labels);
      durations.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  const serveMetrics: RequestHandler = async (_req, res) => {
    res.type(registry.contentType).send(await registry.metrics());
  };

  return { registry, observeRequests, serveMetrics };
}
