/**
 * One Schemathesis run against a running Toolsmith, and its figure: how many requests it sent and
 * how many distinct failures it found, read from its JSON run report rather than its console text.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

/** The checks the published document promises (issue 9). */
export const FUZZ_CHECKS = [
  'not_a_server_error',
  'status_code_conformance',
  'content_type_conformance',
  'response_schema_conformance',
  'negative_data_rejection',
] as const;

export interface FuzzRunOptions {
  executable: string;
  /** the API root, `http://host:port/api/v1` */
  apiUrl: string;
  apiKey: string;
  maxExamples: number;
  /** a registered tool of the key's client: its execute operations get its id and name, not random ones */
  tool: { id: string; name: string };
  /** forward Schemathesis's own output (the CLI does; a test keeps it for a failure message) */
  echo: boolean;
  seed?: number;
}

export interface FuzzOutcome {
  requests: number;
  failures: number;
  exitCode: number;
  output: string;
  reportDir: string;
}

/**
 * Random ids of a 24-hex-digit space never name a tool, so without a real one the execute
 * operations would only ever answer 404 and their input handling would go unfuzzed.
 */
function realToolConfig(tool: { id: string; name: string }): string {
  return [
    '[[operations]]',
    'include-path = "/api/v1/tools/{toolId}/execute"',
    `parameters = { "path.toolId" = ${JSON.stringify(tool.id)} }`,
    '',
    '[[operations]]',
    'include-path = "/api/v1/tools/by-name/{name}/execute"',
    `parameters = { "path.name" = ${JSON.stringify(tool.name)} }`,
    '',
  ].join('\n');
}

function argumentsFor(options: FuzzRunOptions, origin: string, reportDir: string): string[] {
  return [
    '--config-file',
    path.join(reportDir, 'schemathesis.toml'),
    'run',
    `${origin}/openapi.json`,
    '--url',
    origin,
    '--checks',
    FUZZ_CHECKS.join(','),
    '--header',
    `Authorization: Bearer ${options.apiKey}`,
    '--max-examples',
    String(options.maxExamples),
    '--request-timeout',
    '10',
    '--report',
    'json',
    '--report-dir',
    reportDir,
    '--no-color',
    '--generation-database',
    'none',
    ...(options.seed === undefined ? [] : ['--seed', String(options.seed)]),
  ];
}

export async function runSchemathesis(options: FuzzRunOptions): Promise<FuzzOutcome> {
  const origin = new URL(options.apiUrl).origin;
  const reportDir = await fs.mkdtemp(path.join(os.tmpdir(), 'toolsmith-fuzz-'));
  await fs.writeFile(path.join(reportDir, 'schemathesis.toml'), realToolConfig(options.tool));
  // Run inside the report dir: Schemathesis keeps a crash cache in its working directory, not in the clone.
  const child = spawn(options.executable, argumentsFor(options, origin, reportDir), {
    cwd: reportDir,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  for (const stream of [child.stdout, child.stderr]) {
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      output += chunk;
      if (options.echo) process.stdout.write(chunk);
    });
  }
  const exitCode = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code ?? 1));
  });
  const report = await readRunReport(reportDir);
  return {
    requests: report?.test_cases.generated ?? 0,
    // A run that could not even report (a broken schema, a crash) counts as failing.
    failures: report ? report.test_cases.unique_failures + report.errors.length : 1,
    exitCode,
    output,
    reportDir,
  };
}

/** The part of Schemathesis's JSON run report (`--report json`) the figure is read from. */
interface RunReport {
  test_cases: { generated: number; unique_failures: number };
  errors: unknown[];
}

async function readRunReport(reportDir: string): Promise<RunReport | undefined> {
  const reportName = (await fs.readdir(reportDir)).find((name) => name.endsWith('.json'));
  if (!reportName) return undefined;
  try {
    return JSON.parse(await fs.readFile(path.join(reportDir, reportName), 'utf8')) as RunReport;
  } catch {
    return undefined; // cut short mid-write (the run was interrupted): no figure to read
  }
}
