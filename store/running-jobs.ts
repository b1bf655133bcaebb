import type { Db } from 'mongodb';
import { isDuplicateKeyError } from './errors';

export const RUNNING_JOB_SLOTS_COLLECTION = 'running_job_slots';

/**
 * One of a client's numbered places for a running job. A unique index on (tenant, slot) makes
 * taking a place insert-once, so two API processes admitting jobs at the same moment can never
 * both take the last one (no count-then-start race); a unique job_id keeps a job to one place.
 */
export interface RunningJobSlotDocument {
  tenant_id: string;
  slot: number;
  job_id: string;
  acquired_at: Date;
}

export async function ensureRunningJobIndexes(db: Db): Promise<void> {
  const slots = db.collection(RUNNING_JOB_SLOTS_COLLECTION);
  await Promise.all([
    slots.createIndex({ tenant_id: 1, slot: 1 }, { unique: true, name: 'tenant_slot_unique' }),
    slots.createIndex({ job_id: 1 }, { unique: true, name: 'job_id_unique' }),
  ]);
}

/** Walks at most as far as the places taken, whatever the capacity (a benchmark sets 100,000). */
function lowestFreeSlot(taken: ReadonlySet<number>, capacity: number): number | undefined {
  for (let slot = 0; slot < capacity; slot += 1) if (!taken.has(slot)) return slot;
  return undefined;
}

export function createRunningJobStore(db: Db) {
  const slots = db.collection<RunningJobSlotDocument>(RUNNING_JOB_SLOTS_COLLECTION);

  return {
    holders(tenant: string): Promise<RunningJobSlotDocument[]> {
      return slots.find({ tenant_id: tenant }, { projection: { _id: 0 } }).toArray();
    },

    /** Takes a free place for the job (or finds the one it holds); false when all `capacity` are taken. */
    async tryAcquire(tenant: string, jobId: string, capacity: number, at = new Date()): Promise<boolean> {
      // Each lost insert means another job took a place meanwhile: bounded by the places there are.
      for (let attempt = 0; attempt <= capacity; attempt += 1) {
        const held = await slots.find({ tenant_id: tenant }).toArray();
        if (held.some((holder) => holder.job_id === jobId)) return true;
        const taken = new Set(held.map((holder) => holder.slot));
        const free = lowestFreeSlot(taken, capacity);
        if (free === undefined) return false;
        try {
          await slots.insertOne({ tenant_id: tenant, slot: free, job_id: jobId, acquired_at: at });
          return true;
        } catch (error) {
          if (!isDuplicateKeyError(error)) throw error;
        }
      }
      return false;
    },

    /** Frees the job's place; conditional on the job, so a place retaken meanwhile stays taken. */
    async release(tenant: string, jobId: string): Promise<void> {
      await slots.deleteOne({ tenant_id: tenant, job_id: jobId });
    },
  };
}

export type RunningJobStore = ReturnType<typeof createRunningJobStore>;
