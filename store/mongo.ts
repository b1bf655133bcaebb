import { Db, MongoClient } from 'mongodb';

export interface MongoHandle {
  client: MongoClient;
  db: Db;
  close(): Promise<void>;
}

/**
 * Creates the client without waiting for a server: the driver connects on first use, so the API
 * can start (and report `database: disconnected`) while MongoDB is down.
 */
export function createMongo(url: string, dbName: string, serverSelectionTimeoutMs = 5_000): MongoHandle {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: serverSelectionTimeoutMs, appName: 'toolsmith' });
  return { client, db: client.db(dbName), close: () => client.close() };
}

/** Plain single-field and compound indexes only, so the same code runs on MongoDB and FerretDB. */
export async function ensureIndexes(db: Db): Promise<void> {
  await Promise.all([
    db.collection('sessions').createIndex({ job_id: 1 }, { unique: true, name: 'job_id_unique' }),
    // The listings sort newest first with `_id` as the tie-breaker: each index is the listing's filter
    // followed by both sort keys, so the filter, the sort and the cursor all come from the index.
    db.collection('sessions').createIndex({ created_at: -1, _id: -1 }, { name: 'newest_first' }),
    db.collection('sessions').createIndex({ user_id: 1, created_at: -1, _id: -1 }, { name: 'user_newest_first_v2' }),
    db.collection('sessions').createIndex({ status: 1, created_at: -1, _id: -1 }, { name: 'status_newest_first_v2' }),
    db
      .collection('sessions')
      .createIndex({ job_status: 1, created_at: -1, _id: -1 }, { name: 'job_status_newest_first' }),
    db
      .collection('sessions')
      .createIndex({ user_id: 1, job_status: 1, created_at: -1, _id: -1 }, { name: 'user_job_status_newest_first' }),
    db.collection('tools').createIndex({ idempotency_key: 1 }, { unique: true, name: 'idempotency_key_unique' }),
    db.collection('tools').createIndex({ session_id: 1 }, { name: 'session' }),
    db.collection('tools').createIndex({ job_id: 1, status: 1 }, { name: 'job_status' }),
    db.collection('tools').createIndex({ name: 1, version: -1 }, { name: 'name_version' }),
    db.collection('agent_sessions').createIndex({ job_id: 1, created_at: 1 }, { name: 'job_calls' }),
    db.collection('artifacts').createIndex({ key: 1 }, { unique: true, name: 'key_unique' }),
    db.collection('artifacts').createIndex({ job_id: 1 }, { name: 'job' }),
  ]);
}

export async function pingDatabase(db: Db, timeoutMs: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<false>((resolve) => {
    timer = setTimeout(() => resolve(false), timeoutMs);
  });
  const ping = db
    .command({ ping: 1 })
    .then(() => true)
    .catch(() => false);
  try {
    return await Promise.race([ping, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function isDuplicateKeyError(error: unknown): boolean {
  return typeof error === 'object' && error !== null && (error as { code?: unknown }).code === 11000;
}
