import { Db, MongoClient } from 'mongodb';
import { ensureApiKeyIndexes } from './api-keys';
import { DEFAULT_TENANT, type ToolDocument } from './documents';
import { ensureJobSubmissionIndexes } from './job-submissions';
import { ensureRunningJobIndexes } from './running-jobs';

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
    // The listings are a tenant's, newest first with `_id` as the tie-breaker: each index is the
    // tenant, the listing's filter, then both sort keys, so filter, sort and cursor come from the index.
    ...tenantListingIndexes(db, 'sessions', [[], ['user_id'], ['status'], ['job_status'], ['user_id', 'job_status']]),
    ensureApiKeyIndexes(db),
    ensureJobSubmissionIndexes(db),
    ensureRunningJobIndexes(db),
    db.collection('tools').createIndex({ idempotency_key: 1 }, { unique: true, name: 'idempotency_key_unique' }),
    db.collection('tools').createIndex({ session_id: 1 }, { name: 'session' }),
    db.collection('tools').createIndex({ job_id: 1, status: 1 }, { name: 'job_status' }),
    migrateToolsToTenants(db).then(() =>
      db
        .collection('tools')
        .createIndex({ tenant_id: 1, name: 1, version: -1 }, { unique: true, name: 'tenant_name_version_unique' }),
    ),
    db
      .collection('tools')
      .createIndex({ tenant_id: 1, requirement_key: 1, status: 1 }, { name: 'tenant_requirement_status' }),
    ...tenantListingIndexes(db, 'tools', [[], ['name'], ['status'], ['session_id'], ['job_id']]),
    db.collection('agent_sessions').createIndex({ job_id: 1, created_at: 1 }, { name: 'job_calls' }),
    db.collection('artifacts').createIndex({ key: 1 }, { unique: true, name: 'key_unique' }),
    db.collection('artifacts').createIndex({ job_id: 1 }, { name: 'job' }),
  ]);
}

/** One index per listing of a tenant's documents: each listing's filter fields, then the sort keys. */
function tenantListingIndexes(db: Db, collection: string, listings: string[][]): Promise<string>[] {
  return listings.map((fields) =>
    db
      .collection(collection)
      .createIndex(
        { tenant_id: 1, ...Object.fromEntries(fields.map((field) => [field, 1])), created_at: -1, _id: -1 },
        { name: ['tenant', ...fields, 'newest_first'].join('_') },
      ),
  );
}

/**
 * Tools stored before tenants existed belong to the default tenant; a (name, version) that an
 * earlier, racy numbering gave twice is renumbered, so the unique version index can be built.
 */
async function migrateToolsToTenants(db: Db): Promise<void> {
  const tools = db.collection<ToolDocument>('tools');
  const legacy = await tools
    .find({ tenant_id: { $exists: false } }, { projection: { _id: 1, name: 1, version: 1 } })
    .sort({ created_at: 1, _id: 1 })
    .toArray();
  if (legacy.length === 0) return;
  const taken = new Map<string, Set<number>>();
  for (const tool of legacy) {
    const versions = taken.get(tool.name) ?? new Set<number>();
    taken.set(tool.name, versions);
    let version = tool.version;
    while (versions.has(version)) version = Math.max(...versions) + 1;
    versions.add(version);
    await tools.updateOne({ _id: tool._id }, { $set: { tenant_id: DEFAULT_TENANT, version } });
  }
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
