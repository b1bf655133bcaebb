import { Router } from 'express';
import { idempotencyKeyHeaderSchema, jobIdSchema, toolGenerationRequestSchema, parseRequest } from '../../contract';
import type { JobService } from '../jobs/job-service';
import { tenantOf } from '../tenant';
import { streamJobEvents } from './job-events';

export const MIRRORED_DATA_HEADER = 'X-Toolsmith-Data-Source';

function parseJobId(raw: string): string {
  const parsed = parseRequest(jobIdSchema, raw, ['jobId']);
  return parsed;
}

export function jobsRouter(jobs: JobService): Router {
  const router = Router();

  /** 201 for a new job; 200 for the job an earlier request made under the same Idempotency-Key. */
  router.post('/', async (req, res) => {
    const { 'Idempotency-Key': idempotencyKey } = parseRequest(idempotencyKeyHeaderSchema, {
      'Idempotency-Key': req.get('idempotency-key'),
    });
    const request = parseRequest(toolGenerationRequestSchema, req.body);
    const { job, created, fromMirror } = await jobs.submitJob(tenantOf(res), request, idempotencyKey);
    if (fromMirror) res.setHeader(MIRRORED_DATA_HEADER, 'mongodb-mirror');
    res
      .status(created ? 201 : 200)
      .location(`${req.baseUrl}/${job.jobId}`)
      .json(job);
  });

  router.get('/:jobId', async (req, res) => {
    const { job, fromMirror } = await jobs.getJob(tenantOf(res), parseJobId(req.params.jobId));
    if (fromMirror) res.setHeader(MIRRORED_DATA_HEADER, 'mongodb-mirror');
    res.json(job);
  });

  router.post('/:jobId/cancel', async (req, res) => {
    res.status(202).json(await jobs.cancelJob(tenantOf(res), parseJobId(req.params.jobId)));
  });

  router.post('/:jobId/retry', async (req, res) => {
    res.status(202).json(await jobs.retryJob(tenantOf(res), parseJobId(req.params.jobId)));
  });

  router.get('/:jobId/events', async (req, res) => {
    await streamJobEvents(jobs, tenantOf(res), parseJobId(req.params.jobId), req, res);
  });

  return router;
}
