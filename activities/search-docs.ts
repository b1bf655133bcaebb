import type { DocSnippet } from '../llm/prompts';
import type { ToolPlan } from '../llm/schemas';
import { lookupDocs } from '../sandbox/protocol';
import type { Sandbox } from '../sandbox/runner';

export interface SearchDocsInput {
  plan: ToolPlan;
}

export interface SearchDocsOutput {
  docs: DocSnippet[];
}

/**
 * Answers the plan's documentation queries from the installed runtime itself, so the implementer
 * reads the signatures of the exact versions the tool will run against. The lookup imports
 * packages, so it runs in the sandbox like everything else the model names.
 */
export function createSearchDocsActivity(sandbox: Sandbox) {
  return async function searchDocs(input: SearchDocsInput): Promise<SearchDocsOutput> {
    return { docs: await lookupDocs(sandbox, input.plan.docQueries) };
  };
}
