import { createHash } from 'node:crypto';
import { ObjectId } from 'mongodb';

const JOB_ID = /^job_([0-9a-f]{24})$/;

/**
 * A new job's id and its session's id share one ObjectId, so the session document (keyed by _id)
 * is found from the job id without a query on another field: FerretDB's SQLite backend uses an
 * index for _id only.
 */
export function newJobIds(oid = new ObjectId()): { jobId: string; sessionId: ObjectId } {
  return { jobId: `job_${oid.toHexString()}`, sessionId: oid };
}

/** The _id the job's session has if the job was made by `newJobIds` (older jobs' sessions differ). */
export function sessionIdOfJob(jobId: string): ObjectId | null {
  const hex = JOB_ID.exec(jobId)?.[1];
  return hex ? new ObjectId(hex) : null;
}

/**
 * An ObjectId derived from a key (an idempotency key, say): a retried write collides on _id, and
 * the first write is found by _id, the one field FerretDB's SQLite backend looks up through an
 * index (any other field is a scan of the whole collection).
 */
export function objectIdOfKey(kind: string, key: string): ObjectId {
  return new ObjectId(createHash('sha256').update(`${kind}:${key}`).digest().subarray(0, 12));
}
