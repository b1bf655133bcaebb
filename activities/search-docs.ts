import { ServiceError } from '../contract';
import type { DocSnippet, ToolPlan } from '../contract';
import type { Stores } from '../store';

/** Where documentation comes from: the index of the tool runtime's installed packages by default. */
export interface DocsSource {
  search(queries: string[], packages: string[]): Promise<DocSnippet[]>;
  /** the required packages for which `found` holds nothing relevant */
  missingPackages(found: DocSnippet[], required: string[]): string[];
}

export interface SearchDocsInput {
  jobId: string;
  /** the run's idempotency prefix (the job id, or the job id and retry number) */
  workKey: string;
  requirementIndex: number;
  plan: ToolPlan;
}

export interface SearchDocsOutput {
  docsRef: string;
  found: number;
}

/**
 * Answers the plan's documentation queries from the docs of the exact installed versions. When a
 * dependency has no relevant documentation, implementing would be guessing: the tool fails with
 * INSUFFICIENT_API_SPECS instead.
 */
export function createSearchDocsActivity(docs: DocsSource, stores: Stores) {
  return async function searchDocs(input: SearchDocsInput): Promise<SearchDocsOutput> {
    const { plan } = input;
    const queries = plan.docQueries.length ? plan.docQueries : [plan.summary];
    const found = await docs.search(queries, plan.dependencies);
    const missing = docs.missingPackages(found, plan.dependencies);
    if (missing.length) {
      throw new ServiceError(
        'INSUFFICIENT_API_SPECS',
        `No relevant API documentation was found in the tool runtime for ${missing.join(', ')} (queries: ${queries.join('; ')}).`,
        { retryable: false },
      );
    }
    const docsRef = await stores.artifacts.save({
      jobId: input.jobId,
      requirementIndex: input.requirementIndex,
      kind: 'docs',
      key: `${input.workKey}:${input.requirementIndex}:docs`,
      content: found,
    });
    return { docsRef, found: found.length };
  };
}
