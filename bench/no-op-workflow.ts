import { proxyActivities } from '@temporalio/workflow';
import type { NoOpActivities } from './no-op-activities';

const { noOp } = proxyActivities<NoOpActivities>({ startToCloseTimeout: '1 minute' });

/** The engine's own cost: `activityCount` activities one after another, each doing nothing. */
export async function noOpWorkflow(activityCount: number): Promise<void> {
  for (let activity = 0; activity < activityCount; activity += 1) await noOp();
}
