import { Db, ObjectId, type Filter } from 'mongodb';
import {
  DEFAULT_TENANT,
  type JobStatus,
  type ProgressDocument,
  type SessionDocument,
  type SessionStatus,
  type ToolDocument,
  type ToolFailureDocument,
  type ToolProgressDocument,
  type ToolRequirementDocument,
} from './documents';
import type { GenerationSummary } from '../contract';
import { setTimeout as sleep } from 'node:timers/promises';
import { endedJobStatuses } from '../contract/status-values';
import { findManyById } from './by-id';
import { sessionIdOfJob } from './ids';
import { isDuplicateKeyError } from './errors';
import { fromStorable, toStorable } from './storable-json';
import { readTools } from './tools';
import { NEWEST_FIRST, olderThan, type PageWindow } from './pages';

export interface SessionMirror {
  jobId: string;
  sessionId: string;
  tenantId: string;
  reuseTools: boolean;
  /** the job's options.model, when it named one */
  model?: string;
  userId: string | null;
  clientSessionId: string | null;
  toolRequirements: ToolRequirementDocument[];
  createdAt: Date;
  runNumber: number;
  status: SessionStatus;
  jobStatus: JobStatus;
  progress: ProgressDocument;
  toolProgress: ToolProgressDocument[];
  toolIds: ObjectId[];
  failures: ToolFailureDocument[];
  error: { code: string; message: string } | null;
  revision: number;
  runId: string | null;
  summary: GenerationSummary | null;
  at: Date;
}

export interface JobFilter {
  jobStatus?: JobStatus;
  userId?: string;
}

/** What the job list shows of a session. */
export type JobListing = Pick<
  SessionDocument,
  '_id' | 'job_id' | 'job_status' | 'user_id' | 'progress' | 'created_at' | 'updated_at'
>;

const JOB_LISTING_PROJECTION = {
  _id: 1,
  job_id: 1,
  job_status: 1,
  user_id: 1,
  progress: 1,
  created_at: 1,
  updated_at: 1,
} as const;

/**
 * A tenant's sessions. Sessions mirrored before tenants existed have no tenant_id and are the
 * default tenant's (`null` matches a missing field), read as they are rather than migrated: the
 * mirror is each session's one writer.
 */
export function ownedBy(tenant: string): Filter<SessionDocument> {
  // Not an $or: listings add one of their own (the page window), which would replace it.
  if (tenant !== DEFAULT_TENANT) return { tenant_id: tenant };
  return { tenant_id: { $in: [DEFAULT_TENANT, null] } } as Filter<SessionDocument>;
}

/** A session as it was mirrored: its requirements' examples unwrapped (store/storable-json.ts). */
async function readSession(found: Promise<SessionDocument | null>): Promise<SessionDocument | null> {
  const session = await found;
  return session && fromStorable(session);
}

async function readSessions(found: Promise<SessionDocument[]>): Promise<SessionDocument[]> {
  return (await found).map(fromStorable);
}

const ENDED: ReadonlySet<string> = new Set(endedJobStatuses);
/** when a run's final write is read back: its own write's overlap, then writes queued behind in FerretDB */
const FINAL_WRITE_CHECKS_MS = [50, 1_000, 5_000, 20_000] as const;

export function createSessionStore(db: Db) {
  const sessions = db.collection<SessionDocument>('sessions');
  const tools = db.collection<ToolDocument>('tools');

  function newestFirst(tenant: string, filter: Filter<SessionDocument>, page: PageWindow): Promise<SessionDocument[]> {
    return readSessions(
      sessions
        .find({ ...ownedBy(tenant), ...filter, ...olderThan<SessionDocument>(page.after) })
        .sort(NEWEST_FIRST)
        .limit(page.limit)
        .toArray(),
    );
  }

  /**
   * Writes the session's state unless a newer revision is stored, the check in the update's own
   * filter: a write queued in FerretDB by a killed worker, applied seconds later, then finds the
   * newer revision and changes nothing. (A check read beforehand by the writer let exactly such a
   * write overwrite a job's final state in a chaos run.)
   */
  async function writeMirror(state: SessionMirror): Promise<'written' | 'stale'> {
    try {
      await sessions.updateOne(
        { _id: new ObjectId(state.sessionId), revision: { $lt: state.revision } },
        {
          $set: {
            status: state.status,
            job_status: state.jobStatus,
            progress: state.progress,
            tool_progress: state.toolProgress,
            // Written here only: the mirror is the session's single writer. FerretDB v1 applies
            // concurrent updates of one document as read-modify-write, so a second writer (e.g. a
            // register linking its tool) could lose updates.
            tool_ids: state.toolIds,
            run_number: state.runNumber,
            failures: toStorable(state.failures),
            error: state.error,
            revision: state.revision,
            run_id: state.runId,
            summary: state.summary,
            updated_at: state.at,
            // Constant per job, so rewriting them is harmless; not in $setOnInsert, because FerretDB
            // v1 drops the fields that $setOnInsert sets to null (a job without metadata).
            user_id: state.userId,
            client_session_id: state.clientSessionId,
            tenant_id: state.tenantId,
            reuse_tools: state.reuseTools,
            ...(state.model === undefined ? {} : { model: state.model }),
          },
          $setOnInsert: {
            job_id: state.jobId,
            tool_requirements: toStorable(state.toolRequirements),
            created_at: state.createdAt,
          },
        },
        { upsert: true },
      );
      return 'written';
    } catch (error) {
      // the filter missed because the stored revision is newer: the upsert collides with its _id
      if (isDuplicateKeyError(error)) return 'stale';
      throw error;
    }
  }

  /**
   * A run's last write has no later one to repair it, and a write still in flight from another
   * process (a worker killed mid-write, its update still queued in FerretDB) can overwrite it:
   * read it back, and write it again if an older revision shows. The first check is awaited; the
   * later ones run behind, because on a loaded FerretDB such a write can land seconds later.
   */
  async function restoreIfOverwritten(state: SessionMirror): Promise<void> {
    const stored = await sessions.findOne({ _id: new ObjectId(state.sessionId) }, { projection: { revision: 1 } });
    if ((stored?.revision ?? 0) < state.revision) await writeMirror(state);
  }
  async function keepFinal(state: SessionMirror): Promise<void> {
    const [first, ...later] = FINAL_WRITE_CHECKS_MS;
    await sleep(first);
    await restoreIfOverwritten(state);
    for (const delay of later) {
      const check = () => oneAtATime(state.sessionId, () => restoreIfOverwritten(state)).catch(() => undefined);
      setTimeout(check, delay).unref();
    }
  }

  /**
   * One mirror write of a session at a time in this process. FerretDB applies an update as
   * read-modify-write, so two overlapping writes (an attempt still in flight after its timeout or
   * its workflow task's failure, beside the next revision) can lose the newer one, the revision
   * check notwithstanding: a chaos run ended with a completed job mirrored as running.
   */
  const writing = new Map<string, Promise<unknown>>();
  function oneAtATime<T>(sessionId: string, write: () => Promise<T>): Promise<T> {
    const previous = writing.get(sessionId) ?? Promise.resolve();
    const next = previous.catch(() => undefined).then(write);
    writing.set(sessionId, next);
    void next
      .catch(() => undefined)
      .finally(() => {
        if (writing.get(sessionId) === next) writing.delete(sessionId);
      });
    return next;
  }

  return {
    /**
     * Upserts the session's state, unless a newer revision is already stored: a retried write that
     * arrives late, or an earlier run's, must not overwrite a newer state.
     */
    mirror(state: SessionMirror): Promise<'written' | 'stale'> {
      return oneAtATime(state.sessionId, async () => {
        const written = await writeMirror(state);
        if (written === 'written' && ENDED.has(state.jobStatus)) await keepFinal(state);
        return written;
      });
    },

    /**
     * The tenant's session of a job; another tenant's is not found, as if it did not exist. A job
     * shares its id's ObjectId with its session (`sessionIdOfJob`), found by _id; jobs made before
     * that are found by their job_id.
     */
    async findByJobId(tenant: string, jobId: string): Promise<SessionDocument | null> {
      const sessionId = sessionIdOfJob(jobId);
      if (sessionId) {
        const session = await readSession(sessions.findOne({ _id: sessionId, job_id: jobId, ...ownedBy(tenant) }));
        if (session) return session;
      }
      return readSession(sessions.findOne({ job_id: jobId, ...ownedBy(tenant) }));
    },

    findById(tenant: string, sessionId: ObjectId): Promise<SessionDocument | null> {
      return readSession(sessions.findOne({ _id: sessionId, ...ownedBy(tenant) }));
    },

    /** Newest first; `after` is the last session of the previous page. */
    listByStatus(tenant: string, status: SessionStatus, page: PageWindow): Promise<SessionDocument[]> {
      return newestFirst(tenant, { status }, page);
    },

    /** A user's (the job's `metadata.clientId`, a label within the tenant) sessions, newest first. */
    listByUser(tenant: string, userId: string, page: PageWindow): Promise<SessionDocument[]> {
      return newestFirst(tenant, { user_id: userId }, page);
    },

    /** The tenant's jobs behind its sessions, newest first, with only the fields a job list shows. */
    listJobs(tenant: string, filter: JobFilter, page: PageWindow): Promise<JobListing[]> {
      const query: Filter<SessionDocument> = {
        ...ownedBy(tenant),
        ...(filter.userId === undefined ? {} : { user_id: filter.userId }),
        ...(filter.jobStatus === undefined ? {} : { job_status: filter.jobStatus }),
        ...olderThan<SessionDocument>(page.after),
      };
      return sessions
        .find<JobListing>(query, { projection: JOB_LISTING_PROJECTION })
        .sort(NEWEST_FIRST)
        .limit(page.limit)
        .toArray();
    },

    /**
     * Every tool stored for the session, registered or failed, in requirement order, and the
     * earlier jobs' tools it reused (linked by id only: they belong to their own session).
     */
    async toolsOf(session: Pick<SessionDocument, '_id' | 'tool_ids'>): Promise<ToolDocument[]> {
      const own = await readTools(
        tools.find({ session_id: session._id }).sort({ requirement_index: 1, created_at: 1, _id: 1 }).toArray(),
      );
      const ownIds = new Set(own.map((tool) => tool._id.toHexString()));
      const reusedIds = (session.tool_ids ?? []).filter((id) => !ownIds.has(id.toHexString()));
      const reused = await readTools(findManyById(tools, reusedIds));
      return [...own, ...reused];
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
