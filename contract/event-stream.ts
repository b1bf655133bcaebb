/**
 * A reader for the text/event-stream format (the WHATWG "server-sent events" parsing rules), small
 * enough to own: fetch gives us the bytes, and we need the event ids for Last-Event-ID resumption.
 */

export interface ServerSentEvent {
  /** the stream's last event id when this event was dispatched (ids persist across events) */
  id: string | undefined;
  /** the `event:` field, "message" when absent */
  event: string;
  data: string;
}

interface PendingEvent {
  event: string;
  data: string[];
}

/** Splits the stream into lines, holding back a trailing "\r" that may be the first half of "\r\n". */
async function* lines(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of chunks) {
    buffer += decoder.decode(chunk, { stream: true });
    const complete = buffer.endsWith('\r') ? buffer.slice(0, -1) : buffer;
    const parts = complete.split(/\r\n|\r|\n/);
    const rest = parts.pop() ?? '';
    yield* parts;
    buffer = rest + buffer.slice(complete.length);
  }
  buffer += decoder.decode();
  // A held-back "\r" at the very end did terminate its line; anything else left is an unterminated line, dropped.
  if (buffer.endsWith('\r')) yield buffer.slice(0, -1);
}

/**
 * Yields each dispatched event. An event that is still incomplete when the stream ends is dropped,
 * as the format requires: the caller reconnects with the last id and gets it again.
 */
export async function* readServerSentEvents(chunks: AsyncIterable<Uint8Array>): AsyncGenerator<ServerSentEvent> {
  let lastEventId: string | undefined;
  let pending: PendingEvent = { event: '', data: [] };
  for await (const line of lines(chunks)) {
    if (line === '') {
      if (pending.data.length > 0) {
        yield { id: lastEventId, event: pending.event || 'message', data: pending.data.join('\n') };
      }
      pending = { event: '', data: [] };
      continue;
    }
    if (line.startsWith(':')) continue; // a comment: servers send these as keep-alives
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        pending.event = value;
        break;
      case 'data':
        pending.data.push(value);
        break;
      case 'id':
        if (!value.includes('\0')) lastEventId = value;
        break;
      default:
        break; // `retry:` and unknown fields: our reconnect policy is our own
    }
  }
}
