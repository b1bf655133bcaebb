import type { LlmGateway } from '../llm/gateway';
import type { SandboxRunner } from '../sandbox/protocol';
import type { Stores } from '../store';
import { classifyingFailures } from './failures';
import { heartbeatingThroughout } from './heartbeat';
import { createImplementActivity } from './implement';
import { createMirrorActivity } from './mirror';
import type { CostMetrics } from './model-usage';
import { observed, type ActivityMetrics } from './observed';
import { createPlanActivity } from './plan';
import { createRegisterActivity } from './register';
import { createFindReusableToolsActivity } from './reuse';
import { createSearchDocsActivity, type DocsSource } from './search-docs';
import { createValidateActivity } from './validate';

export interface ActivityDependencies {
  stores: Stores;
  llm: LlmGateway;
  /** runs the validation's tests: the worker's pool of warm sandboxes */
  sandbox: SandboxRunner;
  docs: DocsSource;
  toolsDir: string;
  /** the Python packages the tool runtime has, which plans may depend on */
  installedPackages: string[];
  metrics: ActivityMetrics;
  /** what tools and jobs cost in model calls */
  costs: CostMetrics;
}

/** The `stage` label of each activity's metrics and log lines. */
const STAGES = {
  planTool: 'plan',
  searchDocs: 'search_docs',
  implementTool: 'implement',
  validateTool: 'validate',
  registerTool: 'register',
  findReusableTools: 'reuse',
  mirrorJob: 'mirror',
} as const;

/** The worker builds the clients once and hands them in; activities hold no globals. */
export function createActivities(deps: ActivityDependencies) {
  // Every task-queue activity heartbeats through its whole attempt (its presets set a heartbeat
  // timeout); the mirror runs as a local activity, which has no heartbeat.
  const activities = classifyingFailures({
    planTool: heartbeatingThroughout(createPlanActivity(deps.llm, deps.installedPackages)),
    searchDocs: heartbeatingThroughout(createSearchDocsActivity(deps.docs, deps.stores)),
    implementTool: heartbeatingThroughout(createImplementActivity(deps.llm, deps.stores)),
    validateTool: heartbeatingThroughout(createValidateActivity(deps.sandbox, deps.stores)),
    registerTool: heartbeatingThroughout(createRegisterActivity(deps.stores, deps.toolsDir, deps.costs)),
    findReusableTools: heartbeatingThroughout(createFindReusableToolsActivity(deps.stores)),
    mirrorJob: createMirrorActivity(deps.stores, deps.costs),
  });
  return observed(activities, STAGES, deps.metrics);
}

export type Activities = ReturnType<typeof createActivities>;
