/**
 * Whether a tool's output is the expected value, compared as validation compares test cases
 * (sandbox/harness.py `matches`): numbers within `tolerance`, booleans only with booleans, objects
 * with the same keys and arrays of the same length compared member by member, anything else exactly.
 */
export function matchesExpected(actual: unknown, expected: unknown, tolerance: number): boolean {
  if (typeof expected === 'boolean' || typeof actual === 'boolean') return actual === expected;
  if (typeof expected === 'number' && typeof actual === 'number') return Math.abs(actual - expected) <= tolerance;
  if (Array.isArray(expected)) {
    return (
      Array.isArray(actual) &&
      actual.length === expected.length &&
      expected.every((item, index) => matchesExpected(actual[index], item, tolerance))
    );
  }
  if (isObject(expected)) {
    if (!isObject(actual)) return false;
    const keys = Object.keys(expected);
    return (
      keys.length === Object.keys(actual).length &&
      keys.every((key) => Object.hasOwn(actual, key) && matchesExpected(actual[key], expected[key], tolerance))
    );
  }
  return actual === expected;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
