import type { SessionMirror } from '../../store/sessions';

/** A running job's first mirror write, as the workflow makes it; tests change what they look at. */
export function runningSessionMirror(
  state: Pick<SessionMirror, 'jobId' | 'sessionId' | 'tenantId'> & Partial<SessionMirror>,
): SessionMirror {
  const at = new Date();
  return {
    reuseTools: true,
    userId: null,
    clientSessionId: null,
    toolRequirements: [{ description: 'd', input: 'i', output: 'o' }],
    createdAt: at,
    runNumber: 0,
    status: 'planning',
    jobStatus: 'running',
    progress: { total: 1, completed: 0, failed: 0, in_progress: 1, current_tool: null },
    toolProgress: [],
    toolIds: [],
    failures: [],
    error: null,
    revision: 1,
    runId: null,
    summary: null,
    at,
    ...state,
  };
}
