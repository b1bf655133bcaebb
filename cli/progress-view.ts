import { MultiBar, Presets, type SingleBar } from 'cli-progress';
import type { JobProgress, JobResponse } from '../contract';
import type { JobObserver, StageEvent, ToolStage } from './job-follower';

/** What a person reads for each pipeline stage, and how many of the five steps it has behind it. */
const STAGES: Record<ToolStage, { label: string; stepsDone: number | null }> = {
  pending: { label: 'waiting', stepsDone: 0 },
  planning: { label: 'plan', stepsDone: 0 },
  searching: { label: 'search', stepsDone: 1 },
  implementing: { label: 'implement', stepsDone: 2 },
  executing: { label: 'validate', stepsDone: 3 },
  registering: { label: 'register', stepsDone: 4 },
  completed: { label: 'done', stepsDone: 5 },
  // a stopped tool keeps the bar where it stopped: that shows how far it got
  failed: { label: 'failed', stepsDone: null },
  cancelled: { label: 'cancelled', stepsDone: null },
};
const PIPELINE_STEPS = 5;
const LABEL_WIDTH = 34;

export function describeStage(event: Pick<StageEvent, 'stage' | 'attempts'>): string {
  const label = STAGES[event.stage]?.label ?? event.stage;
  // The attempt number only tells something once the model had to repair its code, and only for
  // the stages that repairs repeat (implement, validate) and the outcome.
  if (event.attempts <= 1) return label;
  if (event.stage === 'implementing' || event.stage === 'executing') return `${label} (attempt ${event.attempts})`;
  const ended = event.stage === 'completed' || event.stage === 'failed' || event.stage === 'cancelled';
  return ended ? `${label} after ${event.attempts} attempts` : label;
}

export function describeCounts(progress: JobProgress): string {
  const { total, completed, failed, inProgress, currentTool } = progress;
  const current = currentTool ? `, now: ${currentTool}` : '';
  return `${completed}/${total} done, ${failed} failed, ${inProgress} in progress${current}`;
}

export function describeProgress(job: Pick<JobResponse, 'status' | 'progress'>): string {
  return `${job.status}: ${describeCounts(job.progress)}`;
}

function fitLabel(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > LABEL_WIDTH ? `${oneLine.slice(0, LABEL_WIDTH - 1)}…` : oneLine.padEnd(LABEL_WIDTH);
}

export interface ProgressView extends JobObserver {
  /** ends the display (bars are frozen in their last state); safe to call twice */
  stop(): void;
}

export interface ProgressViewOptions {
  /** the requirement descriptions when known (submit), to label tools before they have a name */
  requirements?: string[];
  /** how many tools the job has */
  total: number;
  stream: NodeJS.WriteStream;
}

/** Bars on a terminal, plain lines when the output goes to a file or a pipe (logs, CI). */
export function createProgressView(options: ProgressViewOptions): ProgressView {
  return options.stream.isTTY ? new BarsView(options) : new LinesView(options);
}

/** Shared by both views: per-requirement names, and whether the events stream is driving us. */
abstract class BaseView implements ProgressView {
  protected readonly names: string[];
  protected total: number;
  /** once stage events arrive, job snapshots add nothing the bars do not already show */
  protected drivenByEvents = false;

  constructor(protected readonly options: ProgressViewOptions) {
    this.total = options.total;
    this.names = Array.from({ length: options.total }, (_, index) => {
      // quoted, so a description is not mistaken for a tool name until the plan names the tool
      const description = options.requirements?.[index]?.replace(/\s+/g, ' ').trim();
      return description
        ? `"${description.length > 60 ? `${description.slice(0, 59)}…` : description}"`
        : `tool ${index + 1}`;
    });
  }

  onStage(event: StageEvent): void {
    this.drivenByEvents = true;
    if (event.requirementIndex >= this.total) this.total = event.requirementIndex + 1;
    if (event.toolName) this.names[event.requirementIndex] = event.toolName;
    this.names[event.requirementIndex] ??= `tool ${event.requirementIndex + 1}`;
    this.showStage(event);
  }

  onSnapshot(job: JobResponse): void {
    if (!this.drivenByEvents) this.showSnapshot(job);
  }

  abstract onNotice(message: string): void;
  abstract stop(): void;
  protected abstract showStage(event: StageEvent): void;
  protected abstract showSnapshot(job: JobResponse): void;
}

class BarsView extends BaseView {
  private readonly multibar: MultiBar;
  private readonly toolBars = new Map<number, SingleBar>();
  private jobBar: SingleBar | undefined;
  private stopped = false;

  constructor(options: ProgressViewOptions) {
    super(options);
    this.multibar = new MultiBar(
      {
        stream: options.stream,
        format: ' {label} |{bar}| {status}',
        hideCursor: true,
        clearOnComplete: false,
        autopadding: true,
      },
      Presets.shades_classic,
    );
  }

  protected showStage(event: StageEvent): void {
    // A bar appears with a tool's first event: a retry's kept tools have none and get no bar. The
    // workflow starts its tools in requirement order, so the bars come out in that order too.
    const bar = this.toolBar(event.requirementIndex);
    const stepsDone = STAGES[event.stage]?.stepsDone;
    const payload = { label: fitLabel(this.names[event.requirementIndex]!), status: describeStage(event) };
    if (stepsDone === null || stepsDone === undefined) bar.update(payload);
    else bar.update(stepsDone, payload);
  }

  protected showSnapshot(job: JobResponse): void {
    const { total, completed, failed } = job.progress;
    this.jobBar ??= this.multibar.create(Math.max(total, 1), 0, { label: fitLabel(job.jobId), status: '' });
    this.jobBar.update(completed + failed, { status: describeProgress(job) });
  }

  onNotice(message: string): void {
    if (!this.stopped) this.multibar.log(`${message}\n`);
    else this.options.stream.write(`${message}\n`);
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.multibar.stop();
  }

  private toolBar(index: number): SingleBar {
    let bar = this.toolBars.get(index);
    if (!bar) {
      const label = fitLabel(this.names[index] ?? `tool ${index + 1}`);
      bar = this.multibar.create(PIPELINE_STEPS, 0, { label, status: 'waiting' });
      this.toolBars.set(index, bar);
    }
    return bar;
  }
}

/** One line per change: readable in a log, and nothing is printed twice. */
class LinesView extends BaseView {
  private readonly lastLines = new Map<string, string>();

  protected showStage(event: StageEvent): void {
    const name = this.names[event.requirementIndex]!.replace(/\s+/g, ' ');
    this.printChanged(
      `tool ${event.requirementIndex}`,
      `[${event.requirementIndex + 1}/${this.total}] ${name}: ${describeStage(event)}`,
    );
  }

  protected showSnapshot(job: JobResponse): void {
    this.printChanged('job', `job ${job.jobId} ${describeProgress(job)}`);
  }

  onNotice(message: string): void {
    this.options.stream.write(`${message}\n`);
  }

  stop(): void {}

  private printChanged(key: string, line: string): void {
    if (this.lastLines.get(key) === line) return;
    this.lastLines.set(key, line);
    this.options.stream.write(`${line}\n`);
  }
}
