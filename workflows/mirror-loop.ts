import {
  CancellationScope,
  condition,
  patched,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { Activities } from '../activities';
import { mirrorActivityOptions, mirrorLocalActivityOptions } from './activity-options';
import type { JobState } from './job-state';
import { LOCAL_MIRROR_PATCH } from './patches';
import { jobStageKey, jobStatusKey } from './search-attributes';

const mirrorStore = proxyActivities<Activities>(mirrorActivityOptions);
const localMirrorStore = proxyLocalActivities<Activities>(mirrorLocalActivityOptions);

export interface Mirroring {
  /** call once the run's final state is set: resolves after the write that holds it */
  finish(): Promise<void>;
}

/** One write of the state as it is now: MongoDB (`sessions`), and the run's search attributes and details. */
async function mirrorNow(state: JobState): Promise<void> {
  const write = state.takeMirrorWrite();
  upsertSearchAttributes([
    { key: jobStatusKey, value: state.status },
    { key: jobStageKey, value: write.sessionStatus },
  ]);
  setCurrentDetails(state.details());
  const store = patched(LOCAL_MIRROR_PATCH) ? localMirrorStore : mirrorStore;
  await store.mirrorJob(write);
}

/**
 * Mirrors the job's state into MongoDB: one write in flight at a time, always of the latest state;
 * stage changes that happen while a write is under way are coalesced into the next one, and no tool
 * waits for MongoDB. Not cancellable: a cancelled job still records that it was cancelled.
 */
export function startMirroring(state: JobState): Mirroring {
  let finished = false;
  const mirroring = CancellationScope.nonCancellable(async () => {
    for (;;) {
      await condition(() => state.unmirrored || finished);
      if (!state.unmirrored) return;
      await mirrorNow(state);
    }
  });
  return {
    async finish() {
      finished = true;
      await mirroring;
    },
  };
}
