import type { DocSnippet } from '../llm/prompts';
import type { TestCase } from '../llm/schemas';
import type { Sandbox } from './runner';

/** The JSON the harness (sandbox/harness.py) answers, per mode. */
export interface PythonError {
  type: string;
  message: string;
  traceback: string;
}

export type TestOutcome = 'pass' | 'mismatch' | 'exception' | 'not_serializable';

export interface TestResult {
  index: number;
  outcome: TestOutcome;
  actual?: unknown;
  error?: PythonError;
}

export interface TestRunReply {
  loaded: boolean;
  loadError?: PythonError;
  results: TestResult[];
}

export interface ToolCallReply {
  ok: boolean;
  output?: unknown;
  error?: PythonError;
}

/** Runs a tool's test cases in the sandbox. `problem` is set when the run itself broke down. */
export async function runToolTests(sandbox: Sandbox, code: string, functionName: string, testCases: TestCase[]) {
  return sandbox.request<TestRunReply>({ mode: 'test', source: code, functionName, testCases });
}

export async function callTool(sandbox: Sandbox, code: string, functionName: string, input: Record<string, unknown>) {
  return sandbox.request<ToolCallReply>({ mode: 'call', source: code, functionName, input });
}

const MAX_DOC_CHARS = 3000;

/** Resolves dotted names in the tool runtime and returns their signatures and docstrings. */
export async function lookupDocs(sandbox: Sandbox, queries: string[]): Promise<DocSnippet[]> {
  const outcome = await sandbox.request<{ results: DocSnippet[] }>({
    mode: 'docs',
    queries,
    maxDocChars: MAX_DOC_CHARS,
  });
  if (!outcome.ok) throw new Error(`documentation lookup failed: ${outcome.problem}`);
  return outcome.reply.results;
}
