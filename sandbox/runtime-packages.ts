import { readFileSync } from 'node:fs';
import path from 'node:path';

export const REQUIREMENTS_PATH = path.join(__dirname, 'requirements.txt');

/** The package names pinned for the tool runtime: what a plan may list as dependencies. */
export function runtimePackageNames(requirementsPath = REQUIREMENTS_PATH): string[] {
  return readFileSync(requirementsPath, 'utf8')
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .filter(Boolean)
    .map((line) => line.split(/[<>=!~;[ ]/)[0]!.toLowerCase());
}
