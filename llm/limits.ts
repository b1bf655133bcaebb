/**
 * How many HTTP calls one gateway call (`completeStructured`) may make, and so how long it may take.
 * Pure and free of imports, so whatever sets the LLM activity's start-to-close timeout can use it.
 */

/** re-asks after an unusable reply (not JSON, not the schema, a failed check, Groq's json_validate_failed) */
export const MAX_REPLY_CORRECTIONS = 2;
/** a reply cut at the token limit is asked once more, with twice the limit */
export const TRUNCATION_REASKS = 1;
/** a reply with reasoning but no content is asked once more */
export const EMPTY_REPLY_REASKS = 1;
/** `auto` falls back at most twice: json_schema → json_object → prompt (once per endpoint and model per process) */
export const MODE_FALLBACKS = 2;
/** max_completion_tokens → max_tokens (once per endpoint per process) */
export const TOKEN_PARAMETER_FALLBACKS = 1;

/** The most HTTP calls one gateway call makes. */
export const MAX_HTTP_CALLS_PER_REQUEST =
  1 + MAX_REPLY_CORRECTIONS + TRUNCATION_REASKS + EMPTY_REPLY_REASKS + MODE_FALLBACKS + TOKEN_PARAMETER_FALLBACKS;

/** bookkeeping around the HTTP calls: recording each one and reserving it in MongoDB */
export const GATEWAY_MARGIN_MS = 30_000;

/**
 * The longest one gateway call can take: every HTTP call it may make taking the whole
 * LLM_REQUEST_TIMEOUT_MS, plus the margin. An LLM activity's start-to-close timeout at least this
 * long never cuts a call that would have succeeded.
 */
export function maxGatewayCallMs(requestTimeoutMs: number): number {
  return requestTimeoutMs * MAX_HTTP_CALLS_PER_REQUEST + GATEWAY_MARGIN_MS;
}
