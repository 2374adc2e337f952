// Where Temporal's own Web UI shows a run, for operators who want its full history.

/** The run's page in the Web UI at `uiUrl` (SUPERSCRIPT_TEMPORAL_UI_URL), if the API knows that UI. */
export function temporalUiLink(
  uiUrl: string | undefined,
  namespace: string,
  run: { workflowId: string; runId: string },
): string | undefined {
  if (!uiUrl || !run.runId) return undefined;
  const segments = ['namespaces', namespace, 'workflows', run.workflowId, run.runId, 'history'];
  return `${uiUrl.replace(/\/+$/, '')}/${segments.map(encodeURIComponent).join('/')}`;
}
