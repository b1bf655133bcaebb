import path from 'node:path';
import {
  DEFAULT_MONGODB_URL,
  DEFAULT_TEMPORAL_ADDRESS,
  environmentSchema,
  type Environment,
  type StructuredOutputSetting,
} from './environment';

/**
 * The service's settings: the environment (./environment.ts, every variable with its meaning)
 * parsed once at start-up into one typed object that every process passes down.
 */

export {
  configVariableNames,
  DEFAULT_LLM_MAX_CALLS_PER_TOOL,
  DEFAULT_LLM_MAX_OUTPUT_TOKENS,
  environmentSchema,
  STRUCTURED_OUTPUT_SETTINGS,
  type Environment,
  type StructuredOutputSetting,
} from './environment';

export interface Config {
  http: {
    host: string;
    port: number;
    bodyLimitBytes: number;
    healthCheckTimeoutMs: number;
    /** on SIGTERM, how long requests in flight (API) and activities (worker) get to finish */
    shutdownGraceMs: number;
  };
  mongo: { url: string; dbName: string };
  temporal: { address: string; namespace: string; taskQueue: string; uiUrl: string };
  llm: {
    apiKey?: string;
    baseUrl?: string;
    model: string;
    /** the plan stage's model, and the implement and repair stages', instead of `model` */
    planModel?: string;
    implementModel?: string;
    /** the models a job's options.model may name (isModelAllowed); unset: any */
    allowedModels?: string[];
    requestTimeoutMs: number;
    structuredOutput: StructuredOutputSetting;
    maxOutputTokens: number;
    /** the calls one tool may make in one run, retries and re-asks included */
    maxCallsPerTool: number;
    /** merged into every request body (provider-specific fields) */
    extraBody?: Record<string, unknown>;
    /** the LLM task queue's rate limit, shared by every worker polling it */
    maxCallsPerSecond: number;
  };
  /** the worker's validation runs (their pool: poolSize, queueTimeoutMs; the rest from `executor`) */
  sandbox: {
    runtimeDir: string;
    bwrapPath: string;
    wallTimeMs: number;
    memoryMb: number;
    outputBytes: number;
    poolSize: number;
    queueTimeoutMs: number;
    /** warm: validation runs in the pool; cold: a new sandbox per run (slower; where the pool cannot run) */
    validation: 'warm' | 'cold';
  };
  /** the API's tool calls through the warm sandbox pool (sandbox/pool.ts) */
  executor: {
    poolSize: number;
    minWarm: number;
    idleMs: number;
    queueTimeoutMs: number;
    wallTimeMs: number;
    memoryMb: number;
    outputBytes: number;
    /** modules each warm sandbox imports once; unset: the sandbox's default (sandbox/preload.ts) */
    preload?: string[];
  };
  /** per client (API key), shared by every API process through MongoDB */
  limits: { requestsPerMinute: number; maxRunningJobs: number };
  toolsDir: string;
  generation: { maxRepairRounds: number; toolDeadlineMs: number };
  /** pretty: readable lines instead of JSON (default: when stdout is a terminal) */
  logging: { level: Environment['LOG_LEVEL']; pretty: boolean };
  /** the worker's /metrics; the Temporal SDK's exporter listens on loopback and is merged into it (0: a free port) */
  metrics: { workerPort: number; temporalPort: number };
  /** no endpoint: tracing is off, and no OpenTelemetry SDK is set up at all */
  tracing: { otlpEndpoint?: string };
  /** the workflow code bundled ahead of time (infra/bundle-workflows.ts), instead of at worker start */
  workflowBundlePath?: string;
  /** what `npm start` runs itself: the servers the environment does not name, and the app commands */
  embedded: {
    /** TEMPORAL_ADDRESS / MONGODB_URL as given: set, the embedded server is not started */
    externalTemporalAddress?: string;
    externalMongoUrl?: string;
    temporalPort: number;
    temporalUiPort: number;
    mongoPort: number;
    apiCommand?: string[];
    workerCommand?: string[];
    restart: { maxCrashes: number; windowMs: number };
  };
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** Parses the environment once, at start-up; a bad value stops the process with a message naming the variable. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = environmentSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid configuration:\n  ${problems.join('\n  ')}`);
  }
  const e = parsed.data;
  return {
    http: {
      host: e.HOST,
      port: e.PORT,
      bodyLimitBytes: e.REQUEST_BODY_LIMIT_BYTES,
      healthCheckTimeoutMs: e.HEALTH_CHECK_TIMEOUT_MS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
    },
    mongo: { url: e.MONGODB_URL ?? DEFAULT_MONGODB_URL, dbName: e.MONGODB_DB_NAME },
    temporal: {
      address: e.TEMPORAL_ADDRESS ?? DEFAULT_TEMPORAL_ADDRESS,
      namespace: e.TEMPORAL_NAMESPACE,
      taskQueue: e.TEMPORAL_TASK_QUEUE,
      uiUrl: e.TEMPORAL_UI_URL.replace(/\/+$/, ''),
    },
    llm: {
      apiKey: e.OPENAI_API_KEY,
      baseUrl: e.OPENAI_BASE_URL,
      model: e.OPENAI_MODEL,
      planModel: e.OPENAI_PLAN_MODEL,
      implementModel: e.OPENAI_IMPLEMENT_MODEL,
      allowedModels: e.LLM_ALLOWED_MODELS,
      requestTimeoutMs: e.LLM_REQUEST_TIMEOUT_MS,
      structuredOutput: e.LLM_STRUCTURED_OUTPUT,
      maxOutputTokens: e.LLM_MAX_OUTPUT_TOKENS,
      maxCallsPerTool: e.LLM_MAX_CALLS_PER_TOOL,
      extraBody: e.LLM_EXTRA_BODY,
      maxCallsPerSecond: e.LLM_MAX_CALLS_PER_SECOND,
    },
    sandbox: {
      runtimeDir: e.TOOL_RUNTIME_DIR,
      bwrapPath: e.BWRAP_PATH,
      wallTimeMs: e.SANDBOX_WALL_TIME_MS,
      memoryMb: e.SANDBOX_MEMORY_MB,
      outputBytes: e.SANDBOX_OUTPUT_BYTES,
      validation: e.SANDBOX_VALIDATION,
      poolSize: e.SANDBOX_POOL_SIZE,
      queueTimeoutMs: e.SANDBOX_QUEUE_TIMEOUT_MS,
    },
    executor: {
      poolSize: e.EXECUTOR_POOL_SIZE,
      minWarm: e.EXECUTOR_POOL_MIN_WARM,
      idleMs: e.EXECUTOR_IDLE_MS,
      queueTimeoutMs: e.EXECUTOR_QUEUE_TIMEOUT_MS,
      wallTimeMs: e.EXECUTOR_WALL_TIME_MS,
      memoryMb: e.EXECUTOR_MEMORY_MB,
      outputBytes: e.EXECUTOR_OUTPUT_BYTES,
      preload: e.EXECUTOR_PRELOAD,
    },
    limits: { requestsPerMinute: e.RATE_LIMIT_PER_MINUTE, maxRunningJobs: e.MAX_RUNNING_JOBS_PER_CLIENT },
    toolsDir: path.resolve(e.TOOLS_DIR),
    generation: { maxRepairRounds: e.GENERATION_MAX_REPAIR_ROUNDS, toolDeadlineMs: e.TOOL_GENERATION_DEADLINE_MS },
    logging: {
      level: e.LOG_LEVEL,
      pretty: e.LOG_PRETTY ? ['1', 'true'].includes(e.LOG_PRETTY) : Boolean(process.stdout.isTTY),
    },
    metrics: { workerPort: e.WORKER_METRICS_PORT, temporalPort: e.TEMPORAL_METRICS_PORT },
    tracing: { otlpEndpoint: e.OTEL_EXPORTER_OTLP_ENDPOINT },
    workflowBundlePath: e.WORKFLOW_BUNDLE_PATH,
    embedded: {
      externalTemporalAddress: e.TEMPORAL_ADDRESS,
      externalMongoUrl: e.MONGODB_URL,
      temporalPort: e.TEMPORAL_DEV_PORT,
      temporalUiPort: e.TEMPORAL_UI_PORT,
      mongoPort: e.EMBEDDED_MONGODB_PORT,
      // split on white space, no quoting: run without a shell, so the supervisor's signals reach the program
      apiCommand: e.TOOLSMITH_API_COMMAND?.split(/\s+/),
      workerCommand: e.TOOLSMITH_WORKER_COMMAND?.split(/\s+/),
      restart: { maxCrashes: e.RESTART_MAX_CRASHES, windowMs: e.RESTART_WINDOW_MS },
    },
  };
}

/**
 * Whether a job may ask for `model` (its `options.model`): any model when LLM_ALLOWED_MODELS is
 * unset, else only the ones it lists (exactly as written).
 */
export function isModelAllowed(llm: Pick<Config['llm'], 'allowedModels'>, model: string): boolean {
  return llm.allowedModels === undefined || llm.allowedModels.includes(model);
}

/** For entry points: load the config or print why not and exit. */
export function loadConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  try {
    return loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
