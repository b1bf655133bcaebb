import type { ToolProgress, ToolRequirement, WorkflowJobStatus } from './definitions';

const MAX_DESCRIPTION_CHARS = 80;

function shorten(text: string): string {
  return text.length > MAX_DESCRIPTION_CHARS ? `${text.slice(0, MAX_DESCRIPTION_CHARS - 1)}…` : text;
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\s+/g, ' ');
}

/** The workflow's "current details" in the Web UI: a Markdown table of every tool's stage. */
export function describeTools(
  status: WorkflowJobStatus,
  tools: ToolProgress[],
  requirements: ToolRequirement[],
): string {
  const rows = tools.map((tool) => {
    const requirement = requirements[tool.requirementIndex]!;
    const attempts = tool.attempts > 1 ? ` (attempt ${tool.attempts})` : '';
    return `| ${tool.requirementIndex + 1} | ${cell(tool.name ?? '—')} | ${tool.stage}${attempts} | ${cell(shorten(requirement.description))} |`;
  });
  return [`**Job ${status}**`, '', '| # | tool | stage | requirement |', '| --- | --- | --- | --- |', ...rows].join(
    '\n',
  );
}

/** The static summary and details shown for the run in the Web UI, from the request itself. */
export function describeRequest(
  requirements: ToolRequirement[],
  clientId: string | null,
): { summary: string; details: string } {
  const first = shorten(requirements[0]?.description ?? '');
  const summary = requirements.length === 1 ? `1 tool: ${first}` : `${requirements.length} tools: ${first} …`;
  const details = requirements
    .map((requirement, index) =>
      [
        `### ${index + 1}. ${cell(requirement.description)}`,
        `- input: ${cell(requirement.input)}`,
        `- output: ${cell(requirement.output)}`,
      ].join('\n'),
    )
    .join('\n\n');
  return { summary, details: clientId ? `client: ${clientId}\n\n${details}` : details };
}
