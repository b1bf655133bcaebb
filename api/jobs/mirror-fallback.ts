import type { SessionDocument } from '../../store/documents';
import type { SessionStore } from '../../store/sessions';
import type { ToolStore } from '../../store/tools';
import type { JobResponse } from '../contract';
import { registeredToolFiles } from './job-tool-files';
import { mirroredJobView, temporalRef, type TemporalLinkSettings } from './job-views';

/** Answers about a job from its session in the MongoDB mirror, for when Temporal cannot answer. */
export function createMirrorFallback(sessions: SessionStore, tools: ToolStore, links: TemporalLinkSettings) {
  return {
    /** The tenant's mirrored session of the job; null as well when MongoDB cannot be read (no fallback then). */
    sessionOf(tenant: string, jobId: string): Promise<SessionDocument | null> {
      return sessions.findByJobId(tenant, jobId).catch(() => null);
    },

    async answer(session: SessionDocument): Promise<JobResponse> {
      const toolFiles = session.job_status === 'completed' ? await registeredToolFiles(tools, session.tool_ids) : [];
      return mirroredJobView(session, toolFiles, temporalRef(links, session.job_id, null));
    },
  };
}

export type MirrorFallback = ReturnType<typeof createMirrorFallback>;
