import { Db, ObjectId } from 'mongodb';
import type {
  JobStatus,
  ProgressDocument,
  SessionDocument,
  SessionStatus,
  ToolFailureDocument,
  ToolProgressDocument,
  ToolRequirementDocument,
} from './documents';
import { isDuplicateKeyError } from './mongo';

export interface SessionMirror {
  jobId: string;
  sessionId: string;
  userId: string | null;
  clientSessionId: string | null;
  toolRequirements: ToolRequirementDocument[];
  createdAt: Date;
  status: SessionStatus;
  jobStatus: JobStatus;
  progress: ProgressDocument;
  toolProgress: ToolProgressDocument[];
  failures: ToolFailureDocument[];
  error: { code: string; message: string } | null;
  revision: number;
  at: Date;
}

export interface SessionPage {
  limit: number;
  after?: { createdAt: Date; id: ObjectId };
}

function olderThan(after: SessionPage['after']) {
  if (!after) return {};
  return { $or: [{ created_at: { $lt: after.createdAt } }, { created_at: after.createdAt, _id: { $lt: after.id } }] };
}

export function createSessionStore(db: Db) {
  const sessions = db.collection<SessionDocument>('sessions');

  return {
    /**
     * Upserts the session's state, unless a newer revision is already stored. Parallel tool chains
     * mirror concurrently, so writes may arrive out of order; the stale one loses. When the filter
     * misses because the stored revision is newer, the upsert collides with the unique job_id
     * index, which is exactly the "stale, ignore" case.
     */
    async mirror(state: SessionMirror): Promise<'written' | 'stale'> {
      try {
        await sessions.updateOne(
          { job_id: state.jobId, revision: { $lt: state.revision } },
          {
            $set: {
              status: state.status,
              job_status: state.jobStatus,
              progress: state.progress,
              tool_progress: state.toolProgress,
              failures: state.failures,
              error: state.error,
              revision: state.revision,
              updated_at: state.at,
            },
            $setOnInsert: {
              _id: new ObjectId(state.sessionId),
              user_id: state.userId,
              client_session_id: state.clientSessionId,
              tool_requirements: state.toolRequirements,
              tool_ids: [],
              created_at: state.createdAt,
            },
          },
          { upsert: true },
        );
        return 'written';
      } catch (error) {
        if (isDuplicateKeyError(error)) return 'stale';
        throw error;
      }
    },

    async linkTool(sessionId: string, toolId: ObjectId): Promise<void> {
      await sessions.updateOne({ _id: new ObjectId(sessionId) }, { $addToSet: { tool_ids: toolId } });
    },

    findByJobId(jobId: string): Promise<SessionDocument | null> {
      return sessions.findOne({ job_id: jobId });
    },

    /** Newest first; `after` is the last session of the previous page. */
    listByStatus(status: SessionStatus, page: SessionPage): Promise<SessionDocument[]> {
      return sessions
        .find({ status, ...olderThan(page.after) })
        .sort({ created_at: -1, _id: -1 })
        .limit(page.limit)
        .toArray();
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
