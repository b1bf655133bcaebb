import { Command, Option } from 'commander';
import { version } from '../package.json';
import { CliError, DEFAULT_API_URL, ToolsmithApi } from './api-client';
import { cancelCommand } from './commands/cancel';
import { doctorCommand } from './commands/doctor';
import { createKeyCommand, listKeysCommand, revokeKeyCommand } from './commands/keys';
import { mcpCommand } from './commands/mcp';
import { replayCommand } from './commands/replay';
import { retryCommand } from './commands/retry';
import { statusCommand } from './commands/status';
import { submitCommand } from './commands/submit';
import { EXIT_FAILED } from './job-report';

/** Errors are one or two lines a person can act on; a stack trace only when asked for. */
function reportError(error: unknown): void {
  if (error instanceof CliError) {
    process.stderr.write(`Error: ${error.message} (${error.code})\n`);
    if (error.extras.requestId && (error.extras.httpStatus ?? 0) >= 500) {
      process.stderr.write(`  request id: ${error.extras.requestId}\n`);
    }
    return;
  }
  process.stderr.write(`Error: ${(error as Error)?.message ?? String(error)} (CLI_ERROR)\n`);
  if (process.env.TOOLSMITH_DEBUG) process.stderr.write(`${(error as Error)?.stack}\n`);
}

/** Runs a command and turns its outcome into the process exit code. */
async function run(action: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await action();
  } catch (error) {
    reportError(error);
    process.exitCode = EXIT_FAILED;
  }
}

export function buildProgram(): Command {
  const program = new Command('toolsmith')
    .description('Submit and follow Toolsmith tool-generation jobs.')
    .version(version)
    .addOption(
      new Option('--api <url>', 'base URL of the Toolsmith API').env('TOOLSMITH_API_URL').default(DEFAULT_API_URL),
    )
    .showHelpAfterError('(add --help for usage)');

  const api = () => new ToolsmithApi(program.opts<{ api: string }>().api, process.env.TOOLSMITH_API_KEY || undefined);

  program
    .command('submit')
    .description('submit a ToolGenerationRequest file (e.g. examples/chemistry-batch.json)')
    .argument('<file.json>', 'the request: {"toolRequirements": [{"description", "input", "output"}], "metadata"?}')
    .option('-w, --wait', 'follow the job with a progress bar per tool until it ends')
    .option('--client-id <id>', 'send as this client (overrides metadata.clientId in the file)')
    .addHelpText(
      'after',
      '\nWith --wait the exit code is 0 when every tool was generated, 2 when some failed, 1 when the job failed or was cancelled.',
    )
    .action((file: string, options: { wait?: boolean; clientId?: string }) =>
      run(() => submitCommand(api(), file, options)),
    );

  program
    .command('status')
    .description("show a job's status, progress, tools, failures and Temporal UI link")
    .argument('<jobId>')
    .option('--json', 'print the raw job answer as JSON')
    .action((jobId: string, options: { json?: boolean }) => run(() => statusCommand(api(), jobId, options)));

  program
    .command('retry')
    .description('re-run the failed tools of a job (the ones that succeeded are kept)')
    .argument('<jobId>')
    .option('-w, --wait', 'follow the new run until it ends (exit codes as for submit --wait)')
    .action((jobId: string, options: { wait?: boolean }) => run(() => retryCommand(api(), jobId, options)));

  program
    .command('cancel')
    .description('cancel a running job')
    .argument('<jobId>')
    .action((jobId: string) => run(() => cancelCommand(api(), jobId)));

  program
    .command('replay')
    .description(
      "check that a job's workflow history still replays on the current workflow code (runs npm run replay " +
        'in the project, against TEMPORAL_ADDRESS, not the HTTP API)',
    )
    .argument('[jobId]', 'the job to replay')
    .option('--all-failed', 'replay every failed job')
    .action((jobId: string | undefined, options: { allFailed?: boolean }) => run(() => replayCommand(jobId, options)));

  program
    .command('mcp')
    .description(
      'serve the registered tools as an MCP server over stdio (for desktop MCP clients), through the HTTP API; ' +
        'TOOLSMITH_API_KEY, when set, is sent as the bearer key',
    )
    .action(() => run(() => mcpCommand(api())));

  program
    .command('doctor')
    .description(
      'check the model endpoint the worker is configured with (OPENAI_BASE_URL, OPENAI_API_KEY, OPENAI_MODEL, LLM_*): ' +
        'one small plan through the same gateway; prints the endpoint, model, structured-output mode found, latency and tokens',
    )
    .option('--json', 'print the probe result as JSON')
    .addHelpText('after', '\nThe exit code is 0 when the endpoint is usable, 1 (with the reason) when it is not.')
    .action((options: { json?: boolean }) => run(() => doctorCommand(options)));

  const keys = program
    .command('keys')
    .description(
      "manage the API's keys, directly in its MongoDB (MONGODB_URL, by default the one of npm start; MONGODB_DB_NAME)",
    );
  keys
    .command('create')
    .description('create a key for a client (its jobs, sessions and tools are its own); the key is shown only once')
    .requiredOption('--client <id>', 'the client the key acts for')
    .option('--json', 'print {"keyId", "clientId", "key"} on one line')
    .action((options: { client: string; json?: boolean }) => run(() => createKeyCommand(options)));
  keys
    .command('list')
    .description('list the keys (ids, clients, when created and revoked; never the keys themselves)')
    .option('--json', 'print them as JSON')
    .action((options: { json?: boolean }) => run(() => listKeysCommand(options)));
  keys
    .command('revoke')
    .description('revoke a key: the API refuses it from then on')
    .argument('<keyId>')
    .action((keyId: string) => run(() => revokeKeyCommand(keyId)));

  return program;
}

export async function runCli(argv: string[]): Promise<void> {
  await buildProgram().parseAsync(argv);
}
