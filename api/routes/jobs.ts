import { Router } from 'express';
import { jobIdSchema, toolGenerationRequestSchema } from '../contract';
import { invalidRequest } from '../http-errors';
import type { JobService } from '../job-service';
import { tenantOf } from '../tenant';
import { streamJobEvents } from './job-events';

export const MIRRORED_DATA_HEADER = 'X-Toolsmith-Data-Source';

function parseJobId(raw: string): string {
  const parsed = jobIdSchema.safeParse(raw);
  if (!parsed.success) throw invalidRequest(parsed.error, ['jobId']);
  return parsed.data;
}

export function jobsRouter(jobs: JobService): Router {
  const router = Router();

  router.post('/', async (req, res) => {
    const parsed = toolGenerationRequestSchema.safeParse(req.body);
    if (!parsed.success) throw invalidRequest(parsed.error);
    const job = await jobs.startJob(tenantOf(res), parsed.data);
    res.status(201).location(`${req.baseUrl}/${job.jobId}`).json(job);
  });

  router.get('/:jobId', async (req, res) => {
    const { job, fromMirror } = await jobs.getJob(parseJobId(req.params.jobId));
    if (fromMirror) res.setHeader(MIRRORED_DATA_HEADER, 'mongodb-mirror');
    res.json(job);
  });

  router.post('/:jobId/cancel', async (req, res) => {
    res.status(202).json(await jobs.cancelJob(parseJobId(req.params.jobId)));
  });

  router.post('/:jobId/retry', async (req, res) => {
    res.status(202).json(await jobs.retryJob(parseJobId(req.params.jobId)));
  });

  router.get('/:jobId/events', async (req, res) => {
    await streamJobEvents(jobs, parseJobId(req.params.jobId), req, res);
  });

  return router;
}
