import { Db, type Filter } from 'mongodb';
import type { AgentSessionDocument, ModelUsageDocument } from './documents';

/** Whose model calls to add up: a job's, or one requirement's calls in one run of it. */
export interface ModelCallScope {
  jobId: string;
  requirementIndex?: number;
  runId?: string;
}

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

    /**
     * The calls the model answered in `scope`, and their tokens. A refused request (a 429, a bad
     * key) is recorded without a response and is not a call here: it cost nothing. A reply that
     * could not be used was still paid for, and counts.
     */
    async usage(scope: ModelCallScope): Promise<ModelUsageDocument> {
      const filter: Filter<AgentSessionDocument> = {
        job_id: scope.jobId,
        response: { $ne: null },
        ...(scope.requirementIndex === undefined ? {} : { requirement_index: scope.requirementIndex }),
        ...(scope.runId === undefined ? {} : { run_id: scope.runId }),
      };
      const answered = await calls.find(filter, { projection: { usage: 1 } }).toArray();
      return answered.reduce<ModelUsageDocument>(
        (total, call) => ({
          calls: total.calls + 1,
          prompt_tokens: total.prompt_tokens + (call.usage?.prompt_tokens ?? 0),
          completion_tokens: total.completion_tokens + (call.usage?.completion_tokens ?? 0),
        }),
        { calls: 0, prompt_tokens: 0, completion_tokens: 0 },
      );
    },
  };
}

export type AgentSessionStore = ReturnType<typeof createAgentSessionStore>;
