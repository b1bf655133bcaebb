import { Db } from 'mongodb';
import type { AgentSessionDocument, ModelUsageDocument } from './documents';

/** Whose model calls to add up: one requirement's (in one run of its job, or all), or a whole job's. */
export type ModelCallScope =
  { jobId: string; requirementIndex: number; runId?: string } | { jobId: string; requirementCount: number };

/**
 * A requirement's running totals, `_id` "<jobId>:<requirementIndex>". Kept beside the audit trail
 * so the totals are read by _id: FerretDB's SQLite backend would scan every call to add them up.
 * Its one writer is the requirement's chain of activities, which run one after another (FerretDB
 * loses concurrent updates of one document).
 */
interface ModelUsageTotalsDocument {
  _id: string;
  total: ModelUsageDocument;
  runs: Record<string, ModelUsageDocument>;
}

const NO_USAGE: ModelUsageDocument = { calls: 0, prompt_tokens: 0, completion_tokens: 0 };

function add(a: ModelUsageDocument, b: ModelUsageDocument | undefined): ModelUsageDocument {
  return {
    calls: a.calls + (b?.calls ?? 0),
    prompt_tokens: a.prompt_tokens + (b?.prompt_tokens ?? 0),
    completion_tokens: a.completion_tokens + (b?.completion_tokens ?? 0),
  };
}

function totalsId(jobId: string, requirementIndex: number): string {
  return `${jobId}:${requirementIndex}`;
}

/** The audit trail of every LLM call: prompts, replies, usage, latency; and what each requirement's calls cost. */
export function createAgentSessionStore(db: Db) {
  const calls = db.collection<AgentSessionDocument>('agent_sessions');
  const totals = db.collection<ModelUsageTotalsDocument>('model_usage');

  async function totalsOf(jobId: string, requirementIndex: number): Promise<ModelUsageTotalsDocument | null> {
    return totals.findOne({ _id: totalsId(jobId, requirementIndex) });
  }

  return {
    /**
     * A refused request (a 429, a bad key) is recorded without a response and costs nothing. A
     * reply that could not be used was still paid for, and counts.
     */
    async record(call: Omit<AgentSessionDocument, '_id'>): Promise<void> {
      await calls.insertOne({ ...call });
      if (call.response == null || call.requirement_index == null) return;
      const run = call.run_id ?? 'unknown';
      const spent = {
        calls: 1,
        prompt_tokens: call.usage?.prompt_tokens ?? 0,
        completion_tokens: call.usage?.completion_tokens ?? 0,
      };
      const increments: Record<string, number> = {};
      for (const [field, amount] of Object.entries(spent)) {
        increments[`total.${field}`] = amount;
        increments[`runs.${run}.${field}`] = amount;
      }
      await totals.updateOne(
        { _id: totalsId(call.job_id, call.requirement_index) },
        { $inc: increments },
        { upsert: true },
      );
    },
    findByJobId(jobId: string): Promise<AgentSessionDocument[]> {
      return calls.find({ job_id: jobId }).sort({ created_at: 1 }).toArray();
    },

    /** The calls the model answered in `scope`, and their tokens. */
    async usage(scope: ModelCallScope): Promise<ModelUsageDocument> {
      if ('requirementIndex' in scope) {
        const found = await totalsOf(scope.jobId, scope.requirementIndex);
        return add(NO_USAGE, scope.runId === undefined ? found?.total : found?.runs?.[scope.runId]);
      }
      const indexes = Array.from({ length: scope.requirementCount }, (_, index) => index);
      const found = await Promise.all(indexes.map((index) => totalsOf(scope.jobId, index)));
      return found.reduce<ModelUsageDocument>((sum, requirement) => add(sum, requirement?.total), NO_USAGE);
    },
  };
}

export type AgentSessionStore = ReturnType<typeof createAgentSessionStore>;
