/**
 * Benchmark harness: scenario type, measuring helpers, the result table and bench/results.json
 * (format in /work/shared/CONTRACT.md, section "Benchmark: npm run bench"), and the CLI.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError } from 'commander';
import { liveChildPids } from './child.js';

// ---------------------------------------------------------------------------------------------
// Types

export interface ScenarioOptions {
  /** Smaller counts: the whole `--quick` run must finish in under two minutes. */
  quick: boolean;
}

/** One measured run: how many records/messages, wall-clock seconds, CPU seconds of all processes. */
export interface Measurement {
  records: number;
  seconds: number;
  /** user + system CPU time of every process involved (parent and children), in seconds. */
  cpuSeconds: number;
}

export interface BaselineMeasurement extends Measurement {
  /** Name of the baseline, e.g. `raw-pipe`. */
  name: string;
}

/** Extra metrics (e.g. `{ p50Ms, p99Ms }`): printed below the table and stored in results.json. */
export type ExtraMetrics = Record<string, number | string>;

export interface ScenarioResult extends Measurement {
  /** The baseline measured in the same run. */
  baseline: BaselineMeasurement;
  extra?: ExtraMetrics;
}

export interface Scenario {
  name: string;
  description: string;
  /** Include in `--quick` runs (default true). When false, `--quick` skips it unless named. */
  quick?: boolean;
  run(opts: ScenarioOptions): Promise<ScenarioResult>;
}

/** One element of bench/results.json. */
export interface ResultRow {
  name: string;
  records: number;
  seconds: number;
  perSecond: number;
  perSecondPerCore: number;
  baseline: string;
  baselinePerSecond: number;
  ratio: number;
  [extra: string]: number | string;
}

// ---------------------------------------------------------------------------------------------
// Helpers for scenarios

/** CPU seconds (user + system) of a `process.cpuUsage()` value or delta. */
export function cpuSeconds(usage: NodeJS.CpuUsage): number {
  return (usage.user + usage.system) / 1e6;
}

/** Seconds between two `process.hrtime.bigint()` readings (end defaults to now). */
export function elapsedSeconds(startNs: bigint, endNs: bigint = process.hrtime.bigint()): number {
  return Number(endNs - startNs) / 1e9;
}

/** Percentile (0..100) of `values` by nearest rank; sorts a copy. NaN for an empty array. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/**
 * The element with the median `key` (for an even count, the lower middle one). Measure a few
 * rounds and report the median round to damp the noise of a shared 2-core VM.
 */
export function medianBy<T>(items: readonly T[], key: (item: T) => number): T {
  if (items.length === 0) throw new Error('medianBy: no items');
  const sorted = [...items].sort((a, b) => key(a) - key(b));
  return sorted[Math.floor((sorted.length - 1) / 2)] as T;
}

/** (max - min) / median of `values`, in percent: how much repeated rounds disagreed. */
export function spreadPct(values: readonly number[]): number {
  if (values.length === 0) return 0;
  const med = medianBy(values, (v) => v);
  return med > 0 ? ((Math.max(...values) - Math.min(...values)) / med) * 100 : 0;
}

/** Records per second. */
export function perSecond(m: Measurement): number {
  return m.seconds > 0 ? m.records / m.seconds : 0;
}

/** Throughput per core actually used: perSecond / (cpuSeconds / seconds) = records / cpuSeconds. */
export function perSecondPerCore(m: Measurement): number {
  return m.cpuSeconds > 0 ? m.records / m.cpuSeconds : 0;
}

const CORE_FIELDS = new Set([
  'name',
  'records',
  'seconds',
  'perSecond',
  'perSecondPerCore',
  'baseline',
  'baselinePerSecond',
  'ratio',
]);

function round(n: number, digits: number): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/** Turn a scenario result into its results.json row. */
export function toRow(name: string, r: ScenarioResult): ResultRow {
  const ps = perSecond(r);
  const bps = perSecond(r.baseline);
  const row: ResultRow = {
    name,
    records: r.records,
    seconds: round(r.seconds, 4),
    perSecond: round(ps, 1),
    perSecondPerCore: round(perSecondPerCore(r), 1),
    baseline: r.baseline.name,
    baselinePerSecond: round(bps, 1),
    ratio: bps > 0 ? round(ps / bps, 4) : 0,
  };
  for (const [k, v] of Object.entries(r.extra ?? {})) {
    if (CORE_FIELDS.has(k)) throw new Error(`scenario ${name}: extra metric '${k}' clashes with a core field`);
    row[k] = typeof v === 'number' ? round(v, 4) : v;
  }
  return row;
}

// ---------------------------------------------------------------------------------------------
// Output

function fmtInt(n: number): string {
  return Math.round(n).toLocaleString('en-US');
}

function fmtExtra(v: number | string): string {
  if (typeof v === 'string') return v;
  if (Number.isInteger(v)) return fmtInt(v);
  return Math.abs(v) >= 100 ? fmtInt(v) : String(round(v, 3));
}

export function formatTable(rows: readonly ResultRow[]): string {
  const header = ['scenario', 'records', 'seconds', 'per second', 'per second per core', 'baseline', 'baseline per second', 'ratio'];
  const body = rows.map((r) => [
    r.name,
    fmtInt(r.records),
    r.seconds.toFixed(2),
    fmtInt(r.perSecond),
    fmtInt(r.perSecondPerCore),
    r.baseline,
    fmtInt(r.baselinePerSecond),
    r.ratio.toFixed(2),
  ]);
  const all = [header, ...body];
  const widths = header.map((_, i) => Math.max(...all.map((line) => (line[i] ?? '').length)));
  const leftAligned = new Set([0, 5]);
  const fmt = (line: string[]): string =>
    line
      .map((cell, i) => (leftAligned.has(i) ? cell.padEnd(widths[i] ?? 0) : cell.padStart(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  const sep = widths.map((w) => '-'.repeat(w)).join('  ');
  return [fmt(header), sep, ...body.map(fmt)].join('\n');
}

function formatDetails(name: string, r: ScenarioResult, row: ResultRow): string {
  const cores = r.seconds > 0 ? r.cpuSeconds / r.seconds : 0;
  const b = r.baseline;
  const bCores = b.seconds > 0 ? b.cpuSeconds / b.seconds : 0;
  const parts = [
    `cpu ${r.cpuSeconds.toFixed(2)} s (${cores.toFixed(2)} cores)`,
    `baseline ${b.name}: ${fmtInt(b.records)} in ${b.seconds.toFixed(2)} s, cpu ${b.cpuSeconds.toFixed(2)} s ` +
      `(${bCores.toFixed(2)} cores, ${fmtInt(perSecondPerCore(b))}/s/core)`,
  ];
  const extras = Object.keys(r.extra ?? {}).map((k) => `${k}=${fmtExtra(row[k] ?? '')}`);
  if (extras.length > 0) parts.push(extras.join(' '));
  return `  ${name}: ${parts.join('; ')}`;
}

// ---------------------------------------------------------------------------------------------
// Running

export const RESULTS_PATH = fileURLToPath(new URL('./results.json', import.meta.url));

export interface RunOutcome {
  rows: ResultRow[];
  failed: string[];
}

/** Run the scenarios one after another, print progress, the table and details, write results.json. */
export async function runScenarios(
  scenarios: readonly Scenario[],
  opts: ScenarioOptions,
  resultsPath: string = RESULTS_PATH,
): Promise<RunOutcome> {
  const rows: ResultRow[] = [];
  const details: string[] = [];
  const failed: string[] = [];
  for (const s of scenarios) {
    process.stdout.write(`running ${s.name}${opts.quick ? ' (quick)' : ''}: ${s.description} ... `);
    const t0 = process.hrtime.bigint();
    try {
      const r = await s.run(opts);
      const row = toRow(s.name, r);
      rows.push(row);
      details.push(formatDetails(s.name, r, row));
      process.stdout.write(`done in ${elapsedSeconds(t0).toFixed(1)} s\n`);
    } catch (err) {
      failed.push(s.name);
      process.stdout.write('FAILED\n');
      console.error(err instanceof Error ? (err.stack ?? err.message) : err);
    }
    const stray = liveChildPids();
    if (stray.length > 0) {
      console.error(`warning: ${s.name} left child processes running: ${stray.join(', ')}`);
    }
  }
  console.log('');
  if (rows.length > 0) {
    console.log(formatTable(rows));
    console.log('');
    for (const d of details) console.log(d);
  }
  writeFileSync(resultsPath, `${JSON.stringify(rows, null, 2)}\n`);
  console.log(`\nwrote ${rows.length} result(s) to ${resultsPath}`);
  if (failed.length > 0) console.error(`failed: ${failed.join(', ')}`);
  return { rows, failed };
}

/**
 * CLI: `[NAME...] [--quick] [--list]`. Resolves to the process exit code:
 * 0 ok, 1 a scenario failed, 2 usage error (e.g. unknown scenario name).
 */
export async function main(argv: readonly string[], scenarios: readonly Scenario[]): Promise<number> {
  const names = new Set<string>();
  for (const s of scenarios) {
    if (names.has(s.name)) throw new Error(`duplicate scenario name '${s.name}'`);
    names.add(s.name);
  }
  const program = new Command()
    .name('npm run bench --')
    .description('Runnel benchmarks; writes bench/results.json')
    .argument('[names...]', 'run only these scenarios (default: all)')
    .option('--quick', 'smaller counts (whole run under two minutes)', false)
    .option('--list', 'list the scenarios and exit', false)
    .exitOverride();
  try {
    program.parse([...argv], { from: 'user' });
  } catch (err) {
    if (err instanceof CommanderError) {
      return err.exitCode === 0 ? 0 : 2;
    }
    throw err;
  }
  const opts = program.opts<{ quick: boolean; list: boolean }>();
  const requested = program.processedArgs[0] as string[];

  if (opts.list) {
    const width = Math.max(...scenarios.map((s) => s.name.length));
    for (const s of scenarios) {
      console.log(`${s.name.padEnd(width)}  ${s.description}${s.quick === false ? ' (skipped by --quick unless named)' : ''}`);
    }
    return 0;
  }

  const unknown = requested.filter((n) => !names.has(n));
  if (unknown.length > 0) {
    console.error(`unknown scenario(s): ${unknown.join(', ')}`);
    console.error(`known scenarios: ${[...names].join(', ')}`);
    return 2;
  }

  const selected =
    requested.length > 0
      ? scenarios.filter((s) => requested.includes(s.name))
      : scenarios.filter((s) => !opts.quick || s.quick !== false);
  const { failed } = await runScenarios(selected, { quick: opts.quick });
  return failed.length > 0 ? 1 : 0;
}
