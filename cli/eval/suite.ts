import { readdir, readFile, stat } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { toolRequirementSchema } from '../../contract';
import { CliError } from '../api-client';

/**
 * An evaluation suite (ToolArena's spirit): requirements, each with held-out calls the service never
 * sees. A held-out call passes when the tool's output equals `expected` (numbers within
 * `tolerance`) or when the Python `predicate` holds for it.
 */

const MAX_TASK_ID_CHARS = 100;

const heldOutCallSchema = z
  .strictObject({
    input: z.record(z.string(), z.unknown(), {
      error: (issue) => (issue.input === undefined ? 'is required' : "must be a JSON object (the tool's arguments)"),
    }),
    expected: z.unknown().optional(),
    predicate: z.string({ error: 'must be Python source (a string)' }).trim().min(1, 'must not be empty').optional(),
    tolerance: z.number({ error: 'must be a number' }).nonnegative('must not be negative').optional(),
  })
  .superRefine((call, ctx) => {
    const has = { expected: call.expected !== undefined, predicate: call.predicate !== undefined };
    if (has.expected === has.predicate) {
      ctx.addIssue({
        code: 'custom',
        message: has.expected ? 'give expected or predicate, not both' : 'needs expected (a JSON value) or predicate',
      });
    }
    if (has.predicate && call.tolerance !== undefined) {
      ctx.addIssue({ code: 'custom', path: ['tolerance'], message: 'applies to expected values, not to predicates' });
    }
  });
export type HeldOutCall = z.output<typeof heldOutCallSchema>;

const taskSchema = z.strictObject({
  id: z
    .string({ error: (issue) => (issue.input === undefined ? 'is required' : 'must be a string') })
    .regex(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/, 'must be letters, digits, ".", "_" or "-"')
    .max(MAX_TASK_ID_CHARS, `must be at most ${MAX_TASK_ID_CHARS} characters`),
  requirement: toolRequirementSchema,
  heldOut: z
    .array(heldOutCallSchema, {
      error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of held-out calls'),
    })
    .min(1, 'must hold at least one call'),
});
export type EvalTask = z.output<typeof taskSchema>;

const suiteFileSchema = z.strictObject(
  {
    description: z.string({ error: 'must be a string' }).optional(),
    tasks: z
      .array(taskSchema, {
        error: (issue) => (issue.input === undefined ? 'is required' : 'must be an array of tasks'),
      })
      .min(1, 'must hold at least one task'),
  },
  { error: 'must be a JSON object: { "tasks": [...] }' },
);

export interface EvalSuite {
  /** what was named on the command line */
  source: string;
  tasks: EvalTask[];
}

/** `tasks.3.heldOut.1.expected` as a person reads it: `heldOut[1].expected`. */
function fieldPath(segments: PropertyKey[]): string {
  return segments
    .map((segment, index) =>
      typeof segment === 'number' ? `[${segment}]` : `${index === 0 ? '' : '.'}${String(segment)}`,
    )
    .join('');
}

/** Names the task an issue is in (by its id, when it has a usable one) and the field within it. */
function describeIssue(file: string, raw: unknown, issue: z.core.$ZodIssue): string {
  const [first, index, ...inTask] = issue.path;
  if (first !== 'tasks' || typeof index !== 'number') {
    return `${file}: ${issue.path.length ? `${fieldPath(issue.path)}: ` : ''}${issue.message}`;
  }
  const id = (raw as { tasks?: { id?: unknown }[] }).tasks?.[index]?.id;
  const task = typeof id === 'string' && id ? `task "${id}" (tasks[${index}])` : `tasks[${index}]`;
  return `${file}: ${task}${inTask.length ? `, ${fieldPath(inTask)}` : ''}: ${issue.message}`;
}

/** The file's tasks, or what is wrong with it, one line per problem. */
async function readSuiteFile(file: string): Promise<{ tasks: EvalTask[]; problems: string[] }> {
  let raw: unknown;
  try {
    raw = JSON.parse(await readFile(file, 'utf8'));
  } catch (error) {
    return { tasks: [], problems: [`${file}: not a readable JSON file: ${(error as Error).message}`] };
  }
  const parsed = suiteFileSchema.safeParse(raw);
  if (parsed.success) return { tasks: parsed.data.tasks, problems: [] };
  return { tasks: [], problems: parsed.error.issues.map((issue) => describeIssue(file, raw, issue)) };
}

/** The suite's files: the one named, or every `*.json` directly in the folder named, in name order. */
async function suiteFiles(source: string): Promise<string[]> {
  const found = await stat(source).catch(() => null);
  if (!found) throw new CliError(`No suite at ${source}: no such file or folder.`, 'INVALID_SUITE');
  if (!found.isDirectory()) return [source];
  const names = (await readdir(source)).filter((name) => name.endsWith('.json')).sort();
  if (names.length === 0) throw new CliError(`The folder ${source} holds no suite (*.json) files.`, 'INVALID_SUITE');
  return names.map((name) => path.join(source, name));
}

/**
 * Reads and checks the whole suite before anything is submitted: every problem of every file is
 * reported at once, each naming its file, task and field. Task ids are unique across the files.
 */
export async function loadSuite(source: string): Promise<EvalSuite> {
  const tasks: EvalTask[] = [];
  const problems: string[] = [];
  const fileOf = new Map<string, string>();
  for (const file of await suiteFiles(source)) {
    const read = await readSuiteFile(file);
    problems.push(...read.problems);
    for (const task of read.tasks) {
      const earlier = fileOf.get(task.id);
      if (earlier) problems.push(`${file}: task "${task.id}" has the id of a task in ${earlier} as well`);
      fileOf.set(task.id, file);
      tasks.push(task);
    }
  }
  if (problems.length) {
    const lines = problems.map((problem) => `  ${problem}`).join('\n');
    throw new CliError(`The suite is not valid; nothing was submitted:\n${lines}`, 'INVALID_SUITE');
  }
  return { source, tasks };
}
