/** Small fetch wrappers for talking to the API under test. */

export interface HttpAnswer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export async function request<T = any>(url: string, init: RequestInit = {}): Promise<HttpAnswer<T>> {
  const response = await fetch(url, init);
  const text = await response.text();
  let body: any = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the text, the assertion will show it
  }
  return { status: response.status, headers: response.headers, body };
}

export function postJson<T = any>(url: string, payload: unknown): Promise<HttpAnswer<T>> {
  return request<T>(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });
}

/** Polls until `done` holds for the answer, recording every status seen; bounded by `timeoutMs`. */
export async function pollUntil<T = any>(
  url: string,
  done: (answer: HttpAnswer<T>) => boolean,
  timeoutMs = 60_000,
  intervalMs = 100,
): Promise<{ last: HttpAnswer<T>; seen: HttpAnswer<T>[] }> {
  const deadline = Date.now() + timeoutMs;
  const seen: HttpAnswer<T>[] = [];
  for (;;) {
    const answer = await request<T>(url);
    seen.push(answer);
    if (done(answer)) return { last: answer, seen };
    if (Date.now() > deadline) throw new Error(`timed out polling ${url}; last answer: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
