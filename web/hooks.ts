/** The page's shared state and the way its pages load what they show. */
import { createContext } from 'preact';
import { useCallback, useContext, useEffect, useState } from 'preact/hooks';
import { isAbort, type ApiClient } from './api';
import { ApiError } from './lib/api-errors';

export const ApiContext = createContext<ApiClient | null>(null);

export function useApi(): ApiClient {
  const api = useContext(ApiContext);
  if (!api) throw new Error('useApi outside the ApiContext: the page renders only once it has a key');
  return api;
}

/** Whatever was thrown, as an ApiError a page can show. */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  return new ApiError(`Something went wrong in the page: ${(error as Error)?.message ?? String(error)}`, 0, 'PAGE');
}

export interface Loaded<T> {
  data: T | undefined;
  error: ApiError | undefined;
  loading: boolean;
  reload(): void;
  /** replaces what is shown (an answer the page got another way, e.g. from a POST) */
  setData(data: T): void;
}

/**
 * Loads with `load` whenever `deps` change (and on reload); an answer that arrives after the page
 * moved on is dropped, and the request is aborted.
 */
export function useLoad<T>(load: (signal: AbortSignal) => Promise<T>, deps: readonly unknown[]): Loaded<T> {
  const [state, setState] = useState<Omit<Loaded<T>, 'reload' | 'setData'>>({
    data: undefined,
    error: undefined,
    loading: true,
  });
  const [generation, setGeneration] = useState(0);
  useEffect(() => {
    const controller = new AbortController();
    setState((previous) => ({ ...previous, loading: true }));
    load(controller.signal).then(
      (data) => controller.signal.aborted || setState({ data, error: undefined, loading: false }),
      (error: unknown) => {
        if (isAbort(error) || controller.signal.aborted) return;
        setState((previous) => ({ data: previous.data, error: asApiError(error), loading: false }));
      },
    );
    return () => controller.abort();
  }, [...deps, generation]);
  const reload = useCallback(() => setGeneration((value) => value + 1), []);
  const setData = useCallback((data: T) => setState({ data, error: undefined, loading: false }), []);
  return { ...state, reload, setData };
}

/** Page sizes a listing offers (the API takes 1 to 100; it answers 20 when asked for none). */
export const PAGE_SIZES = [
  ['5', '5'],
  ['20', '20'],
  ['50', '50'],
  ['100', '100'],
] as const;

/** Pages of a listing, by the cursors that led to them: Older follows nextCursor, Newer goes back. */
export function useCursorPages() {
  const [cursors, setCursors] = useState<string[]>([]);
  return {
    cursor: cursors.at(-1),
    hasNewer: cursors.length > 0,
    older: (nextCursor: string) => setCursors((previous) => [...previous, nextCursor]),
    newer: () => setCursors((previous) => previous.slice(0, -1)),
    reset: () => setCursors([]),
  };
}
