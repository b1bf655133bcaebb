import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The shared examples live beside the repository (../shared), as in CI's checkout. */
export const EXAMPLES_DIR = path.resolve(__dirname, '../../../shared/examples');

export function loadExample<T = any>(name: string): T {
  return JSON.parse(readFileSync(path.join(EXAMPLES_DIR, name), 'utf8')) as T;
}
