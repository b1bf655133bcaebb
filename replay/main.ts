import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadConfigOrExit } from '../config';
import { jobIdSchema } from '../contract';
import { replayFailedJobs, replayJob, type ReplayOutcome } from './replay';

const USAGE = 'usage: npm run replay -- <jobId> | --all-failed';

/** `npm run replay -- <jobId>` / `--all-failed`: do these histories still replay on the current workflow code? */
async function main(): Promise<number> {
  const argument = process.argv[2];
  if (
    !argument ||
    process.argv.length > 3 ||
    (argument !== '--all-failed' && !jobIdSchema.safeParse(argument).success)
  ) {
    console.error(USAGE);
    return 2;
  }
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const config = loadConfigOrExit();
  const connection = await Connection.connect({ address: config.temporal.address });
  const client = new Client({ connection, namespace: config.temporal.namespace });
  try {
    const outcomes: ReplayOutcome[] =
      argument === '--all-failed' ? await replayFailedJobs(client) : await replayJob(client, argument);
    if (outcomes.length === 0) {
      console.log(
        argument === '--all-failed'
          ? 'No failed jobs to replay.'
          : `No job "${argument}" on ${config.temporal.address}.`,
      );
      return argument === '--all-failed' ? 0 : 1;
    }
    for (const outcome of outcomes) {
      console.log(
        outcome.error
          ? `✘ ${outcome.workflowId} (run ${outcome.runId}) does NOT replay on the current workflow code: ${outcome.error}`
          : `✔ ${outcome.workflowId} (run ${outcome.runId}) replays on the current workflow code`,
      );
    }
    const broken = outcomes.filter((outcome) => outcome.error).length;
    console.log(`${outcomes.length - broken} replayed, ${broken} failed`);
    return broken ? 1 : 0;
  } finally {
    await connection.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(`replay: ${(error as Error).message}`);
    process.exit(1);
  },
);
