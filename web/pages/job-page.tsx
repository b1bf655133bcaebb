/**
 * One job, live: each tool's stage as the event stream reports it, then the job's outcome (the
 * tools made with their code, the failures with their messages, the summary), the link to its run
 * in the Temporal Web UI, and cancel and retry where the API allows them.
 */
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { PythonCode } from '../components/code';
import { ErrorMessage, formatTime, Loading, Notice, StatusBadge } from '../components/common';
import { followJobEvents, pause } from '../job-events';
import { asApiError, useApi } from '../hooks';
import type { ApiError } from '../lib/api-errors';
import type { JobResponse, ToolStage } from '../lib/api-types';
import { applyStageEvent, hasEnded, initialRows, STAGE_LABELS, stepStates, type ToolRow } from '../lib/job-stages';
import { hrefOf } from '../lib/routes';
import { takeRememberedJob } from '../recent-jobs';

const POLL_INTERVAL_MS = 2_000;
const TERMINAL_STAGES: readonly ToolStage[] = ['completed', 'failed', 'cancelled'];

function StageSteps({ row }: { row: ToolRow }) {
  const name = row.toolName ?? `tool ${row.requirementIndex + 1}`;
  const stopped = row.stage === 'failed' || row.stage === 'cancelled';
  return (
    <div class="stage-line">
      <ol class="stages" aria-label={`Stages of ${name}`}>
        {stepStates(row.stage).map(({ stage, state }) => (
          <li key={stage} class={`stage stage-${state}`} aria-current={state === 'current' ? 'step' : undefined}>
            {STAGE_LABELS[stage]}
          </li>
        ))}
      </ol>
      {stopped ? <StatusBadge status={row.stage} /> : null}
    </div>
  );
}

function ToolRows({ rows }: { rows: ToolRow[] }) {
  return (
    <ol class="tool-rows">
      {rows.map((row) => (
        <li key={row.requirementIndex} class="tool-row">
          <h3>
            {row.toolName ? <code>{row.toolName}</code> : `Tool ${row.requirementIndex + 1}`}{' '}
            <span class="tool-row-stage">{STAGE_LABELS[row.stage]}</span>
          </h3>
          <StageSteps row={row} />
          <p class="attempts">
            {row.attempts === 1 ? '1 implementation attempt' : `${row.attempts} implementation attempts`}
          </p>
        </li>
      ))}
    </ol>
  );
}

function Outcome({ job }: { job: JobResponse }) {
  const failures = job.failures ?? [];
  const toolFiles = job.toolFiles ?? [];
  return (
    <>
      {job.error ? (
        <ErrorMessage>
          The job failed ({job.error.code}): {job.error.message}
        </ErrorMessage>
      ) : null}
      {failures.length > 0 ? (
        <section aria-labelledby="failures-heading">
          <h2 id="failures-heading">Failures</h2>
          <ul class="failures">
            {failures.map((failure, index) => (
              <li key={index} class="failure">
                <p class="failure-requirement">{failure.toolRequirement.description}</p>
                <p class="failure-message">
                  {failure.code ? <code>{failure.code}</code> : null} {failure.error}
                </p>
                {failure.lastReply ? (
                  <details class="failure-reply">
                    <summary>The model’s last reply</summary>
                    <pre class="code">{failure.lastReply}</pre>
                  </details>
                ) : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {job.summary ? (
        <section aria-labelledby="summary-heading">
          <h2 id="summary-heading">Summary</h2>
          <dl class="facts summary">
            <dt>Requested</dt>
            <dd>{job.summary.totalRequested}</dd>
            <dt>Made</dt>
            <dd>{job.summary.successful}</dd>
            <dt>Reused</dt>
            <dd>{job.summary.reused ?? 0}</dd>
            <dt>Failed</dt>
            <dd>{job.summary.failed}</dd>
            <dt>Model tokens</dt>
            <dd>{job.summary.totalTokens ?? '—'}</dd>
          </dl>
        </section>
      ) : null}
      {toolFiles.length > 0 ? (
        <section aria-labelledby="code-heading">
          <h2 id="code-heading">Generated code</h2>
          {toolFiles.map((file) => (
            <article key={file.toolId} class="tool-file">
              <h3>
                <a href={hrefOf({ page: 'tool', toolId: file.toolId })}>{file.fileName}</a>
              </h3>
              <p>{file.description}</p>
              <PythonCode code={file.code} label={`Code of ${file.fileName}`} />
            </article>
          ))}
        </section>
      ) : null}
    </>
  );
}

/** Whether the stream has told any tool's stage: an ended job's history comes from its (replayed) run. */
type StageHistory = 'awaited' | 'told' | 'unavailable';

function Stages({ job, rows, history }: { job: JobResponse; rows: ToolRow[]; history: StageHistory }) {
  // A running job's tools are waiting until told otherwise; an ended one's are not: they wait for its history.
  if (history === 'told' || !hasEnded(job.status)) return <ToolRows rows={rows} />;
  if (history === 'awaited') return <Loading what="the stages of its tools" />;
  return <p>The stages of this job’s tools are no longer available; its outcome is below.</p>;
}

const canCancel = (job: JobResponse) => !hasEnded(job.status);
const canRetry = (job: JobResponse) =>
  job.status === 'failed' || job.status === 'cancelled' || (job.status === 'completed' && !!job.failures?.length);

export function JobPage({ jobId }: { jobId: string }) {
  const api = useApi();
  const [job, setJob] = useState<JobResponse | undefined>(() => takeRememberedJob(jobId));
  const [rows, setRows] = useState<ToolRow[]>(() => (job ? initialRows(job.progress.total) : []));
  const [history, setHistory] = useState<StageHistory>('awaited');
  const [loadError, setLoadError] = useState<ApiError | undefined>();
  const [interruption, setInterruption] = useState<string | null>(null);
  const [actionError, setActionError] = useState<string | null>(null);
  const [acting, setActing] = useState(false);
  /** bumped by a retry: its new run is followed from its start */
  const [run, setRun] = useState(0);
  /** answers may arrive out of order: only the latest request's is shown */
  const latestRequest = useRef(0);

  const refresh = useCallback(
    async (signal: AbortSignal) => {
      const request = ++latestRequest.current;
      const answer = await api.get<JobResponse>(`/jobs/${encodeURIComponent(jobId)}`, signal);
      if (request === latestRequest.current && !signal.aborted) setJob(answer);
      return answer;
    },
    [api, jobId],
  );

  useEffect(() => {
    const controller = new AbortController();
    const { signal } = controller;
    const follow = async () => {
      const first = await refresh(signal);
      setRows((known) => (known.length > 0 ? known : initialRows(first.progress.total)));
      const outcome = await followJobEvents(
        api,
        jobId,
        {
          onStage: (event) => {
            setRows((known) => applyStageEvent(known, event));
            setHistory('told');
            // a tool finished: the job's counts and files changed
            if (TERMINAL_STAGES.includes(event.stage)) refresh(signal).catch(() => undefined);
          },
          onEnd: (event) => setJob((known) => known && { ...known, status: event.status, progress: event.progress }),
          onInterruption: setInterruption,
        },
        signal,
      );
      if (outcome !== 'aborted') setHistory((known) => (known === 'told' ? known : 'unavailable'));
      if (outcome === 'gave-up') {
        setInterruption('Live updates are unavailable; the page checks the job every few seconds instead.');
        while (!signal.aborted && !hasEnded((await refresh(signal)).status)) await pause(POLL_INTERVAL_MS, signal);
      } else if (outcome === 'ended') {
        await refresh(signal);
        setInterruption(null);
      }
    };
    follow().catch((error: unknown) => {
      if (signal.aborted) return;
      setLoadError(asApiError(error));
      setHistory((known) => (known === 'told' ? known : 'unavailable'));
    });
    return () => controller.abort();
  }, [api, jobId, run, refresh]);

  const act = async (action: 'cancel' | 'retry') => {
    setActing(true);
    setActionError(null);
    try {
      const answer = await api.post<JobResponse>(`/jobs/${encodeURIComponent(jobId)}/${action}`, {});
      if (action === 'cancel') {
        // Said before the run ended: the event stream, which may have told the end already, has the last word.
        setJob((known) => (known && hasEnded(known.status) ? known : answer));
      } else {
        latestRequest.current += 1; // a GET still in flight is of the run before: it must not undo this one
        setJob(answer);
        setRows(initialRows(answer.progress.total));
        setHistory('awaited');
        setRun((value) => value + 1);
      }
    } catch (failure) {
      setActionError(asApiError(failure).message);
    } finally {
      setActing(false);
    }
  };

  if (!job) {
    return loadError ? (
      <section>
        <h1>Job {jobId}</h1>
        <ErrorMessage>{loadError.message}</ErrorMessage>
      </section>
    ) : (
      <Loading what="the job" />
    );
  }

  return (
    <section aria-labelledby="job-heading">
      <h1 id="job-heading">
        Job <code class="job-id">{job.jobId}</code>
      </h1>
      <p class="job-status" aria-live="polite">
        Status: <StatusBadge status={job.status} />
      </p>
      <dl class="facts">
        <dt>Tools</dt>
        <dd>
          {job.progress.completed} of {job.progress.total} made, {job.progress.failed} failed, {job.progress.inProgress}{' '}
          in progress
        </dd>
        <dt>Created</dt>
        <dd>{formatTime(job.createdAt)}</dd>
        <dt>Updated</dt>
        <dd>{formatTime(job.updatedAt)}</dd>
      </dl>
      <p>
        <a class="external" href={job.temporal.uiUrl} target="_blank" rel="noopener noreferrer">
          Open this run in the Temporal Web UI
        </a>
      </p>
      <div class="actions">
        {canCancel(job) ? (
          <button type="button" class="secondary danger" disabled={acting} onClick={() => act('cancel')}>
            Cancel job
          </button>
        ) : null}
        {canRetry(job) ? (
          <button type="button" class="secondary" disabled={acting} onClick={() => act('retry')}>
            Retry job
          </button>
        ) : null}
      </div>
      {actionError ? <ErrorMessage>{actionError}</ErrorMessage> : null}
      {loadError ? <ErrorMessage>{loadError.message}</ErrorMessage> : null}
      {interruption ? <Notice>{interruption}</Notice> : null}
      <section aria-labelledby="tools-heading">
        <h2 id="tools-heading">Tools</h2>
        <Stages job={job} rows={rows} history={history} />
      </section>
      <Outcome job={job} />
    </section>
  );
}
