import { z } from './zod';

/** Shapes every part of the contract shares: dates, ids, listings and their pages. */

export const MAX_METADATA_CHARS = 200;
export const DEFAULT_PAGE_SIZE = 20;
export const MAX_PAGE_SIZE = 100;
/** Later than any Date can be (ECMAScript's limit is 8.64e15 ms). */
const MAX_DATE_MILLIS = 8.64e15;

/**
 * A request object that takes no other fields: a wrong type reads `message`, and an unknown field
 * is named as such, with the fields the object knows (zod would give both the one message).
 */
export function strictRequestObject<Shape extends z.ZodRawShape>(shape: Shape, message: string) {
  const known = Object.keys(shape).join(', ');
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code !== 'unrecognized_keys') return message;
      const keys = issue.keys as string[];
      const named = keys.map((key) => `"${key}"`).join(', ');
      return `has ${keys.length > 1 ? 'unknown fields' : 'an unknown field'} ${named} (known: ${known})`;
    },
  });
}

export const isoDateSchema = z.string().openapi({ format: 'date-time', description: 'ISO 8601 date and time' });
export const countSchema = z.number().int().nonnegative();
export const jsonSchemaObject = z.record(z.string(), z.unknown()).describe('JSON Schema (2020-12)');

export const objectIdSchema = z
  .string()
  .regex(/^[0-9a-fA-F]{24}$/, 'must be 24 hexadecimal characters (a MongoDB ObjectId)')
  .transform((id) => id.toLowerCase());

export const jobIdSchema = z
  .string()
  .max(128, 'must be at most 128 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'may contain only letters, digits, "_" and "-"');

/** A client's own label (metadata.clientId, the `user` of the session listings). */
export const clientLabelSchema = z
  .string({ error: 'must be a single client id' })
  .min(1, 'must not be empty')
  .max(MAX_METADATA_CHARS, `must be at most ${MAX_METADATA_CHARS} characters`);

/** Opaque to clients: base64url of "<created_at millis>:<_id hex>", the sort key of a page's last item (the id stays hex: the store makes it an ObjectId). */
const cursorSchema = z
  .string({ error: 'must be a single cursor' })
  .max(200, 'is not a cursor this API returned')
  .transform((cursor, ctx) => {
    const [millis, id, ...rest] = Buffer.from(cursor, 'base64url').toString('utf8').split(':');
    const valid = millis && id && rest.length === 0 && /^\d{1,16}$/.test(millis) && Number(millis) <= MAX_DATE_MILLIS;
    if (!valid || !/^[0-9a-f]{24}$/.test(id)) {
      ctx.addIssue({ code: 'custom', message: 'is not a cursor this API returned' });
      return z.NEVER;
    }
    return { createdAt: new Date(Number(millis)), id };
  })
  .openapi({ description: "opaque: the previous page's nextCursor" });

export const pageQuerySchema = z.object({
  limit: z.coerce
    .number({ error: `must be an integer from 1 to ${MAX_PAGE_SIZE}` })
    .int(`must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .min(1, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .max(MAX_PAGE_SIZE, `must be an integer from 1 to ${MAX_PAGE_SIZE}`)
    .default(DEFAULT_PAGE_SIZE)
    .openapi({ description: 'page size' }),
  cursor: cursorSchema.optional(),
});

export function cursorAfter(item: { _id: { toHexString(): string }; created_at: Date }): string {
  return Buffer.from(`${item.created_at.getTime()}:${item._id.toHexString()}`).toString('base64url');
}

const nextCursorSchema = z.string().nullable().describe('null on the last page');

/** A listing: `{ <things>: [...], nextCursor }`, newest first. */
export function pageOf<const Key extends string, Item extends z.ZodType>(key: Key, item: Item) {
  const shape = { [key]: z.array(item), nextCursor: nextCursorSchema } as Record<Key, z.ZodArray<Item>> & {
    nextCursor: typeof nextCursorSchema;
  };
  return z.strictObject(shape);
}

/** The run in Temporal, and a deep link to it in the Web UI. */
export const temporalRunSchema = z
  .strictObject({
    workflowId: z.string(),
    runId: z.string().nullable().describe('null when answered from the MongoDB mirror'),
    uiUrl: z.string(),
  })
  .openapi('TemporalRun');
