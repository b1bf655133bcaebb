import type { Request, Response } from 'express';
import type { JobEvent } from '../../workflows/definitions';
import type { JobEndEvent, JobStageEvent } from '../../contract';
import type { JobService } from '../jobs/job-service';

export const EVENT_POLL_INTERVAL_MS = 400;
/** a comment line now and then keeps proxies from closing a quiet stream */
export const KEEP_ALIVE_INTERVAL_MS = 15_000;

/** Event ids are `<run>-<seq>`: a retry's run starts its own sequence, and resuming into it replays it whole. */
function resumePoint(lastEventId: string | undefined): { runNumber: number; seq: number } | null {
  const match = /^(\d+)-(\d+)$/.exec(lastEventId ?? '');
  return match ? { runNumber: Number(match[1]), seq: Number(match[2]) } : null;
}

function send(res: Response, id: string, event: string, data: unknown): void {
  res.write(`id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Live progress as Server-Sent Events: a `stage` event per tool stage change, in order, and a
 * final `job` event; then the stream closes. The events come from the workflow itself (a query),
 * so their ids are stable and `Last-Event-ID` resumes exactly after the last one received.
 */
export async function streamJobEvents(
  jobs: JobService,
  tenant: string,
  jobId: string,
  req: Request,
  res: Response,
): Promise<void> {
  // Validates the job before the stream starts, so an unknown job is a plain 404 ErrorResponse.
  let { view, ended } = await jobs.eventsSince(tenant, jobId, 0);
  const resume = resumePoint(req.get('last-event-id'));
  let sentSeq = resume && view && resume.runNumber === view.runNumber ? resume.seq : 0;

  res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-cache', Connection: 'keep-alive' });
  res.write('retry: 1000\n\n');
  let clientGone = false;
  req.on('close', () => (clientGone = true));
  let lastWrite = Date.now();

  while (!clientGone) {
    const fresh: JobEvent[] = view ? view.events.filter((event) => event.seq > sentSeq) : [];
    for (const event of fresh) {
      send(res, `${view!.runNumber}-${event.seq}`, 'stage', { jobId, ...event } satisfies JobStageEvent);
      sentSeq = event.seq;
      lastWrite = Date.now();
    }
    if (ended) {
      const { job } = await jobs.getJob(tenant, jobId);
      send(res, `${view?.runNumber ?? 0}-final`, 'job', {
        jobId,
        status: job.status,
        progress: job.progress,
        ...(job.error ? { error: job.error } : {}),
      } satisfies JobEndEvent);
      break;
    }
    if (Date.now() - lastWrite > KEEP_ALIVE_INTERVAL_MS) {
      res.write(': keep-alive\n\n');
      lastWrite = Date.now();
    }
    await pause(EVENT_POLL_INTERVAL_MS);
    ({ view, ended } = await jobs.eventsSince(tenant, jobId, sentSeq));
  }
  res.end();
}
