import path from 'node:path';
import { z } from 'zod';
import { defaultDataDir, defaultToolRuntimeDir } from '../infra/cache';
import { PYTHON_MODULE_NAME } from '../contract/python-names';

const port = z.coerce.number().int().min(0).max(65535);
const positiveMs = z.coerce.number().int().positive();
/** comma-separated Python module names ("" for none) */
const moduleList = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((name) => name.trim())
      .filter(Boolean),
  )
  .refine((names) => names.every((name) => PYTHON_MODULE_NAME.test(name)), {
    message: 'must be a comma-separated list of Python module names, e.g. numpy,rdkit.Chem',
  });
const optionalNonEmpty = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

/** A port something listens on: 0 is "any free port" for servers that report where they bound. */
const fixedPort = z.coerce.number().int().min(1).max(65535);
/** Set to "" counts as unset, as in a shell's `VAR= npm start`. */
const unsetWhenEmpty = <T extends z.ZodType>(schema: T) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** How the gateway asks for structured replies (llm/structured-output.ts); `auto` finds what the endpoint supports. */
export const STRUCTURED_OUTPUT_SETTINGS = ['auto', 'json_schema', 'json_object', 'prompt'] as const;
export type StructuredOutputSetting = (typeof STRUCTURED_OUTPUT_SETTINGS)[number];
export const DEFAULT_LLM_MAX_OUTPUT_TOKENS = 16_384;
export const DEFAULT_LLM_MAX_CALLS_PER_TOOL = 24;
/** The request fields the gateway sets itself, which LLM_EXTRA_BODY may not. */
const GATEWAY_BODY_FIELDS = ['model', 'messages', 'response_format', 'max_tokens', 'max_completion_tokens'];

/** A JSON object, as text (LLM_EXTRA_BODY): parsed and checked once, at start-up. */
const jsonObjectText = z.string().transform((text, ctx): Record<string, unknown> => {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    ctx.addIssue({ code: 'custom', message: `must be a JSON object: ${(error as Error).message}` });
    return z.NEVER;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a JSON object, e.g. {"options": {"num_ctx": 32768}}' });
    return z.NEVER;
  }
  const managed = Object.keys(value).filter((field) => GATEWAY_BODY_FIELDS.includes(field));
  if (managed.length > 0) {
    ctx.addIssue({
      code: 'custom',
      message: `must not set ${managed.join(', ')}: the gateway sets them (OPENAI_MODEL, LLM_STRUCTURED_OUTPUT, LLM_MAX_OUTPUT_TOKENS)`,
    });
    return z.NEVER;
  }
  return value as Record<string, unknown>;
});

/** comma-separated names ("" or unset: none given) */
const nameList = optionalNonEmpty.transform((value) => {
  const names = value
    ?.split(',')
    .map((name) => name.trim())
    .filter(Boolean);
  return names?.length ? names : undefined;
});

export const DEFAULT_MONGODB_URL = 'mongodb://localhost:27017';
export const DEFAULT_TEMPORAL_ADDRESS = 'localhost:7233';

/**
 * Every variable the service reads, each with its meaning (`.describe`): docs/configuration.md is
 * generated from it (`npm run docs:config`, dev/docs-config.ts).
 */
export const environmentSchema = z.object({
  HOST: z.string().min(1).default('0.0.0.0').describe('the address the API listens on'),
  PORT: port
    .default(8000)
    .describe("the API's port (`0`: any free port, which `npm start` picks before it starts the API)"),
  MONGODB_URL: unsetWhenEmpty(
    z.string().regex(/^mongodb(\+srv)?:\/\//, 'must be a mongodb:// or mongodb+srv:// URL'),
  ).describe(
    `MongoDB (\`mongodb://\` or \`mongodb+srv://\`). Unset: \`npm start\` runs an embedded FerretDB (MongoDB's wire protocol on SQLite) and points the API and the worker at it; an API or worker started alone uses \`${DEFAULT_MONGODB_URL}\``,
  ),
  MONGODB_DB_NAME: z
    .string()
    .regex(/^[^/\\. "$]{1,63}$/, 'must be a valid MongoDB database name')
    .default('agent_browser')
    .describe('the database name'),
  TEMPORAL_ADDRESS: unsetWhenEmpty(z.string().min(1)).describe(
    `the Temporal frontend (\`host:port\`). Unset: \`npm start\` runs an embedded Temporal dev server (with its Web UI, data on disk); an API or worker started alone uses \`${DEFAULT_TEMPORAL_ADDRESS}\``,
  ),
  TEMPORAL_DEV_PORT: fixedPort.default(7233).describe("the embedded Temporal dev server's port (`npm start`)"),
  TEMPORAL_UI_PORT: fixedPort.default(8233).describe("the embedded dev server's Web UI port (`npm start`)"),
  EMBEDDED_MONGODB_PORT: fixedPort.default(27017).describe("the embedded FerretDB's port (`npm start`)"),
  TOOLSMITH_API_COMMAND: optionalNonEmpty.describe(
    "`npm start`'s command for the API, split on white space and run without a shell, instead of `tsx api/main.ts`",
  ),
  TOOLSMITH_WORKER_COMMAND: optionalNonEmpty.describe(
    "`npm start`'s command for the worker, split on white space and run without a shell, instead of `tsx worker/main.ts`",
  ),
  RESTART_MAX_CRASHES: z.coerce
    .number()
    .int()
    .min(1)
    .default(5)
    .describe(
      '`npm start` restarts a crashed process (worker, API, FerretDB, Temporal) on the same ports and data after a pause that doubles with each crash in the window (1 s up to 15 s); the crash that reaches this count within `RESTART_WINDOW_MS` stops everything, saying why',
    ),
  RESTART_WINDOW_MS: z.coerce
    .number()
    .int()
    .min(1)
    .default(60_000)
    .describe('the window `RESTART_MAX_CRASHES` counts crashes in'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default').describe('the Temporal namespace'),
  TEMPORAL_TASK_QUEUE: z
    .string()
    .min(1)
    .default('tool-generation')
    .describe(
      'the task queue of the job workflows and their light activities; the model calls run on `<queue>-llm`, validation on `<queue>-sandbox`, and every worker polls all three',
    ),
  TEMPORAL_UI_URL: z
    .url()
    .default('http://localhost:8233')
    .describe(
      'the base of the Web UI deep links in job answers (`temporal.uiUrl`); `npm start` sets it to its embedded Web UI',
    ),
  OPENAI_API_KEY: optionalNonEmpty.describe(
    "the model endpoint's key; optional when `OPENAI_BASE_URL` is set (a local server without keys is sent a placeholder); with neither, the service starts and jobs fail with `AI_SERVICE_ERROR` saying to set it",
  ),
  OPENAI_BASE_URL: unsetWhenEmpty(z.url()).describe(
    "any OpenAI-compatible endpoint (e.g. `npm run scripted-model`'s `http://127.0.0.1:8089/v1`; others in docs/models.md); unset: OpenAI's",
  ),
  OPENAI_MODEL: z
    .string()
    .min(1)
    .default('gpt-5-mini')
    .describe(
      "the model every plan and implementation asks, unless a job's `options.model`, `OPENAI_PLAN_MODEL` or `OPENAI_IMPLEMENT_MODEL` names another",
    ),
  OPENAI_PLAN_MODEL: optionalNonEmpty.describe(
    "the model the plan stage asks instead of `OPENAI_MODEL` (a job's `options.model` comes first)",
  ),
  OPENAI_IMPLEMENT_MODEL: optionalNonEmpty.describe(
    "the model implementations and repairs ask instead of `OPENAI_MODEL` (a job's `options.model` comes first)",
  ),
  LLM_ALLOWED_MODELS: nameList.describe("the models a job's `options.model` may name, comma-separated; unset: any"),
  LLM_REQUEST_TIMEOUT_MS: positiveMs
    .default(120_000)
    .describe('how long one model call may take before it fails (and Temporal retries it)'),
  LLM_STRUCTURED_OUTPUT: z
    .enum(STRUCTURED_OUTPUT_SETTINGS, { error: 'must be one of auto, json_schema, json_object, prompt' })
    .default('auto')
    .describe(
      'how replies are asked for: `json_schema` (strict JSON Schema), `json_object` (JSON mode, the schema in the prompt), `prompt` (no `response_format`, the schema in the prompt); `auto` starts with `json_schema`, falls back when the endpoint refuses it or answers in prose, and remembers what works per endpoint and model (`npx toolsmith doctor` shows it)',
    ),
  LLM_MAX_OUTPUT_TOKENS: z.coerce
    .number()
    .int()
    .positive()
    .default(DEFAULT_LLM_MAX_OUTPUT_TOKENS)
    .describe(
      'the output-token limit of each model call (`max_completion_tokens`, or `max_tokens` where the endpoint refuses that); a reply cut at it is asked once more with twice the limit, then fails with `MODEL_OUTPUT_TRUNCATED`',
    ),
  LLM_MAX_CALLS_PER_TOOL: z.coerce
    .number()
    .int()
    .min(1)
    .default(DEFAULT_LLM_MAX_CALLS_PER_TOOL)
    .describe(
      'the model calls one tool may make in one run of its job, retries and re-asks included; the next fails the tool with `MODEL_CALL_BUDGET_EXCEEDED`',
    ),
  LLM_EXTRA_BODY: unsetWhenEmpty(jsonObjectText).describe(
    'a JSON object merged into every model request, for provider-specific fields (e.g. `{"options":{"num_ctx":32768}}`); it may not set `model`, `messages`, `response_format` or the token limit',
  ),
  TOOL_RUNTIME_DIR: z
    .string()
    .min(1)
    .default(defaultToolRuntimeDir())
    .describe(
      'the Python venv generated tools run in (provisioned from `sandbox/requirements.txt`: RDKit, NumPy, Pillow; under `TOOLSMITH_CACHE_DIR`)',
    ),
  BWRAP_PATH: z.string().min(1).default('bwrap').describe('bubblewrap, the sandbox of every run of generated code'),
  TOOLS_DIR: z
    .string()
    .min(1)
    .default(path.join(defaultDataDir(), 'tools'))
    .describe(
      'the registered tools, each version in its own folder: `<client>/<name>/v<version>/<name>.py` (under `TOOLSMITH_DATA_DIR`)',
    ),
  SANDBOX_WALL_TIME_MS: positiveMs.default(30_000).describe("validation's sandbox limit per run: wall time"),
  SANDBOX_MEMORY_MB: z.coerce
    .number()
    .int()
    .min(64)
    .default(2048)
    .describe("validation's sandbox limit per run: memory, in MB"),
  SANDBOX_OUTPUT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1_000_000)
    .describe("validation's sandbox limit per run: output, in bytes"),
  SANDBOX_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(2)
    .describe("the worker's warm sandboxes for validation (per worker process)"),
  SANDBOX_QUEUE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(120_000)
    .describe('how long a validation waits for a free warm sandbox'),
  EXECUTOR_POOL_SIZE: z.coerce
    .number()
    .int()
    .min(1)
    .max(64)
    .default(2)
    .describe("the API's warm sandboxes: tool calls at once, per API process"),
  EXECUTOR_POOL_MIN_WARM: z.coerce
    .number()
    .int()
    .min(0)
    .max(64)
    .default(1)
    .describe('sandboxes kept running when idle (both pools)'),
  EXECUTOR_IDLE_MS: positiveMs
    .default(300_000)
    .describe('a sandbox above `EXECUTOR_POOL_MIN_WARM` is stopped after this long idle (both pools)'),
  EXECUTOR_QUEUE_TIMEOUT_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(5_000)
    .describe(
      'a tool call waits this long for a busy pool, then gets `503 SERVICE_UNAVAILABLE` with `Retry-After` (`0`: at once)',
    ),
  EXECUTOR_WALL_TIME_MS: positiveMs.default(10_000).describe('limit per tool call: wall time'),
  EXECUTOR_MEMORY_MB: z.coerce.number().int().min(64).default(1024).describe('limit per tool call: memory, in MB'),
  EXECUTOR_OUTPUT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(1_000_000)
    .describe('limit per tool call: output, in bytes'),
  EXECUTOR_PRELOAD: moduleList
    .optional()
    .describe(
      'what each warm sandbox (both pools) imports once, before any call: a comma-separated list of Python modules (`""`: nothing); unset: the sandbox\'s own list of the runtime\'s heavy modules',
    ),
  REQUEST_BODY_LIMIT_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(2 * 1024 * 1024)
    .describe('larger request bodies get `413 PAYLOAD_TOO_LARGE`'),
  HEALTH_CHECK_TIMEOUT_MS: positiveMs
    .default(2_000)
    .describe('how long `GET /api/v1/health` waits for MongoDB and Temporal before calling one disconnected'),
  RATE_LIMIT_PER_MINUTE: z.coerce
    .number()
    .int()
    .min(1)
    .default(600)
    .describe(
      'per client: requests a minute, shared by every API process through MongoDB; over it, `429 RATE_LIMIT_EXCEEDED` with `Retry-After`',
    ),
  MAX_RUNNING_JOBS_PER_CLIENT: z.coerce
    .number()
    .int()
    .min(1)
    .default(10)
    .describe(
      'per client: jobs running at once, shared by every API process through MongoDB; over it, `429 RATE_LIMIT_EXCEEDED` with `Retry-After`',
    ),
  SHUTDOWN_GRACE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .default(20_000)
    .describe('on SIGTERM, how long requests (API) and activities (worker) in flight get to finish'),
  GENERATION_MAX_REPAIR_ROUNDS: z.coerce
    .number()
    .int()
    .min(0)
    .max(10)
    .default(3)
    .describe('repairs after the first implementation; a tool still failing validation then is stored as `failed`'),
  TOOL_GENERATION_DEADLINE_MS: positiveMs
    .default(15 * 60_000)
    .describe('per-tool deadline: a tool unfinished after it fails with `GENERATION_TIMEOUT`'),
  SANDBOX_VALIDATION: z
    .enum(['warm', 'cold'], { error: 'must be warm (the sandbox pool) or cold (a new sandbox per run)' })
    .default('warm')
    .describe(
      "`warm`: validation runs in the worker's sandbox pool; `cold`: in a new sandbox per run (slower; for where the pool cannot run)",
    ),
  LOG_LEVEL: z
    .enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      error: 'must be one of fatal, error, warn, info, debug, trace, silent',
    })
    .default('info')
    .describe("pino's level: `fatal`, `error`, `warn`, `info`, `debug`, `trace` or `silent`"),
  LOG_PRETTY: z
    .enum(['1', 'true', '0', 'false', ''], { error: 'must be 1/true (readable lines) or 0/false (JSON lines)' })
    .optional()
    .describe(
      '`1`/`true`: readable lines instead of JSON lines; `0`/`false`: JSON lines; unset: readable when stdout is a terminal (`npm start` sets it)',
    ),
  WORKER_METRICS_PORT: port.default(9464).describe("the worker's Prometheus `/metrics` (`0`: any free port)"),
  TEMPORAL_METRICS_PORT: port
    .default(9465)
    .describe(
      "the Temporal SDK's metrics exporter, on loopback, merged into the worker's `/metrics` (`0`: any free port)",
    ),
  LLM_MAX_CALLS_PER_SECOND: z.coerce
    .number()
    .positive()
    .default(5)
    .describe('the model calls of the whole fleet of workers together (a Temporal task-queue rate limit)'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z
    .url()
    .optional()
    .describe(
      "OpenTelemetry traces (workflows, activities, the API's workflow starts) over OTLP/HTTP; unset: tracing is off",
    ),
  WORKFLOW_BUNDLE_PATH: z
    .string()
    .min(1)
    .optional()
    .describe(
      'a workflow bundle built ahead of time (`tsx infra/bundle-workflows.ts <file>`, done in the Docker image), so a worker starts without bundling',
    ),
});

export type Environment = z.infer<typeof environmentSchema>;

/** Every variable the service reads: a deployment that sets another has a typo. */
export const configVariableNames = Object.keys(environmentSchema.shape) as (keyof Environment)[];
