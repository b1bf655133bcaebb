import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import type { Requirement } from '../llm/prompts';
import type { TestCase, ToolPlan } from '../contract';
import type { ImplementedTool } from '../llm/schemas';
import type { Stores } from '../store';
import { DEFAULT_TENANT, type TestCaseDocument, type ToolDocument, type ToolStatus } from '../store/documents';
import { testCorrectionDocuments } from './implement';
import { currentRunId, withModels, type CostMetrics } from './model-usage';

export interface RegisterToolInput {
  idempotencyKey: string;
  /** the client the job belongs to; absent in jobs started before tenants existed */
  tenantId?: string;
  jobId: string;
  sessionId: string;
  requirementIndex: number;
  requirement: Requirement;
  plan: ToolPlan;
  draftRef: string;
  /** 'failed': the tool exhausted its repairs; it is kept with its last code and errors, but not written out */
  status: Extract<ToolStatus, 'registered' | 'failed'>;
  errors: string[];
}

export interface RegisterToolOutput {
  toolId: string;
  name: string;
  version: number;
}

/** A tenant id as one safe path segment: readable when it already is one, else its hex. */
function tenantSegment(tenant: string): string {
  return /^[A-Za-z0-9_-]{1,64}$/.test(tenant) ? tenant : `t-${Buffer.from(tenant).toString('hex').slice(0, 120)}`;
}

/**
 * Where a version's file lives, relative to the tools directory: its own folder per tenant, name
 * and version, so no version ever overwrites another's code, and the file keeps the name `<name>.py`.
 */
export function toolFileLocation(tool: Pick<ToolDocument, 'tenant_id' | 'name' | 'version'>): string {
  return path.posix.join(tenantSegment(tool.tenant_id), tool.name, `v${tool.version}`, `${tool.name}.py`);
}

/** Write-then-rename, so a reader of the tools directory never sees half a file. */
async function writeToolFile(toolsDir: string, relativePath: string, code: string): Promise<void> {
  const target = path.join(toolsDir, relativePath);
  await mkdir(path.dirname(target), { recursive: true });
  const temporary = `${target}.${process.pid}.${new ObjectId().toHexString()}.tmp`;
  await writeFile(temporary, code, 'utf8');
  await rename(temporary, target);
}

/** A test as the tool keeps it: one that expects an exception has `raises` (and `match`) instead of an output. */
function toTestCaseDocument(testCase: TestCase): TestCaseDocument {
  const source = testCase.source ?? 'model';
  if (testCase.raises === undefined) {
    return { input: testCase.input, expected_output: testCase.expectedOutput, tolerance: testCase.tolerance, source };
  }
  const match = testCase.match === undefined ? {} : { match: testCase.match };
  return { input: testCase.input, tolerance: testCase.tolerance, source, raises: testCase.raises, ...match };
}

/**
 * Stores the tool as a `draft` with the next version of its name, writes its file, then marks it
 * `registered`: a worker that dies in between leaves a draft, which the retried activity (same
 * idempotency key) finds and finishes. A failed tool is stored as `failed`, without a file.
 */
export function createRegisterActivity(stores: Stores, toolsDir: string, costs: CostMetrics) {
  return async function registerTool(input: RegisterToolInput): Promise<RegisterToolOutput> {
    const { plan } = input;
    const implementation = await stores.artifacts.load<ImplementedTool>(input.draftRef, 'implementation');
    const tenant = input.tenantId ?? DEFAULT_TENANT;
    // Every model call for this tool is done by now: its plan, implementations and repairs.
    const runId = currentRunId();
    const scope = { jobId: input.jobId, requirementIndex: input.requirementIndex };
    const usage = await withModels(
      await stores.agentSessions.usage({ ...scope, runId: runId ?? undefined }),
      stores.agentSessions,
      { ...scope, runId },
    );
    const at = new Date();
    const stored = await stores.tools.registerOnce(
      {
        tenant_id: tenant,
        name: plan.functionName,
        file_name: `${plan.functionName}.py`,
        description: plan.summary || input.requirement.description,
        code: implementation.code,
        input_schema: implementation.inputSchema,
        output_schema: implementation.outputSchema,
        dependencies: plan.dependencies,
        test_cases: implementation.testCases.map(toTestCaseDocument),
        status: input.status === 'registered' ? 'draft' : 'failed',
        errors: input.errors,
        ...(implementation.attempt === undefined ? {} : { repair_rounds: implementation.attempt - 1 }),
        model_usage: usage,
        ...testCorrectionDocuments(implementation),
        session_id: new ObjectId(input.sessionId),
        job_id: input.jobId,
        requirement_index: input.requirementIndex,
        requirement: {
          description: input.requirement.description,
          input: input.requirement.input,
          output: input.requirement.output,
          ...(input.requirement.examples?.length ? { examples: input.requirement.examples } : {}),
        },
        idempotency_key: input.idempotencyKey,
      },
      at,
      (version) => `tools/${toolFileLocation(version)}`,
    );
    // A retried register gets the first attempt's document back (made earlier): count each tool once.
    if (stored.created_at.getTime() === at.getTime()) costs.toolStored(input.status, usage);
    let tool = stored;
    if (tool.status === 'draft' || tool.status === 'registered') {
      await writeToolFile(toolsDir, toolFileLocation(tool), tool.code);
      if (tool.status === 'draft') tool = (await stores.tools.markRegistered(tool._id, new Date())) ?? tool;
    }
    return { toolId: tool._id.toHexString(), name: tool.name, version: tool.version };
  };
}
