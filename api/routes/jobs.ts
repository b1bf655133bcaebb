import { Router } from 'express';
import { jobIdSchema, toolGenerationRequestSchema } from '../contract';
import { invalidRequest } from '../http-errors';
import type { JobService } from '../job-service';

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
    const job = await jobs.startJob(parsed.data);
    res.status(201).location(`${req.baseUrl}/${job.jobId}`).json(job);
  });

  router.get('/:jobId', async (req, res) => {
    const { job, fromMirror } = await jobs.getJob(parseJobId(req.params.jobId));
    if (fromMirror) res.setHeader(MIRRORED_DATA_HEADER, 'mongodb-mirror');
    res.json(job);
  });

  return router;
}
