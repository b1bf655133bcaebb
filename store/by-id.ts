import type { Collection, Document, Filter, ObjectId, WithId } from 'mongodb';

/**
 * Reads by `_id` alone, the rest checked here. FerretDB's SQLite backend (v1.24.2 as released)
 * hands a filter to SQL only when it is exactly `{ _id: <value> }`: any other field beside it, or
 * an operator on it (`$in`), decodes every document of the collection (at 2,000 documents, 56 ms
 * of its CPU for an update by `_id` and one more field). Our build hands the `_id` to SQL from any
 * filter (infra/ferretdb-binary.ts), so the conditional writes keep their condition in the filter,
 * where MongoDB applies it atomically; the reads stay fast on the release too.
 */
export async function findOneById<T extends Document>(
  collection: Collection<T>,
  _id: ObjectId,
  matches: (document: WithId<T>) => boolean = () => true,
): Promise<WithId<T> | null> {
  const found = await collection.findOne({ _id } as Filter<T>);
  return found && matches(found) ? found : null;
}

/** Each id looked up by itself (see findOneById); missing ones are left out, the order is the ids'. */
export async function findManyById<T extends Document>(
  collection: Collection<T>,
  ids: ObjectId[],
): Promise<WithId<T>[]> {
  const distinct = [...new Map(ids.map((id) => [id.toHexString(), id])).values()];
  const found: (WithId<T> | null)[] = await Promise.all(distinct.map((id) => findOneById(collection, id)));
  return found.filter((document) => document !== null);
}
