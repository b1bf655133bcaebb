import { ObjectId, type Filter } from 'mongodb';

/** A page of a newest-first listing: at most `limit` documents, all older than `after`. */
export interface PageWindow {
  limit: number;
  /** the sort key of the last document of the previous page */
  after?: { createdAt: Date; id: string };
}

/**
 * Newest first, `_id` breaking ties between documents created in the same millisecond. Each
 * listing's filter fields followed by these two are an index in `ensureIndexes`.
 */
export const NEWEST_FIRST = { created_at: -1, _id: -1 } as const;

/** The documents after the previous page's last one, in NEWEST_FIRST order. */
export function olderThan<T extends { created_at: Date; _id: ObjectId }>(after: PageWindow['after']): Filter<T> {
  if (!after) return {};
  return {
    $or: [
      { created_at: { $lt: after.createdAt } },
      { created_at: after.createdAt, _id: { $lt: new ObjectId(after.id) } },
    ],
  } as Filter<T>;
}
