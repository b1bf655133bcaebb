import express from 'express';
import type { Registry } from 'prom-client';
import { startServer } from '../api/server';

/** A scrape does not wait longer than this for the Temporal SDK's exporter. */
export const TEMPORAL_METRICS_TIMEOUT_MS = 2_000;

export interface MetricsServer {
  url: string;
  close(): Promise<void>;
}

/** The Temporal SDK's series (its Rust core's Prometheus exporter), or a comment saying why not. */
async function temporalSeries(url: string): Promise<string> {
  try {
    const answer = await fetch(url, { signal: AbortSignal.timeout(TEMPORAL_METRICS_TIMEOUT_MS) });
    if (!answer.ok) return `# Temporal SDK metrics unavailable: HTTP ${answer.status}\n`;
    return await answer.text();
  } catch (error) {
    return `# Temporal SDK metrics unavailable: ${(error as Error).message}\n`;
  }
}

/**
 * The worker's `/metrics`: its own registry, followed by the Temporal SDK's series when the process
 * runs the SDK's exporter (`temporalMetricsUrl`), so one scrape target covers both.
 */
export async function startMetricsServer(
  registry: Registry,
  host: string,
  port: number,
  temporalMetricsUrl?: string,
): Promise<MetricsServer> {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    const own = await registry.metrics();
    const temporal = temporalMetricsUrl ? await temporalSeries(temporalMetricsUrl) : '';
    res.type(registry.contentType).send(`${own}\n${temporal}`);
  });
  const server = await startServer(app, host, port);
  return { url: `${server.url}/metrics`, close: () => server.close() };
}
