/**
 * `runnel list` output, laid out as Flink's `flink list`: jobs grouped into running,
 * scheduled and terminated, each line `dd.MM.yyyy HH:mm:ss : <id> : <name> (<STATE>)`.
 */
import type { JobOverview } from './rest-client.js';

export interface ListSelection {
  /** Running and restarting jobs (every state that is neither scheduled nor terminal). */
  readonly running: boolean;
  /** Jobs not yet running: CREATED and INITIALIZING. */
  readonly scheduled: boolean;
  /** Every group, terminated jobs included. */
  readonly all: boolean;
}

const SCHEDULED_STATES: ReadonlySet<string> = new Set(['CREATED', 'INITIALIZING']);
// Flink's globally terminal states; SUSPENDED is not one (another JobManager may resume the job).
const TERMINAL_STATES: ReadonlySet<string> = new Set(['FINISHED', 'CANCELED', 'FAILED']);

const RULE = '--------------------------------------------------------------';

/** The lines `runnel list` prints for these jobs. */
export function formatJobList(jobs: readonly JobOverview[], selection: ListSelection): string[] {
  const running = jobs.filter((j) => !SCHEDULED_STATES.has(j.state) && !TERMINAL_STATES.has(j.state));
  const scheduled = jobs.filter((j) => SCHEDULED_STATES.has(j.state));
  const terminated = jobs.filter((j) => TERMINAL_STATES.has(j.state));
  const lines: string[] = [];
  if (selection.running || selection.all) {
    lines.push(...section('------------------ Running/Restarting Jobs -------------------', running, 'No running jobs.'));
  }
  if (selection.scheduled || selection.all) {
    lines.push(...section('----------------------- Scheduled Jobs -----------------------', scheduled, 'No scheduled jobs.'));
  }
  if (selection.all && terminated.length > 0) {
    lines.push(...section('---------------------- Terminated Jobs -----------------------', terminated, undefined));
  }
  return lines;
}

function section(title: string, jobs: readonly JobOverview[], whenEmpty: string | undefined): string[] {
  if (jobs.length === 0) return whenEmpty === undefined ? [] : [whenEmpty];
  return [title, ...sortJobs(jobs).map(formatJobLine), RULE];
}

/** By start time, oldest first; jobs started in the same millisecond by state name. */
function sortJobs(jobs: readonly JobOverview[]): JobOverview[] {
  return [...jobs]
    .sort((a, b) => a.state.toLowerCase().localeCompare(b.state.toLowerCase()))
    .sort((a, b) => a.startTime - b.startTime);
}

export function formatJobLine(job: JobOverview): string {
  return `${formatTimestamp(job.startTime)} : ${job.jid} : ${job.name} (${job.state})`;
}

/** `dd.MM.yyyy HH:mm:ss` in the local time zone, like Flink's client. */
export function formatTimestamp(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number): string => String(n).padStart(2, '0');
  return (
    `${two(d.getDate())}.${two(d.getMonth() + 1)}.${String(d.getFullYear()).padStart(4, '0')} ` +
    `${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`
  );
}
