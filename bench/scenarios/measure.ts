/**
 * Measuring plumbing shared by the two-process scenarios (raw-zmq.ts, rpc.ts): repeated rounds
 * and their median, one-way rounds timed until the child reports the last message, sequential
 * round trips with their latencies, and the scenario result against its baseline.
 */
import { cpuSeconds, elapsedSeconds, medianBy, percentile, spreadPct, type ExtraMetrics, type Measurement, type ScenarioResult } from '../harness.js';

/** Rounds measured when the options do not say. */
const DEFAULT_ROUNDS = 5;

/** A measured round's throughput. */
export interface RoundResult {
  perSecond: number;
  /** Throughput of every round, in order (the result is the median one). */
  roundsPerSecond: number[];
}

/**
 * Runs `measure` `rounds` times (default 5), one after another, and returns the median round by
 * throughput, with every round's throughput in `roundsPerSecond`.
 */
export async function medianRound<R extends RoundResult>(rounds: number | undefined, measure: () => Promise<R>): Promise<R> {
  const results: R[] = [];
  for (let i = 0; i < (rounds ?? DEFAULT_ROUNDS); i++) results.push(await measure());
  const median = medianBy(results, (r) => r.perSecond);
  return { ...median, roundsPerSecond: results.map((r) => r.perSecond) };
}

/** What a child reports when it has received the last message of a one-way round. */
export interface OneWayDone {
  /** `process.hrtime.bigint()` at the last receipt, as a decimal string (comparable across processes). */
  endNs: string;
  /** The child's CPU usage during the round. */
  cpu: NodeJS.CpuUsage;
}

export interface OneWayResult extends RoundResult, Measurement {
  /** Messages measured. */
  records: number;
  /** From the first send to the child's last receipt. */
  seconds: number;
  /** CPU of both processes during the measurement. */
  cpuSeconds: number;
  parentCpuSeconds: number;
  childCpuSeconds: number;
}

/**
 * Times a one-way round of `n` messages: from now, through `send(t0)` sending them all, to the
 * child's report `done`. Returns the measurement and the report, for the caller to verify.
 */
export async function timeOneWay<D extends OneWayDone>(n: number, done: Promise<D>, send: (t0: bigint) => Promise<void>): Promise<[OneWayResult, D]> {
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  await send(t0);
  const d = await done;
  const parentCpu = cpuSeconds(process.cpuUsage(cpu0));
  const seconds = elapsedSeconds(t0, BigInt(d.endNs));
  const childCpu = cpuSeconds(d.cpu);
  const result: OneWayResult = {
    records: n,
    seconds,
    cpuSeconds: parentCpu + childCpu,
    parentCpuSeconds: parentCpu,
    childCpuSeconds: childCpu,
    perSecond: n / seconds,
    roundsPerSecond: [],
  };
  return [result, d];
}

export interface RoundTripOptions {
  count: number;
  /** Warm-up round trips before measuring; default min(count/4, 2,000). */
  warmup?: number;
  /** Measured rounds of `count` each; the median round (by throughput) is reported. Default 5. */
  rounds?: number;
}

export interface RoundTripResult extends RoundResult, Measurement {
  /** Round trips measured. */
  records: number;
  seconds: number;
  /** CPU of both processes during the measurement. */
  cpuSeconds: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
}

/**
 * Sequential round trips: `roundTrip(seq)` makes one, with `seq` counting on from 0 across the
 * warm-up and the rounds. After the warm-up, measures each round's latencies and the CPU of
 * this process and `child`, and returns the median round.
 */
export async function measureRoundTrips(
  child: { cpuUsage(): Promise<NodeJS.CpuUsage> },
  opts: RoundTripOptions,
  roundTrip: (seq: number) => Promise<void>,
): Promise<RoundTripResult> {
  const warmup = opts.warmup ?? Math.min(Math.ceil(opts.count / 4), 2_000);
  let seq = 0;
  for (; seq < warmup; seq++) await roundTrip(seq);

  return medianRound(opts.rounds, async () => {
    const latenciesMs = new Array<number>(opts.count);
    const childCpu0 = await child.cpuUsage();
    const cpu0 = process.cpuUsage();
    const t0 = process.hrtime.bigint();
    let prev = t0;
    for (let i = 0; i < opts.count; i++) {
      await roundTrip(seq++);
      const now = process.hrtime.bigint();
      latenciesMs[i] = Number(now - prev) / 1e6;
      prev = now;
    }
    const seconds = elapsedSeconds(t0, prev);
    const parentCpu = cpuSeconds(process.cpuUsage(cpu0));
    const childCpu = cpuSeconds(await child.cpuUsage()) - cpuSeconds(childCpu0);
    return {
      records: opts.count,
      seconds,
      cpuSeconds: parentCpu + childCpu,
      perSecond: opts.count / seconds,
      p50Ms: percentile(latenciesMs, 50),
      p99Ms: percentile(latenciesMs, 99),
      meanMs: (seconds * 1000) / opts.count,
      roundsPerSecond: [],
    };
  });
}

/**
 * A scenario's result: `measured` against the baseline `baselineName` measured as `baseline`
 * (the same object when the scenario is its own baseline). The extra metrics are `extra`, then
 * how much the rounds disagreed: `roundsSpreadPct`, and `baselineSpreadPct` for a separate baseline.
 */
export function versus(
  measured: Measurement & RoundResult,
  baselineName: string,
  baseline: Measurement & RoundResult,
  extra: ExtraMetrics,
): ScenarioResult {
  const spreads: ExtraMetrics = { roundsSpreadPct: spreadPct(measured.roundsPerSecond) };
  if (baseline !== measured) spreads.baselineSpreadPct = spreadPct(baseline.roundsPerSecond);
  return {
    records: measured.records,
    seconds: measured.seconds,
    cpuSeconds: measured.cpuSeconds,
    baseline: { name: baselineName, records: baseline.records, seconds: baseline.seconds, cpuSeconds: baseline.cpuSeconds },
    extra: { ...extra, ...spreads },
  };
}
