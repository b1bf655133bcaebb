import { Db } from 'mongodb';
import type { AgentSessionDocument } from './documents';

/** The audit trail of every LLM call: prompts, replies, usage, latency. */
export function createAgentSessionStore(db: Db) {
  const calls = db.collection<AgentSessionDocument>('agent_sessions');
  return {
    async record(call: Omit<AgentSessionDocument, '_id'>): Promise<void> {
      await calls.insertOne({ ...call });
    },
    findByJobId(jobId: string): Promise<AgentSessionDocument[]> {
      return calls.find({ job_id: jobId }).sort({ created_at: 1 }).toArray();
    },
  };
}

export type AgentSessionStore = ReturnType<typeof createAgentSessionStore>;
