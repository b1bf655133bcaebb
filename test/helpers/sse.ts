import { withApiKey } from '../../dev/http';

/** A minimal Server-Sent Events reader for tests: collects events until the server closes the stream. */
export interface ServerSentEvent {
  id: string | null;
  event: string;
  data: any;
}

export async function readEventStream(
  url: string,
  lastEventId?: string,
  timeoutMs = 60_000,
  headers: Record<string, string> = {},
): Promise<{ status: number; events: ServerSentEvent[] }> {
  const response = await fetch(
    url,
    withApiKey(url, {
      headers: { accept: 'text/event-stream', ...(lastEventId ? { 'last-event-id': lastEventId } : {}), ...headers },
      signal: AbortSignal.timeout(timeoutMs),
    }),
  );
  if (!response.ok || !response.body) return { status: response.status, events: [] };
  const events: ServerSentEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (!line || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        fields[line.slice(0, colon)] = line.slice(colon + 1).trimStart();
      }
      if (fields.data !== undefined) {
        events.push({ id: fields.id ?? null, event: fields.event ?? 'message', data: JSON.parse(fields.data) });
      }
    }
  }
  return { status: response.status, events };
}
