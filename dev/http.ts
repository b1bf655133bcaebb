import { assertAnswerConforms } from './openapi-conformance';

/** Small fetch wrappers for talking to the API under test. */

export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** Per API origin, the key its requests carry by default: each test stack registers its own. */
const defaultApiKeys = new Map<string, string>();

export function useApiKey(apiUrl: string, key: string): void {
  defaultApiKeys.set(new URL(apiUrl).origin, key);
}

export function forgetApiKey(apiUrl: string): void {
  defaultApiKeys.delete(new URL(apiUrl).origin);
}

/** Headers that send `key` (an empty one sends none, and keeps the default key away). */
export function asClient(key: string): Record<string, string> {
  return { authorization: key ? `Bearer ${key}` : '' };
}

/** `init` carrying the origin's default key, unless it names a key (or none) itself. */
export function withApiKey(url: string, init: RequestInit = {}): RequestInit {
  const headers = new Headers(init.headers);
  const key = defaultApiKeys.get(new URL(url).origin);
  if (key && !headers.has('authorization') && !headers.has('x-api-key')) headers.set('authorization', `Bearer ${key}`);
  return { ...init, headers };
}

export async function request<T = any>(url: string, init: RequestInit = {}): Promise<HttpAnswer<T>> {
  const response = await fetch(url, withApiKey(url, init));
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the assertion will show it
  }
  assertAnswerConforms({ method: init.method ?? 'GET', url, status: response.status, headers: response.headers, body });
  return { status: response.status, headers: response.headers, body };
}

export function postJson<T = any>(
  url: string,
  payload: unknown,
  headers: Record<string, string> = {},
): Promise<HttpAnswer<T>> {
  return request<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** Polls until `done` holds for the answer, recording every status seen; bounded by `timeoutMs`. */
export async function pollUntil<T = any>(
  url: string,
  done: (answer: HttpAnswer<T>) => boolean,
  timeoutMs = 60_000,
  intervalMs = 100,
  init: RequestInit = {},
): Promise<{ last: HttpAnswer<T>; seen: HttpAnswer<T>[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: HttpAnswer<T>[] = [];
  for (;;) {
    const answer = await request<T>(url, init);
    seen.push(answer);
    if (done(answer)) return { last: answer, seen };
    if (Date.now() > deadline) throw new Error(`timed out polling ${url}; last answer: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
