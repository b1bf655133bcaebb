import fs from 'node:fs/promises';
import { createApiKeyStore, ensureApiKeyIndexes } from '../store/api-keys';
import { createMongo } from '../store/mongo';
import { writeFileAtomically } from './atomic-fs';

/** the client `npm start`'s own key acts for */
export const DEV_CLIENT_ID = 'local';
const MONGODB_WAIT_MS = 15_000;

export interface DevApiKey {
  key: string;
  /** false when the key kept from an earlier run still works */
  created: boolean;
}

async function readKept(file: string): Promise<string | undefined> {
  try {
    return (await fs.readFile(file, 'utf8')).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * The key of `npm start`'s local client, kept in `file` (mode 600) so every run and the README's
 * examples use one key; made anew when there is none yet, or the kept one no longer works (revoked,
 * or a new database).
 */
export async function ensureDevApiKey(mongoUrl: string, dbName: string, file: string): Promise<DevApiKey> {
  const mongo = createMongo(mongoUrl, dbName, MONGODB_WAIT_MS);
  try {
    await ensureApiKeyIndexes(mongo.db);
    const keys = createApiKeyStore(mongo.db);
    const kept = await readKept(file);
    if (kept && (await keys.findActive(kept))) return { key: kept, created: false };
    const { key } = await keys.create(DEV_CLIENT_ID);
    await writeFileAtomically(file, `${key}\n`, 0o600);
    return { key, created: true };
  } finally {
    await mongo.close();
  }
}
