import { ConfigError, loadConfig } from '../../config';
import { probeModel, type ProbeResult } from '../../llm/probe';
import { CliError } from '../api-client';

function describe(result: ProbeResult): string {
  const tried = result.modesTried.length > 0 ? `; tried ${[...new Set(result.modesTried)].join(' → ')}` : '';
  const { prompt_tokens, completion_tokens, total_tokens } = result.usage;
  const rows: [string, string][] = [
    ['endpoint', result.endpoint],
    ['model', result.model],
    ['structured output', `${result.structuredOutput} (LLM_STRUCTURED_OUTPUT=${result.setting}${tried})`],
    ['token limit', result.tokenLimitParameter],
    ['latency', `${result.latencyMs} ms over ${result.calls} call${result.calls === 1 ? '' : 's'}`],
    ['tokens', `${prompt_tokens} prompt + ${completion_tokens} completion = ${total_tokens}`],
    ['usable', result.usable ? 'yes' : 'no'],
  ];
  return rows.map(([name, value]) => `${name.padEnd(19)}${value}`).join('\n');
}

/**
 * Asks the model the worker is configured with (the same environment: OPENAI_*, LLM_*) for one
 * small plan through the gateway, so `auto` finds the structured-output mode the endpoint takes;
 * says what it found. Exit 0 when the endpoint is usable, 1 with the reason when not.
 */
export async function doctorCommand(options: { json?: boolean }): Promise<number> {
  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      throw new CliError(error.message.replace(/\s*\n\s*/g, ' '), 'INVALID_CONFIGURATION');
    }
    throw error;
  }
  const result = await probeModel(config.llm);
  process.stdout.write(options.json ? `${JSON.stringify(result)}\n` : `${describe(result)}\n`);
  if (!result.usable) throw new CliError(`the model endpoint is not usable: ${result.problem}`, 'MODEL_UNUSABLE');
  return 0;
}
