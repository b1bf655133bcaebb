import type { StructuredOutputMode } from './structured-output';

/** What the endpoint's output-token limit is called: OpenAI's current name, or the older one some servers still want. */
export type TokenLimitParameter = 'max_completion_tokens' | 'max_tokens';

const MODE_ORDER: StructuredOutputMode[] = ['json_schema', 'json_object', 'prompt'];

export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** An endpoint as the memory knows it: its base URL, without a trailing slash (OpenAI's when unset). */
export function endpointOf(baseUrl: string | undefined): string {
  return (baseUrl ?? OPENAI_BASE_URL).replace(/\/+$/, '');
}

/** One thing the gateway learnt about an endpoint, reported once (e.g. to the worker's log). */
export interface EndpointHabitChange {
  endpoint: string;
  /** the model it is about (the token-limit parameter is the endpoint's, for all its models) */
  model: string;
  habit: 'structured output' | 'token limit parameter';
  from: string;
  to: string;
  /** what the endpoint did, in words */
  reason: string;
}

/**
 * What works with each endpoint, learnt from its answers and kept for the life of the process
 * (one per worker; the worker's start-up probe fills it before the first job): the structured-output
 * mode per endpoint and model, and the token-limit parameter per endpoint. Changes go one way
 * (json_schema → json_object → prompt; max_completion_tokens → max_tokens), so calls in parallel
 * that learn the same thing report it once.
 */
export class EndpointMemory {
  private readonly modes = new Map<string, StructuredOutputMode>();
  private readonly tokenLimits = new Map<string, TokenLimitParameter>();

  structuredOutput(endpoint: string, model: string): StructuredOutputMode | undefined {
    return this.modes.get(`${endpoint} ${model}`);
  }

  /** true when this is news: a mode further down json_schema → json_object → prompt than the one known */
  rememberStructuredOutput(endpoint: string, model: string, mode: StructuredOutputMode): boolean {
    const key = `${endpoint} ${model}`;
    const known = this.modes.get(key) ?? 'json_schema';
    if (MODE_ORDER.indexOf(mode) <= MODE_ORDER.indexOf(known)) return false;
    this.modes.set(key, mode);
    return true;
  }

  tokenLimitParameter(endpoint: string): TokenLimitParameter {
    return this.tokenLimits.get(endpoint) ?? 'max_completion_tokens';
  }

  /** true when this is news */
  rememberTokenLimitParameter(endpoint: string, parameter: TokenLimitParameter): boolean {
    if (this.tokenLimitParameter(endpoint) === parameter) return false;
    this.tokenLimits.set(endpoint, parameter);
    return true;
  }
}
