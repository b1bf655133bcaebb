import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The example requests (copies of the project's shared examples: test/unit/examples.test.ts keeps them equal). */
export const EXAMPLES_DIR = path.resolve(__dirname, '../examples');

export function loadExample<T = any>(name: string): T {
  return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, name), 'utf8')) as T;
}
