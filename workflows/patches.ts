/**
 * Every `patched()` id of the job workflow, in one place. A run started before a change replays
 * without it; a new run records the marker and takes the new path. Never rename or remove one while
 * runs that recorded it may still be replayed.
 */

/** Runs started before tool reuse existed replay without its lookup. */
export const REUSE_PATCH = 'reuse-registered-tools';
/** Runs started before the LLM and sandbox activities had their own task queues keep them on the workflow's. */
export const SEPARATE_TASK_QUEUES_PATCH = 'separate-task-queues';
/** Runs started before the mirror was a local activity keep scheduling it on the task queue. */
export const LOCAL_MIRROR_PATCH = 'mirror-as-local-activity';
/** Runs started before infrastructure losses had a budget of their own fail the tool on the retry policy's last attempt. */
export const INFRASTRUCTURE_RETRIES_PATCH = 'infrastructure-retries';
