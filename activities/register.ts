import { mkdir, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { ObjectId } from 'mongodb';
import type { Requirement } from '../llm/prompts';
import type { ImplementedTool, ToolPlan } from '../llm/schemas';
import type { Stores } from '../store';
import type { ToolStatus } from '../store/documents';

export interface RegisterToolInput {
  idempotencyKey: string;
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

/** Write-then-rename, so a reader of the tools directory never sees half a file. */
async function writeToolFile(toolsDir: string, fileName: string, code: string, idempotencyKey: string): Promise<void> {
  await mkdir(toolsDir, { recursive: true });
  const target = path.join(toolsDir, fileName);
  const temporary = `${target}.${idempotencyKey.replace(/[^A-Za-z0-9_-]/g, '_')}.tmp`;
  await writeFile(temporary, code, 'utf8');
  await rename(temporary, target);
}

export function createRegisterActivity(stores: Stores, toolsDir: string) {
  return async function registerTool(input: RegisterToolInput): Promise<RegisterToolOutput> {
    const { plan } = input;
    const implementation = await stores.artifacts.load<ImplementedTool>(input.draftRef, 'implementation');
    const fileName = `${plan.functionName}.py`;
    const tool = await stores.tools.registerOnce(
      {
        name: plan.functionName,
        file_name: fileName,
        file_path: `tools/${fileName}`,
        description: plan.summary || input.requirement.description,
        code: implementation.code,
        input_schema: implementation.inputSchema,
        output_schema: implementation.outputSchema,
        dependencies: plan.dependencies,
        test_cases: implementation.testCases.map((testCase) => ({
          input: testCase.input,
          expected_output: testCase.expectedOutput,
          tolerance: testCase.tolerance,
        })),
        status: input.status,
        errors: input.errors,
        session_id: new ObjectId(input.sessionId),
        job_id: input.jobId,
        requirement_index: input.requirementIndex,
        idempotency_key: input.idempotencyKey,
      },
      new Date(),
    );
    if (tool.status === 'registered') await writeToolFile(toolsDir, fileName, tool.code, input.idempotencyKey);
    return { toolId: tool._id.toHexString(), name: tool.name, version: tool.version };
  };
}
