import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';

export interface RunningServer {
  server: Server;
  port: number;
  url: string;
  /**
   * Stops accepting connections, lets the requests in flight finish (idle keep-alive connections
   * are closed at once), and after `graceMs` closes whatever is still open (e.g. event streams).
   */
  close(graceMs?: number): Promise<void>;
}

/** Listens (port 0 picks a free one, as tests do) and resolves once the socket is bound. */
export function startServer(app: Express, host: string, port: number): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = app.listen(port, host);
    server.once('error', reject);
    server.once('listening', () => {
      const bound = (server.address() as AddressInfo).port;
      const shownHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
      resolve({
        server,
        port: bound,
        url: `http://${shownHost}:${bound}`,
        close: (graceMs = 0) =>
          new Promise<void>((done, fail) => {
            const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
            server.close((error) => {
              clearTimeout(deadline);
              if (error) fail(error);
              else done();
            });
            server.closeIdleConnections();
          }),
      });
    });
  });
}
