import { createHash, randomBytes } from 'node:crypto';
import type { Db } from 'mongodb';

export const API_KEYS_COLLECTION = 'api_keys';
const KEY_PREFIX = 'tsk_';

export interface ApiKeyDocument {
  /** public and stable: what `keys list` shows and `keys revoke` takes */
  key_id: string;
  client_id: string;
  /** SHA-256 of the key: the key itself is shown once, at creation, and never stored */
  key_hash: string;
  created_at: Date;
  revoked_at: Date | null;
}

export interface ApiKeySummary {
  keyId: string;
  clientId: string;
  createdAt: Date;
  revokedAt: Date | null;
}

export interface CreatedApiKey {
  keyId: string;
  clientId: string;
  /** the secret: only ever returned here */
  key: string;
}

/** A key's hash is its lookup: 32 random bytes need no salt or slow hash against guessing. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

function toSummary(document: ApiKeyDocument): ApiKeySummary {
  return {
    keyId: document.key_id,
    clientId: document.client_id,
    createdAt: document.created_at,
    revokedAt: document.revoked_at ?? null,
  };
}

export async function ensureApiKeyIndexes(db: Db): Promise<void> {
  const keys = db.collection<ApiKeyDocument>(API_KEYS_COLLECTION);
  await Promise.all([
    keys.createIndex({ key_hash: 1 }, { unique: true, name: 'key_hash_unique' }),
    keys.createIndex({ key_id: 1 }, { unique: true, name: 'key_id_unique' }),
  ]);
}

export function createApiKeyStore(db: Db) {
  const keys = db.collection<ApiKeyDocument>(API_KEYS_COLLECTION);

  return {
    async create(clientId: string, at = new Date()): Promise<CreatedApiKey> {
      const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
      const keyId = `key_${randomBytes(8).toString('hex')}`;
      await keys.insertOne({
        key_id: keyId,
        client_id: clientId,
        key_hash: hashApiKey(key),
        created_at: at,
        revoked_at: null,
      });
      return { keyId, clientId, key };
    },

    /** The key's id and client while it is not revoked; null for an unknown or revoked key. */
    async findActive(key: string): Promise<{ keyId: string; clientId: string } | null> {
      // `revoked_at: null` also matches a missing field (FerretDB v1 may drop nulls on write).
      const found = await keys.findOne({ key_hash: hashApiKey(key), revoked_at: null });
      return found ? { keyId: found.key_id, clientId: found.client_id } : null;
    },

    /** Every key, oldest first, without its hash. */
    async list(): Promise<ApiKeySummary[]> {
      const all = await keys
        .find({}, { projection: { key_hash: 0 } })
        .sort({ created_at: 1, key_id: 1 })
        .toArray();
      return all.map(toSummary);
    },

    /** Idempotent; null when no key has the id. */
    async revoke(keyId: string, at = new Date()): Promise<ApiKeySummary | null> {
      await keys.updateOne({ key_id: keyId, revoked_at: null }, { $set: { revoked_at: at } });
      const found = await keys.findOne({ key_id: keyId }, { projection: { key_hash: 0 } });
      return found ? toSummary(found) : null;
    },
  };
}

export type ApiKeyStore = ReturnType<typeof createApiKeyStore>;
