import { readFile } from 'node:fs/promises';
import type { ToolGenerationRequest } from '../contract';
import { CliError } from './api-client';

/**
 * Reads a ToolGenerationRequest file. Only the shape the CLI itself relies on is checked here
 * (an object with a list of requirements); the API validates every field and its answer, naming
 * the offending field, is printed as it comes.
 */
export async function readRequestFile(filePath: string): Promise<ToolGenerationRequest> {
  let text: string;
  try {
    text = await readFile(filePath, 'utf8');
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message;
    throw new CliError(`Cannot read ${filePath}: ${reason}.`, 'INVALID_FILE');
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new CliError(`${filePath} is not valid JSON: ${(error as Error).message}.`, 'INVALID_FILE');
  }
  const candidate = parsed as { toolRequirements?: unknown } | null;
  if (typeof candidate !== 'object' || candidate === null || Array.isArray(candidate)) {
    throw new CliError(
      `${filePath} must hold a JSON object like {"toolRequirements": [{"description", "input", "output"}]}.`,
      'INVALID_FILE',
    );
  }
  if (!Array.isArray(candidate.toolRequirements)) {
    throw new CliError(
      `${filePath} has no "toolRequirements" list; each entry needs "description", "input" and "output".`,
      'INVALID_FILE',
    );
  }
  return parsed as ToolGenerationRequest;
}

/** `--client-id` wins over the file's metadata.clientId, so one file can be sent on behalf of several clients. */
export function withClientId(request: ToolGenerationRequest, clientId: string | undefined): ToolGenerationRequest {
  if (clientId === undefined) return request;
  return { ...request, metadata: { ...request.metadata, clientId } };
}
