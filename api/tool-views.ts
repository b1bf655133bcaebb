import type { ModelUsageDocument, ToolDocument } from '../store/documents';
import type { ToolListing, ToolVersion } from '../store/tools';
import type { ModelUsage, ToolDetailsView, ToolSummaryView, ToolTestCaseView, ToolView } from '../contract';

/** The registry's documents as the API shows them (camelCase, ids as hex strings). */

export function toToolSummary(tool: ToolListing): ToolSummaryView {
  return {
    toolId: tool._id.toHexString(),
    name: tool.name,
    version: tool.version,
    status: tool.status,
    description: tool.description,
    sessionId: tool.session_id.toHexString(),
    jobId: tool.job_id,
    createdAt: tool.created_at.toISOString(),
    updatedAt: tool.updated_at.toISOString(),
  };
}

/**
 * The tool's tests. The client's acceptance examples say so (`source: "client"`); the model's own
 * tests read as they always have. A test that expects an exception shows `raises` (and `match`)
 * in place of `expectedOutput` and `tolerance`.
 */
export function toTestCaseViews(tool: Pick<ToolDocument, 'test_cases'>): ToolTestCaseView[] {
  return tool.test_cases.map((testCase) => {
    const source = testCase.source === 'client' ? { source: 'client' as const } : {};
    if (testCase.raises === undefined) {
      return {
        input: testCase.input,
        expectedOutput: testCase.expected_output,
        tolerance: testCase.tolerance,
        ...source,
      };
    }
    const match = testCase.match === undefined ? {} : { match: testCase.match };
    return { input: testCase.input, ...source, raises: testCase.raises, ...match };
  });
}

export function toModelUsageView(usage: ModelUsageDocument): ModelUsage {
  return {
    modelCalls: usage.calls,
    promptTokens: usage.prompt_tokens,
    completionTokens: usage.completion_tokens,
    ...(usage.models?.length ? { models: usage.models } : {}),
  };
}

export function toToolDetails(tool: ToolDocument): ToolDetailsView {
  return {
    ...toToolSummary(tool),
    fileName: tool.file_name,
    filePath: tool.file_path,
    code: tool.code,
    inputSchema: tool.input_schema,
    outputSchema: tool.output_schema,
    dependencies: tool.dependencies,
    testCases: toTestCaseViews(tool),
    errors: tool.errors ?? [],
    ...(tool.repair_rounds === undefined ? {} : { repairRounds: tool.repair_rounds }),
    ...(tool.model_usage ? { modelUsage: toModelUsageView(tool.model_usage) } : {}),
  };
}

export function toToolView(tool: ToolDocument, versions: ToolVersion[]): ToolView {
  return {
    ...toToolDetails(tool),
    versions: versions.map((version) => ({
      toolId: version._id.toHexString(),
      version: version.version,
      status: version.status,
      createdAt: version.created_at.toISOString(),
    })),
  };
}
