import path from 'node:path';
import { build } from 'esbuild';
import type { ConsoleAsset } from '../contract';

/** The web console's source: TypeScript and Preact, bundled here, so `npm install` is all it takes. */
export const WEB_SOURCE_DIR = path.join(__dirname, '..', 'web');

export type ConsoleBundle = Record<ConsoleAsset, string>;

let built: Promise<ConsoleBundle> | undefined;

async function bundleConsole(): Promise<ConsoleBundle> {
  const result = await build({
    entryPoints: [path.join(WEB_SOURCE_DIR, 'main.tsx')],
    tsconfig: path.join(WEB_SOURCE_DIR, 'tsconfig.json'),
    entryNames: 'console',
    // in memory: nothing is written, so a read-only install (the Docker image) serves it too
    outdir: path.join(WEB_SOURCE_DIR, 'out'),
    write: false,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2022'],
    jsx: 'automatic',
    jsxImportSource: 'preact',
    minify: true,
    legalComments: 'none',
    charset: 'utf8',
    logLevel: 'silent',
  });
  const output = (extension: string): string => {
    const file = result.outputFiles.find((candidate) => candidate.path.endsWith(extension));
    if (!file) throw new Error(`bundling the web console made no ${extension} file`);
    return file.text;
  };
  return { 'console.js': output('.js'), 'console.css': output('.css') };
}

/**
 * The bundled page, built once per process on first use (a fraction of a second) and kept: API
 * processes that never serve the page never pay for it. A failed build is not kept, so the next
 * request tries again.
 */
export function consoleBundle(): Promise<ConsoleBundle> {
  if (!built) {
    built = bundleConsole();
    built.catch(() => (built = undefined));
  }
  return built;
}
