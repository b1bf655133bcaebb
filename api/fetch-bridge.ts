import { Readable } from 'node:stream';
import type { Request as ExpressRequest, Response as ExpressResponse } from 'express';

/**
 * Express ⇄ the web-standard Request/Response of a fetch-shaped handler (the MCP SDK's
 * createMcpHandler), for a route mounted before the JSON body parser: the body is streamed
 * through unread.
 */

export function toWebRequest(req: ExpressRequest, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    for (const item of [value ?? []].flat()) headers.append(name, item);
  }
  const url = new URL(req.originalUrl, `${req.protocol}://${req.get('host') ?? 'localhost'}`);
  const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
  // Node's fetch needs `duplex: "half"` to send a streamed body; the DOM typings do not know it.
  const init: RequestInit & { duplex?: 'half' } = {
    method: req.method,
    headers,
    signal,
    ...(hasBody ? { body: Readable.toWeb(req) as ReadableStream, duplex: 'half' } : {}),
  };
  return new Request(url, init);
}

/** Writes the answer as it comes: a JSON body, or a Server-Sent Events stream chunk by chunk. */
export async function sendWebResponse(response: Response, res: ExpressResponse, signal: AbortSignal): Promise<void> {
  res.status(response.status);
  response.headers.forEach((value, name) => res.setHeader(name, value));
  if (!response.body) {
    res.end();
    return;
  }
  res.flushHeaders();
  const reader = response.body.getReader();
  try {
    while (!signal.aborted) {
      const { done, value } = await reader.read();
      if (done) break;
      res.write(value);
    }
  } catch (error) {
    if (!signal.aborted) throw error;
  } finally {
    if (signal.aborted) await reader.cancel().catch(() => undefined);
    res.end();
  }
}
