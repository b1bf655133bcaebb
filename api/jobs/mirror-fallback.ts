import type { SessionDocument } from '../../store/documents';
import type { SessionStore } from '../../store/sessions';
import type { ToolStore } from '../../store/tools';
import { endedJobStatuses, type JobResponse, type JobStatus } from '../../contract';
import { registeredToolFiles } from './job-tool-files';
import { mirroredJobView, temporalRef, type TemporalLinkSettings } from './job-views';

const ENDED_STATUSES: ReadonlySet<JobStatus> = new Set(endedJobStatuses);

/** Answers about a job from its session in the MongoDB mirror: an ended job's, and any when Temporal cannot answer. */
export function createMirrorFallback(sessions: SessionStore, tools: ToolStore, links: TemporalLinkSettings) {
  return {
    /** The tenant's mirrored session of the job; null as well when MongoDB cannot be read (no fallback then). */
    sessionOf(tenant: string, jobId: string): Promise<SessionDocument | null> {
      return sessions.findByJobId(tenant, jobId).catch(() => null);
    },

    /**
     * True when the session holds its run's final state: the run ended and wrote the whole answer.
     * Sessions mirrored before the run id was recorded lack what a full answer needs.
     */
    holdsFinalState(session: SessionDocument): boolean {
      return ENDED_STATUSES.has(session.job_status) && Boolean(session.run_id);
    },

    async answer(session: SessionDocument): Promise<JobResponse> {
      const toolFiles = session.job_status === 'completed' ? await registeredToolFiles(tools, session.tool_ids) : [];
      return mirroredJobView(session, toolFiles, temporalRef(links, session.job_id, session.run_id ?? null));
    },
  };
}

export type MirrorFallback = ReturnType<typeof createMirrorFallback>;
