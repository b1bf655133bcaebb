export type AnyActivity = (...args: never[]) => Promise<unknown>;

/** Wraps every activity of a set the same way, keeping each one's name (Temporal registers them by it). */
export function wrapEach<T extends Record<string, AnyActivity>>(
  activities: T,
  wrap: (name: string, activity: AnyActivity) => AnyActivity,
): T {
  const wrapped: Record<string, AnyActivity> = {};
  for (const [name, activity] of Object.entries(activities)) {
    wrapped[name] = wrap(name, activity);
    Object.defineProperty(wrapped[name], 'name', { value: name });
  }
  return wrapped as T;
}
