import type { Collection, Document, Filter, ObjectId, WithId } from 'mongodb';

/**
 * Each id looked up by itself, missing ones left out, in the ids' order. FerretDB (its SQLite
 * backend, even as built here: infra/ferretdb-binary.ts) finds a document through its `_id` index
 * only for one `_id` value; `{ _id: { $in: ids } }` decodes every document of the collection.
 */
export async function findManyById<T extends Document>(
  collection: Collection<T>,
  ids: ObjectId[],
): Promise<WithId<T>[]> {
  const distinct = [...new Map(ids.map((id) => [id.toHexString(), id])).values()];
  const found = await Promise.all(distinct.map((_id) => collection.findOne({ _id } as Filter<T>)));
  return found.filter((document) => document !== null);
}
