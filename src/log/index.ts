/**
 * Process-wide logging on pino. Components take a child logger named after themselves
 * (`logger('dispatcher')`); the process entry point decides level and format once.
 *
 * Text is the default because operators read `log/*.log` with `tail`; `json` suits log
 * shippers. Both write synchronously so the last lines before a crash are never lost.
 */
import { pino, type Logger, type LevelWithSilent } from 'pino';
import pretty from 'pino-pretty';

export type { Logger };
export type LogFormat = 'text' | 'json';

export interface LogSettings {
  readonly level: LevelWithSilent;
  readonly format: LogFormat;
  /** Where lines go; defaults to standard output. */
  readonly destination?: NodeJS.WritableStream;
}

function defaultLevel(): LevelWithSilent {
  const fromEnv = process.env['RUNNEL_LOG_LEVEL'];
  const levels: readonly string[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
  return fromEnv !== undefined && levels.includes(fromEnv) ? (fromEnv as LevelWithSilent) : 'info';
}

function build(settings: LogSettings): Logger {
  const stream =
    settings.format === 'json'
      ? (settings.destination ?? pino.destination({ fd: 1, sync: true }))
      : pretty({
          sync: true,
          colorize: false,
          translateTime: 'SYS:yyyy-mm-dd HH:MM:ss.l',
          ignore: 'pid,hostname,component',
          singleLine: true,
          messageFormat: '{if component}{component}: {end}{msg}',
          ...(settings.destination ? { destination: settings.destination } : {}),
        });
  return pino({ level: settings.level, base: { pid: process.pid } }, stream);
}

let root: Logger = build({ level: defaultLevel(), format: 'text' });

/** Re-creates the root logger; loggers taken before keep the old settings. */
export function configureLogging(settings: LogSettings): void {
  root = build(settings);
}

/** A logger for one component; `component` appears at the start of every line. */
export function logger(component: string): Logger {
  return root.child({ component });
}

/**
 * Logs at most one line per key and interval, then reports how many were suppressed.
 * Used where a remote peer controls the rate of a message (bad frames, unknown targets).
 */
export class RateLimitedLog {
  private readonly last = new Map<string, { at: number; suppressed: number }>();

  constructor(
    private readonly log: Logger,
    private readonly intervalMs: number = 10_000,
    private readonly now: () => number = Date.now,
  ) {}

  warn(key: string, message: string, fields: Record<string, unknown> = {}): void {
    const t = this.now();
    const entry = this.last.get(key);
    if (entry !== undefined && t - entry.at < this.intervalMs) {
      entry.suppressed++;
      return;
    }
    const suppressed = entry?.suppressed ?? 0;
    this.last.set(key, { at: t, suppressed: 0 });
    this.log.warn(suppressed > 0 ? { ...fields, suppressed } : fields, message);
  }
}
