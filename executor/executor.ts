import { performance } from 'node:perf_hooks';
import { ServiceError, invalidFields } from '../contract';
import { callTool } from '../sandbox/protocol';
import type { Sandbox } from '../sandbox/runner';
import type { ToolExecutionView } from '../contract';
import type { ToolDocument } from '../store/documents';
import { compileJsonSchema, describeViolations, fieldName, type SchemaCheck } from './json-schema';

/** executionTimeMs: wall time of the call as the executor saw it (sandbox start-up, the tool, the checks) */
export type ToolExecution = ToolExecutionView;

export interface ExecuteOptions {
  signal?: AbortSignal;
  /** what the caller calls the input, for the field names of a schema violation ("input", "arguments") */
  inputName?: string;
}

export interface ToolExecutorDependencies {
  sandbox: Pick<Sandbox, 'request'>;
  /** tools whose compiled schemas are kept; the least recently run are dropped first */
  schemaCacheSize?: number;
}

const DEFAULT_SCHEMA_CACHE_SIZE = 500;

interface ToolSchemas {
  input: SchemaCheck;
  output: SchemaCheck;
}

/** Only registered versions run: a deprecated or failed one is kept for reading, not for calling. */
export function requireExecutable(tool: ToolDocument): ToolDocument {
  if (tool.status === 'registered') return tool;
  const why: Record<Exclude<ToolDocument['status'], 'registered'>, string> = {
    deprecated: 'it is deprecated',
    failed: 'it never passed validation',
    draft: 'it is still being registered',
  };
  throw new ServiceError(
    'TOOL_NOT_EXECUTABLE',
    `Tool "${tool.name}" version ${tool.version} cannot be run: ${why[tool.status]}. Only registered versions run.`,
    { details: { toolId: tool._id.toHexString(), status: tool.status } },
  );
}

/**
 * Runs registered tools in the sandbox. The input is checked against the tool's input schema
 * before anything runs (a violation is the caller's INVALID_REQUEST); whatever the tool then does
 * (raise, blow a limit, return something its output schema does not allow) is an unsuccessful
 * execution, never an error of the service. A sandbox that cannot start is thrown as it is.
 */
export function createToolExecutor(dependencies: ToolExecutorDependencies) {
  const cacheSize = dependencies.schemaCacheSize ?? DEFAULT_SCHEMA_CACHE_SIZE;
  /** by tool id: a version's schemas never change. A Map iterates in insertion order: oldest first. */
  const compiled = new Map<string, ToolSchemas>();

  function schemasOf(tool: ToolDocument): ToolSchemas {
    const toolId = tool._id.toHexString();
    const cached = compiled.get(toolId);
    if (cached) {
      compiled.delete(toolId);
      compiled.set(toolId, cached);
      return cached;
    }
    const schemas = { input: compileSchema(tool, 'input'), output: compileSchema(tool, 'output') };
    compiled.set(toolId, schemas);
    if (compiled.size > cacheSize) compiled.delete(compiled.keys().next().value!);
    return schemas;
  }

  async function execute(
    tool: ToolDocument,
    input: Record<string, unknown>,
    options: ExecuteOptions = {},
  ): Promise<ToolExecution> {
    requireExecutable(tool);
    const schemas = schemasOf(tool);
    const inputName = options.inputName ?? 'input';
    const violations = schemas.input(input);
    if (violations.length) {
      throw invalidFields(
        violations.map((violation) => ({ field: fieldName(violation.path, [inputName]), message: violation.message })),
      );
    }

    const started = performance.now();
    const outcome = await callTool(dependencies.sandbox, tool.code, tool.name, input, options.signal);
    const ran = { toolId: tool._id.toHexString(), name: tool.name, version: tool.version };
    const finished = (success: boolean, output: unknown, error: string | null): ToolExecution => ({
      success,
      output,
      error,
      ...ran,
      executionTimeMs: Math.round(performance.now() - started),
    });

    if (!outcome.ok) return finished(false, null, `the tool ${outcome.problem}`);
    const reply = outcome.reply;
    if (!reply.ok) {
      const raised = reply.error;
      return finished(false, null, raised ? `${raised.type}: ${raised.message}` : 'the tool failed without saying why');
    }
    const outputViolations = schemas.output(reply.output);
    if (outputViolations.length) {
      return finished(
        false,
        null,
        `the output does not fit the tool's output schema: ${describeViolations(outputViolations, ['output'])}`,
      );
    }
    return finished(true, reply.output, null);
  }

  return { execute };
}

export type ToolExecutor = ReturnType<typeof createToolExecutor>;

function compileSchema(tool: ToolDocument, which: 'input' | 'output'): SchemaCheck {
  try {
    return compileJsonSchema(which === 'input' ? tool.input_schema : tool.output_schema);
  } catch (error) {
    throw new ServiceError(
      'TOOL_NOT_EXECUTABLE',
      `Tool "${tool.name}" version ${tool.version} cannot be run: its ${which} schema is not a valid JSON Schema ` +
        `(${(error as Error).message}).`,
      { details: { toolId: tool._id.toHexString(), status: tool.status, schema: which } },
    );
  }
}
