import { loadConfig } from '../../config';
import { readStartConfig } from '../../infra/start-config';
import { KEY_CACHE_TTL_MS } from '../../api/auth';
import { createApiKeyStore, ensureApiKeyIndexes, type ApiKeyStore, type ApiKeySummary } from '../../store/api-keys';
import { createMongo } from '../../store/mongo';
import { CliError } from '../api-client';

const CLIENT_ID = /^[A-Za-z0-9._-]{1,64}$/;
const MONGODB_WAIT_MS = 5_000;

/** MONGODB_URL, else the embedded FerretDB of `npm start` (EMBEDDED_MONGODB_PORT), and MONGODB_DB_NAME. */
function mongoSettings(env: NodeJS.ProcessEnv): { url: string; dbName: string } {
  const url = env.MONGODB_URL || `mongodb://127.0.0.1:${readStartConfig(env).embeddedMongo.port}`;
  return loadConfig({ ...env, MONGODB_URL: url }).mongo;
}

/** Where the keys are, for messages: the host only, never credentials the URL may carry. */
function describeServer(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'MONGODB_URL';
  }
}

/** Runs `action` on the key store in the service's MongoDB, which keys are managed in directly (not over the API). */
async function withKeyStore<T>(action: (keys: ApiKeyStore) => Promise<T>): Promise<T> {
  const { url, dbName } = mongoSettings(process.env);
  const mongo = createMongo(url, dbName, MONGODB_WAIT_MS);
  try {
    await ensureApiKeyIndexes(mongo.db);
    return await action(createApiKeyStore(mongo.db));
  } catch (error) {
    if (error instanceof CliError || (error as Error).name !== 'MongoServerSelectionError') throw error;
    throw new CliError(
      `Cannot reach MongoDB at ${describeServer(url)}. Is the service running (npm start)? ` +
        'Point the command at its database with MONGODB_URL and MONGODB_DB_NAME.',
      'MONGODB_UNREACHABLE',
    );
  } finally {
    await mongo.close();
  }
}

function line(summary: ApiKeySummary): string {
  const revoked = summary.revokedAt ? `revoked ${summary.revokedAt.toISOString()}` : 'active';
  return `${summary.keyId}  ${summary.clientId}  created ${summary.createdAt.toISOString()}  ${revoked}`;
}

export async function createKeyCommand(options: { client: string; json?: boolean }): Promise<number> {
  if (!CLIENT_ID.test(options.client)) {
    throw new CliError('The client id must be 1 to 64 letters, digits, ".", "_" or "-".', 'INVALID_ARGUMENTS');
  }
  const created = await withKeyStore((keys) => keys.create(options.client));
  if (options.json) {
    process.stdout.write(`${JSON.stringify(created)}\n`);
  } else {
    process.stdout.write(
      `Created ${created.keyId} for client "${created.clientId}". The key is shown only this once:\n${created.key}\n`,
    );
  }
  return 0;
}

export async function listKeysCommand(options: { json?: boolean }): Promise<number> {
  const all = await withKeyStore((keys) => keys.list());
  if (options.json) process.stdout.write(`${JSON.stringify(all)}\n`);
  else process.stdout.write(all.length ? `${all.map(line).join('\n')}\n` : 'No API keys yet.\n');
  return 0;
}

export async function revokeKeyCommand(keyId: string): Promise<number> {
  const revoked = await withKeyStore((keys) => keys.revoke(keyId));
  if (!revoked) throw new CliError(`No API key has the id "${keyId}" (see \`toolsmith keys list\`).`, 'KEY_NOT_FOUND');
  process.stdout.write(
    `Revoked ${revoked.keyId} of client "${revoked.clientId}"; the API refuses it within ${KEY_CACHE_TTL_MS / 1000} s.\n`,
  );
  return 0;
}
