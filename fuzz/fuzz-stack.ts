import { makeMolecularWeightTool } from '../dev/registered-tools';
import type { TestStack } from '../dev/stack';
import { runSchemathesis, type FuzzOutcome } from './schemathesis-run';
import { provisionSchemathesis } from './schemathesis-venv';

/**
 * Fuzzes a running test stack (started with the molecular-weight script): installs Schemathesis if
 * needed, registers one real tool first so ids exist, then runs every operation of the document.
 */
export async function fuzzTestStack(
  stack: TestStack,
  options: { maxExamples: number; echo: boolean },
): Promise<FuzzOutcome> {
  const executable = await provisionSchemathesis(options.echo ? (line) => console.log(line) : () => undefined);
  const toolId = await makeMolecularWeightTool(stack);
  return runSchemathesis({
    ...options,
    executable,
    apiUrl: stack.apiUrl,
    apiKey: stack.apiKey,
    tool: { id: toolId, name: 'calculate_molecular_weight' },
  });
}
