/**
 * The Temporal Web UI deep link to a workflow: to its run's history when the run id is known, else
 * to the workflow (the UI then shows its latest run). `uiUrl` is the UI's base, without a trailing slash.
 */
export function temporalUiLink(uiUrl: string, namespace: string, workflowId: string, runId: string | null): string {
  const workflow = `${uiUrl}/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
  return runId ? `${workflow}/${encodeURIComponent(runId)}/history` : workflow;
}
