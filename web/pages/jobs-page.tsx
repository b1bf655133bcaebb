/** Every job of this client, newest first, by status, a page at a time. */
import { useState } from 'preact/hooks';
import { queryOf } from '../api';
import { ErrorMessage, formatTime, Loading, Pager, StatusBadge } from '../components/common';
import { SelectField } from '../components/fields';
import { PAGE_SIZES, useApi, useCursorPages, useLoad } from '../hooks';
import type { JobList, JobStatus } from '../lib/api-types';
import { hrefOf } from '../lib/routes';

const STATUS_OPTIONS: readonly (readonly [JobStatus | '', string])[] = [
  ['', 'Any status'],
  ['pending', 'pending'],
  ['running', 'running'],
  ['completed', 'completed'],
  ['failed', 'failed'],
  ['cancelled', 'cancelled'],
];

export function JobsPage() {
  const api = useApi();
  const [status, setStatus] = useState('');
  const [pageSize, setPageSize] = useState('20');
  const pages = useCursorPages();
  const listing = useLoad(
    (signal) => api.get<JobList>(`/jobs${queryOf({ status, limit: pageSize, cursor: pages.cursor })}`, signal),
    [api, status, pageSize, pages.cursor],
  );

  return (
    <section aria-labelledby="jobs-heading">
      <h1 id="jobs-heading">Jobs</h1>
      <div class="filters">
        <SelectField
          label="Status"
          value={status}
          options={STATUS_OPTIONS}
          onValue={(value) => (setStatus(value), pages.reset())}
        />
        <SelectField
          label="Jobs per page"
          value={pageSize}
          options={PAGE_SIZES}
          onValue={(value) => (setPageSize(value), pages.reset())}
        />
      </div>
      {listing.error ? <ErrorMessage>{listing.error.message}</ErrorMessage> : null}
      {listing.loading && !listing.data ? <Loading what="jobs" /> : null}
      {listing.data ? (
        listing.data.jobs.length === 0 ? (
          <p>No jobs{status ? ` that are ${status}` : ''} yet.</p>
        ) : (
          <ul class="rows" aria-busy={listing.loading}>
            {listing.data.jobs.map((job) => (
              <li key={job.jobId} class="row">
                <a class="row-title" href={hrefOf({ page: 'job', jobId: job.jobId })}>
                  <code>{job.jobId}</code>
                </a>
                <StatusBadge status={job.status} />
                <span class="row-detail">
                  {job.progress.completed}/{job.progress.total} made
                  {job.progress.failed ? `, ${job.progress.failed} failed` : ''}
                </span>
                {job.clientId ? <span class="row-detail">for {job.clientId}</span> : null}
                <span class="row-detail">{formatTime(job.createdAt)}</span>
              </li>
            ))}
          </ul>
        )
      ) : null}
      <Pager
        label="Pages of jobs"
        hasNewer={pages.hasNewer}
        hasOlder={!!listing.data?.nextCursor}
        onNewer={pages.newer}
        onOlder={() => listing.data?.nextCursor && pages.older(listing.data.nextCursor)}
      />
    </section>
  );
}
