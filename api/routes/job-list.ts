import type { RequestHandler } from 'express';
import { z } from 'zod';
import type { JobListing, SessionStore } from '../../store/sessions';
import { MAX_METADATA_CHARS, type JobStatus } from '../contract';
import { invalidRequest } from '../http-errors';
import { temporalUiLink } from '../temporal-links';
import { paginate, toProgressView } from './sessions';

export const jobStatuses = [
  'pending',
  'running',
  'completed',
  'failed',
  'cancelled',
] as const satisfies readonly JobStatus[];

const jobFilterSchema = z.object({
  status: z.enum(jobStatuses, { error: `must be one of: ${jobStatuses.join(', ')}` }).optional(),
  clientId: z
    .string({ error: 'must be a single client id' })
    .min(1, 'must not be empty')
    .max(MAX_METADATA_CHARS, `must be at most ${MAX_METADATA_CHARS} characters`)
    .optional(),
});

export interface JobListSettings {
  /** the Temporal Web UI's base URL, without a trailing slash */
  temporalUiUrl: string;
  temporalNamespace: string;
}

/**
 * `GET /api/v1/jobs`: the jobs newest first, optionally only one status and/or one client, paginated
 * like the session listings. Answered from the MongoDB mirror, so a job appears once its workflow
 * has mirrored its first state (within moments of its creation).
 */
export function jobListHandler(sessions: SessionStore, settings: JobListSettings): RequestHandler {
  const toJobListItem = (job: JobListing) => ({
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
    const filter = jobFilterSchema.safeParse(req.query);
    if (!filter.success) throw invalidRequest(filter.error);
    const { status, clientId } = filter.data;
    const page = await paginate(req.query, (window) =>
      sessions.listJobs({ jobStatus: status, userId: clientId }, window),
    );
    res.json({ jobs: page.items.map(toJobListItem), nextCursor: page.nextCursor });
  };
}
