/**
 * The free-form JSON we keep (a client's acceptance examples, a model's test cases and JSON
 * Schemas) may hold what a MongoDB-protocol server refuses: FerretDB v1, the embedded MongoDB of
 * `npm start` and the tests, stores no array directly inside an array (a matrix is a list of lists),
 * and neither it nor MongoDB takes a key that starts with "$" (a schema's "$schema", "$defs") or
 * holds a "." or a NUL. Such values are written wrapped, and unwrapped when read:
 * - an array directly inside an array as `{ "__array__": [...] }`;
 * - an object with a key of that kind as `{ "__json__": "<the object as JSON text>" }`.
 * Everything else is stored exactly as it is, and only plain objects and arrays are walked:
 * ObjectIds, Dates and the like pass untouched.
 */

const ARRAY_WRAPPER = '__array__';
const JSON_WRAPPER = '__json__';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null) return false;
  const prototype = Object.getPrototypeOf(value);
  return prototype === Object.prototype || prototype === null;
}

/** A key the server refuses, or one of our wrappers' (which would be read back as a wrapper). */
function needsWrapping(key: string): boolean {
  return (
    key.startsWith('$') || key.includes('.') || key.includes('\0') || key === ARRAY_WRAPPER || key === JSON_WRAPPER
  );
}

function mapValues(value: Record<string, unknown>, map: (inner: unknown) => unknown): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, map(inner)]));
}

/** `value` as it can be stored. */
export function toStorable<T>(value: T): T {
  const wrap = (inner: unknown, insideArray: boolean): unknown => {
    if (Array.isArray(inner)) {
      const items = inner.map((item) => wrap(item, true));
      return insideArray ? { [ARRAY_WRAPPER]: items } : items;
    }
    if (!isPlainObject(inner)) return inner;
    if (Object.keys(inner).some(needsWrapping)) return { [JSON_WRAPPER]: JSON.stringify(inner) };
    return mapValues(inner, (member) => wrap(member, false));
  };
  return wrap(value, false) as T;
}

/** A stored value as it was before `toStorable`. */
export function fromStorable<T>(value: T): T {
  const unwrap = (inner: unknown): unknown => {
    if (Array.isArray(inner)) return inner.map(unwrap);
    if (!isPlainObject(inner)) return inner;
    const [key, ...others] = Object.keys(inner);
    const wrapped = others.length === 0 ? inner[key!] : undefined;
    if (key === ARRAY_WRAPPER && Array.isArray(wrapped)) return wrapped.map(unwrap);
    if (key === JSON_WRAPPER && typeof wrapped === 'string') return JSON.parse(wrapped);
    return mapValues(inner, unwrap);
  };
  return unwrap(value) as T;
}
