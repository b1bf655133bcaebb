import { z } from './zod';

/**
 * One Server-Sent Event as a client's parser hands it over. OpenAPI 3.1 has no `itemSchema`, so
 * the `schema` of a text/event-stream answer describes each event, not the stream's text: a
 * validating client (Schemathesis) checks every event of the stream against it.
 */
export function serverSentEventSchema(eventNames: readonly [string, ...string[]], dataDescription: string) {
  return z.object({
    event: z.enum(eventNames).describe('the event type (`message` when the stream names none)'),
    data: z.string().describe(dataDescription),
    id: z.string().optional().describe('what to send as Last-Event-ID to resume after this event'),
    retry: z.number().int().nonnegative().optional().describe('the reconnection delay, in milliseconds'),
  });
}
