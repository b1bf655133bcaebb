import assert from 'node:assert/strict';
import { createEndedJobCache } from '../../../api/jobs/ended-job-cache';
import type { JobResponse } from '../../../contract';

const answer = (status: string) => ({ jobId: 'job_1', status }) as unknown as JobResponse;

describe('the ended-job cache', () => {
  it('answers a fresh entry without reading', () => {
    const cache = createEndedJobCache(60_000);
    cache.remember('tenant', 'job_1', answer('completed'));
    let reads = 0;
    const reread = async () => ((reads += 1), answer('completed'));
    assert.equal(cache.get('tenant', 'job_1', reread)?.status, 'completed');
    assert.equal(cache.get('other-tenant', 'job_1', reread), undefined);
    assert.equal(reads, 0);
  });

  it('answers an expired entry once more while one read replaces it behind the request', async () => {
    const cache = createEndedJobCache(0);
    cache.remember('tenant', 'job_1', answer('completed'));
    let reads = 0;
    let finishRead: (job: JobResponse | null) => void = () => undefined;
    const reread = () => ((reads += 1), new Promise<JobResponse | null>((resolve) => (finishRead = resolve)));
    assert.equal(cache.get('tenant', 'job_1', reread)?.status, 'completed');
    assert.equal(cache.get('tenant', 'job_1', reread)?.status, 'completed');
    assert.equal(reads, 1, 'one read at a time');
    finishRead(answer('failed'));
    await Promise.resolve();
    assert.equal(cache.get('tenant', 'job_1', reread)?.status, 'failed');
  });

  it('drops the entry when the job is no longer ended, the read fails, or it was forgotten meanwhile', async () => {
    const cache = createEndedJobCache(0);
    const settle = () => new Promise((resolve) => setImmediate(resolve));
    cache.remember('tenant', 'job_1', answer('completed'));
    cache.get('tenant', 'job_1', async () => null); // retried through another process: running again
    await settle();
    assert.equal(
      cache.get('tenant', 'job_1', async () => answer('completed')),
      undefined,
    );

    cache.remember('tenant', 'job_1', answer('completed'));
    cache.get('tenant', 'job_1', async () => Promise.reject(new Error('database down')));
    await settle();
    assert.equal(
      cache.get('tenant', 'job_1', async () => answer('completed')),
      undefined,
    );

    cache.remember('tenant', 'job_1', answer('completed'));
    cache.get('tenant', 'job_1', async () => answer('completed'));
    cache.forget('tenant', 'job_1'); // retried through this process
    await settle();
    assert.equal(
      cache.get('tenant', 'job_1', async () => answer('completed')),
      undefined,
    );
  });
});
