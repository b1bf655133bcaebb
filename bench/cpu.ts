/**
 * CPU time per program on this machine (all processes of one name together: `node`, `ferretdb`,
 * `temporal`, `python`…), read from /proc: where a phase's work went, across the processes of
 * the stack. Processes that start and end inside the phase are missed, so the sandbox's
 * short-lived runs count only through its long-lived zygotes.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { timed } from './stats';

const CLOCK_TICKS_PER_SECOND = 100;
/** utime, stime, cutime, cstime: fields 14–17 of /proc/<pid>/stat, counted after the command name */
const CPU_FIELDS = [11, 12, 13, 14];

function cpuSecondsByProgram(): Map<string, number> {
  const totals = new Map<string, number>();
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // ended meanwhile
    }
    const program = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ticks = CPU_FIELDS.reduce((sum, field) => sum + Number(fields[field]), 0);
    totals.set(program, (totals.get(program) ?? 0) + ticks / CLOCK_TICKS_PER_SECOND);
  }
  return totals;
}

/** CPU milliseconds per unit of work, by program, for the programs that used at least 1 ms per unit. */
export type CpuPerUnit = Record<string, number>;

export async function cpuPerUnit<T>(units: number, work: () => Promise<T>): Promise<[CpuPerUnit, T]> {
  const before = cpuSecondsByProgram();
  const [, result] = await timed(work);
  const after = cpuSecondsByProgram();
  const perUnit: CpuPerUnit = {};
  for (const [program, seconds] of after) {
    const ms = ((seconds - (before.get(program) ?? 0)) * 1000) / units;
    if (ms >= 1) perUnit[program] = ms;
  }
  return [perUnit, result];
}

/** "node 156, ferretdb 96, temporal 75 (327 ms)": the programs that used the most first. */
export function describeCpu(perUnit: CpuPerUnit, programs = ['node', 'ferretdb', 'temporal', 'python']): string {
  const shown = programs.filter((program) => perUnit[program] !== undefined);
  const total = shown.reduce((sum, program) => sum + perUnit[program]!, 0);
  const parts = shown
    .sort((a, b) => perUnit[b]! - perUnit[a]!)
    .map((program) => `${program} ${perUnit[program]!.toFixed(0)}`);
  return `${parts.join(', ')} (${total.toFixed(0)} ms)`;
}
