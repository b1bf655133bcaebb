import { ObjectId, type Db } from 'mongodb';
import { newJobIds } from './ids';
import { isDuplicateKeyError } from './errors';

export const JOB_SUBMISSIONS_COLLECTION = 'job_submissions';
/** how long an `Idempotency-Key` names the job it made */
export const IDEMPOTENCY_WINDOW_MS = 24 * 60 * 60 * 1000;

/**
 * A `POST /jobs` made with an `Idempotency-Key`: the ids and the time of the job it makes, chosen
 * once, by whichever request inserted this document first (a unique index on tenant and key).
 */
export interface JobSubmissionDocument {
  _id: ObjectId;
  tenant_id: string;
  idempotency_key: string;
  /** of the request body, to tell a repeat from a different request under the same key */
  body_hash: string;
  job_id: string;
  session_id: ObjectId;
  created_at: Date;
}

export interface ClaimedSubmission {
  submission: JobSubmissionDocument;
  /** true for the request whose insert made the record; false for a repeat */
  first: boolean;
}

/** Every round but the last either inserts or finds a live record; more means the index is missing. */
const MAX_CLAIM_ATTEMPTS = 5;

export async function ensureJobSubmissionIndexes(db: Db): Promise<void> {
  await db
    .collection(JOB_SUBMISSIONS_COLLECTION)
    .createIndex({ tenant_id: 1, idempotency_key: 1 }, { unique: true, name: 'tenant_idempotency_key_unique' });
}

export function createJobSubmissionStore(db: Db) {
  const submissions = db.collection<JobSubmissionDocument>(JOB_SUBMISSIONS_COLLECTION);

  return {
    /**
     * Insert-once under the unique (tenant, key) index: of any number of concurrent requests (on
     * any number of API processes) exactly one inserts, and every other reads that one's record.
     * A record older than the window is replaced, conditionally on its _id, so concurrent
     * replacers again agree on one new record.
     */
    async claim(tenant: string, key: string, bodyHash: string, at = new Date()): Promise<ClaimedSubmission> {
      for (let attempt = 1; ; attempt += 1) {
        const oid = new ObjectId();
        const { jobId, sessionId } = newJobIds(oid);
        const candidate: JobSubmissionDocument = {
          _id: oid,
          tenant_id: tenant,
          idempotency_key: key,
          body_hash: bodyHash,
          job_id: jobId,
          session_id: sessionId,
          created_at: at,
        };
        try {
          await submissions.insertOne(candidate);
          return { submission: candidate, first: true };
        } catch (error) {
          if (!isDuplicateKeyError(error) || attempt >= MAX_CLAIM_ATTEMPTS) throw error;
        }
        const existing = await submissions.findOne({ tenant_id: tenant, idempotency_key: key });
        if (existing && at.getTime() - existing.created_at.getTime() < IDEMPOTENCY_WINDOW_MS) {
          return { submission: existing, first: false };
        }
        if (existing) await submissions.deleteOne({ _id: existing._id });
      }
    },

    /** Gives the key back when its job could not be started (e.g. over a limit), so a retry starts it. */
    async release(submission: JobSubmissionDocument): Promise<void> {
      await submissions.deleteOne({ _id: submission._id });
    },
  };
}

export type JobSubmissionStore = ReturnType<typeof createJobSubmissionStore>;
