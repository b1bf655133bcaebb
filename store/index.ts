import type { Db } from 'mongodb';
import { createAgentSessionStore } from './agent-sessions';
import { createApiKeyStore } from './api-keys';
import { createArtifactStore } from './artifacts';
import { createCallBudgetStore } from './call-budgets';
import { createJobSubmissionStore } from './job-submissions';
import { createRunningJobStore } from './running-jobs';
import { createSessionStore } from './sessions';
import { createToolStore } from './tools';

export function createStores(db: Db) {
  return {
    sessions: createSessionStore(db),
    tools: createToolStore(db),
    agentSessions: createAgentSessionStore(db),
    artifacts: createArtifactStore(db),
    apiKeys: createApiKeyStore(db),
    jobSubmissions: createJobSubmissionStore(db),
    runningJobs: createRunningJobStore(db),
    callBudgets: createCallBudgetStore(db),
  };
}

export type Stores = ReturnType<typeof createStores>;
export { createMongo, ensureIndexes, pingDatabase } from './mongo';
export type { MongoHandle } from './mongo';
