import type { RequestHandler } from 'express';
import type { JobListing, SessionStore } from '../../store/sessions';
import { jobListQuerySchema, type JobList, type JobListItem, parseRequest } from '../../contract';
import { tenantOf } from '../tenant';
import { temporalUiLink } from '../temporal-links';
import { toProgressView } from '../jobs/job-views';
import { paginate } from './sessions';

export interface JobListSettings {
  /** the Temporal Web UI's base URL, without a trailing slash */
  temporalUiUrl: string;
  temporalNamespace: string;
}

/**
 * `GET /api/v1/jobs`: the client's jobs newest first, optionally only one status and/or one client, paginated
 * like the session listings. Answered from the MongoDB mirror, so a job appears once its workflow
 * has mirrored its first state (within moments of its creation).
 */
export function jobListHandler(sessions: SessionStore, settings: JobListSettings): RequestHandler {
  const toJobListItem = (job: JobListing): JobListItem => ({
    jobId: job.job_id,
    status: job.job_status,
    clientId: job.user_id ?? null,
    createdAt: job.created_at.toISOString(),
    updatedAt: job.updated_at.toISOString(),
    progress: toProgressView(job.progress),
    temporal: {
      workflowId: job.job_id,
      runId: null,
      uiUrl: temporalUiLink(settings.temporalUiUrl, settings.temporalNamespace, job.job_id, null),
    },
  });

  return async (req, res) => {
    const filter = parseRequest(jobListQuerySchema, req.query);
    const { status, clientId } = filter;
    const page = await paginate(req.query, (window) =>
      sessions.listJobs(tenantOf(res), { jobStatus: status, userId: clientId }, window),
    );
    res.json({ jobs: page.items.map(toJobListItem), nextCursor: page.nextCursor } satisfies JobList);
  };
}
