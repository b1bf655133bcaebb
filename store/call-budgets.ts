import type { Db, ObjectId } from 'mongodb';
import { objectIdOfKey } from './ids';

export const CALL_BUDGETS_COLLECTION = 'model_call_budgets';

/** One tool's model calls in one run of its job: whose the count is. */
export interface ToolCalls {
  jobId: string;
  runId: string | null;
  requirementIndex: number;
}

/**
 * How many model calls (HTTP requests, answered or not) a tool has made in a run, counted before
 * each one (the gateway's `reserveCall`), so LLM_MAX_CALLS_PER_TOOL holds across activity retries
 * and workers. Keyed by an `_id` derived from the tool (FerretDB uses an index for `_id` only);
 * one tool's calls are made one after another, so each document has one writer at a time.
 */
interface CallBudgetDocument {
  _id: ObjectId;
  job_id: string;
  run_id: string | null;
  requirement_index: number;
  calls: number;
  updated_at: Date;
}

function budgetId(tool: ToolCalls): ObjectId {
  return objectIdOfKey('model_call_budget', `${tool.jobId}:${tool.runId ?? 'unknown'}:${tool.requirementIndex}`);
}

export function createCallBudgetStore(db: Db) {
  const budgets = db.collection<CallBudgetDocument>(CALL_BUDGETS_COLLECTION);

  return {
    /** Counts one more call of the tool's; answers how many it has made, this one included. */
    async reserve(tool: ToolCalls, at = new Date()): Promise<number> {
      const counted = await budgets.findOneAndUpdate(
        { _id: budgetId(tool) },
        {
          $inc: { calls: 1 },
          $set: { updated_at: at },
          $setOnInsert: { job_id: tool.jobId, run_id: tool.runId, requirement_index: tool.requirementIndex },
        },
        { upsert: true, returnDocument: 'after' },
      );
      return counted?.calls ?? 1;
    },

    /** The calls the tool has made so far (0: none). */
    async used(tool: ToolCalls): Promise<number> {
      return (await budgets.findOne({ _id: budgetId(tool) }))?.calls ?? 0;
    },
  };
}

export type CallBudgetStore = ReturnType<typeof createCallBudgetStore>;
