import assert from 'node:assert/strict';
import { readServerSentEvents, type ServerSentEvent } from '../../../contract/event-stream';

/** Feeds the text to the reader in the given pieces, as a network would split it. */
async function readAll(...pieces: string[]): Promise<ServerSentEvent[]> {
  async function* chunks() {
    for (const piece of pieces) yield new TextEncoder().encode(piece);
  }
  const events: ServerSentEvent[] = [];
  for await (const event of readServerSentEvents(chunks())) events.push(event);
  return events;
}

describe('the Server-Sent Events reader of the CLI and the web console, as the format defines it', () => {
  it('dispatches on a blank line, with the id, the event type and the data', async () => {
    const events = await readAll(
      'retry: 1000\n\nid: 0-1\nevent: stage\ndata: {"a":1}\n\nid: 0-final\nevent: job\ndata: {}\n\n',
    );
    assert.deepEqual(events, [
      { id: '0-1', event: 'stage', data: '{"a":1}' },
      { id: '0-final', event: 'job', data: '{}' },
    ]);
  });

  it('joins a multi-line data field, skips comments, defaults the type and keeps the last id', async () => {
    const events = await readAll(': keep-alive\n\nid: 7\ndata: first\ndata:second\n\ndata: no id of its own\n\n');
    assert.deepEqual(events, [
      { id: '7', event: 'message', data: 'first\nsecond' },
      { id: '7', event: 'message', data: 'no id of its own' },
    ]);
  });

  it('handles CRLF and CR line ends, even when a chunk ends between "\\r" and "\\n"', async () => {
    const events = await readAll('id: 1\r\nevent: stage\r\ndata: x\r', '\n\r', '\nid: 2\rdata: y\r\r');
    assert.deepEqual(events, [
      { id: '1', event: 'stage', data: 'x' },
      { id: '2', event: 'message', data: 'y' },
    ]);
  });

  it('reassembles lines and multi-byte characters split across chunks', async () => {
    const bytes = new TextEncoder().encode('event: stage\ndata: "café"\n\n');
    const cut = bytes.indexOf(0xc3) + 1; // inside the two bytes of "é"
    async function* chunks() {
      yield bytes.slice(0, 5);
      yield bytes.slice(5, cut);
      yield bytes.slice(cut);
    }
    const events: ServerSentEvent[] = [];
    for await (const event of readServerSentEvents(chunks())) events.push(event);
    assert.deepEqual(events, [{ id: undefined, event: 'stage', data: '"café"' }]);
  });

  it('drops an event the stream cut off before its blank line (it is resent after resuming)', async () => {
    const events = await readAll('id: 1\nevent: stage\ndata: complete\n\nid: 2\nevent: stage\ndata: cut off');
    assert.deepEqual(events, [{ id: '1', event: 'stage', data: 'complete' }]);
  });
});
