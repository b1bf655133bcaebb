import { ApplicationFailure, isCancellation, setHandler, workflowInfo } from '@temporalio/workflow';
import { eventsQuery, progressQuery, type JobInput, type JobResult } from './definitions';
import { JobState } from './job-state';
import { startMirroring } from './mirror-loop';
import { isGenerated, isServiceRefusal, type ToolOutcome } from './tool-failure';
import { reuseRegisteredTools, settleTool } from './tool-generation';

/**
 * One job: each requirement becomes a tool through plan → search docs → implement → validate
 * (→ repair, a bounded number of times) → register. All requirements run at once, each in its own
 * chain, so one bad requirement never holds up or fails the others. A retry is a new run of the
 * same workflow id that keeps the tools earlier runs made and regenerates only the rest.
 *
 * The parts: the run's state (job-state.ts, which the queries answer from), its mirror into MongoDB
 * (mirror-loop.ts), one tool's stages (tool-generation.ts, each call through stages.ts), and the
 * `patched()` ids that keep older runs replayable (patches.ts).
 */
export async function toolGenerationJob(input: JobInput): Promise<JobResult> {
  const { workflowId, runId } = workflowInfo();
  const state = new JobState(input, workflowId, runId);
  setHandler(progressQuery, () => state.progressView());
  setHandler(eventsQuery, (afterSeq) => state.eventsAfter(afterSeq));
  const mirroring = startMirroring(state);

  let outcomes: ToolOutcome[];
  try {
    await reuseRegisteredTools(state);
    outcomes = await Promise.all(input.requirements.map((_, index) => settleTool(state, index)));
  } catch (error) {
    if (!isCancellation(error)) throw error;
    state.cancelUnfinished();
    await mirroring.finish();
    throw error;
  }
  const generated = outcomes.filter(isGenerated);
  generated.sort((a, b) => a.requirementIndex - b.requirementIndex);
  state.settled();

  // Every tool refused by the model service itself (no key, rejected key): the job could not run at all.
  const refusals = outcomes.filter(isServiceRefusal);
  if (generated.length === 0 && refusals.length === outcomes.length) {
    const { message } = refusals[0]!;
    state.fail({ code: 'AI_SERVICE_ERROR', message });
    await mirroring.finish();
    throw ApplicationFailure.create({ type: 'AI_SERVICE_ERROR', message, nonRetryable: true });
  }

  const result = state.complete(generated);
  await mirroring.finish();
  return result;
}
