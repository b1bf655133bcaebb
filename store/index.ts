import type { Db } from 'mongodb';
import { createAgentSessionStore } from './agent-sessions';
import { createArtifactStore } from './artifacts';
import { createSessionStore } from './sessions';
import { createToolStore } from './tools';

export function createStores(db: Db) {
  return {
    sessions: createSessionStore(db),
    tools: createToolStore(db),
    agentSessions: createAgentSessionStore(db),
    artifacts: createArtifactStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
export { createMongo, ensureIndexes, pingDatabase } from './mongo';
export type { MongoHandle } from './mongo';
