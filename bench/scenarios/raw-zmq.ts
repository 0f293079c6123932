/**
 * Baselines: the raw ZeroMQ + CBOR pipe between two processes, with no actor system on top.
 *
 * - `measureRawPipe`: one CBOR message per frame, Push (parent) -> Pull (child), awaiting each
 *   send; baseline for one-way `tell` throughput.
 * - `measureRawRoundTrip`: Dealer (parent) -> Router (child) -> reply, one CBOR message each way,
 *   strictly sequential; baseline for `ask` latency.
 *
 * Both start their own child process, warm up, then measure; CPU covers both processes.
 */
import { Dealer, Push } from 'zeromq';
import { decode, encode } from 'cbor-x';
import { withChild, type ChildHandle } from '../child.js';
import { cpuSeconds, elapsedSeconds, medianBy, percentile, spreadPct, type Scenario } from '../harness.js';
import type { PullDone, RawReady } from './raw-zmq.child.js';

const CHILD_SCRIPT = new URL('./raw-zmq.child.ts', import.meta.url);
const PAYLOAD = 'x'.repeat(16);

export interface RawPipeOptions {
  messages: number;
  quick?: boolean;
  /** Warm-up messages sent (and fully received) before measuring; default min(messages/4, 20,000). */
  warmup?: number;
  /** Measured rounds of `messages` each; the median round (by throughput) is reported. Default 5. */
  rounds?: number;
}

export interface RawPipeResult {
  /** Messages measured (= options.messages). */
  records: number;
  /** From the first send to the child's last receipt. */
  seconds: number;
  /** CPU of both processes during the measurement. */
  cpuSeconds: number;
  parentCpuSeconds: number;
  childCpuSeconds: number;
  perSecond: number;
  /** Throughput of every round, in order (the result is the median one). */
  roundsPerSecond: number[];
}

async function pipeRun(child: ChildHandle<RawReady>, push: Push, n: number): Promise<RawPipeResult> {
  await child.request('expect', { n });
  const done = child.nextEvent<PullDone>('done');
  const cpu0 = process.cpuUsage();
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    await push.send(encode({ type: 'ping', seq: i, payload: PAYLOAD }));
  }
  const d = await done;
  const parentCpu = cpuSeconds(process.cpuUsage(cpu0));
  if (d.received !== n || d.malformed !== 0) {
    throw new Error(`raw pipe: child received ${d.received} (${d.malformed} malformed), expected ${n}`);
  }
  const seconds = elapsedSeconds(t0, BigInt(d.endNs));
  const childCpu = cpuSeconds(d.cpu);
  return {
    records: n,
    seconds,
    cpuSeconds: parentCpu + childCpu,
    parentCpuSeconds: parentCpu,
    childCpuSeconds: childCpu,
    perSecond: n / seconds,
    roundsPerSecond: [],
  };
}

/** Raw one-message-per-frame ZeroMQ + CBOR pipe between two processes. */
export async function measureRawPipe(opts: RawPipeOptions): Promise<RawPipeResult> {
  const warmup = opts.warmup ?? Math.min(Math.ceil(opts.messages / 4), 20_000);
  return withChild<RawReady, RawPipeResult>(CHILD_SCRIPT, ['pull'], async (child) => {
    const push = new Push({ linger: 0 });
    try {
      push.connect(child.ready.endpoint);
      if (warmup > 0) await pipeRun(child, push, warmup);
      const rounds: RawPipeResult[] = [];
      for (let i = 0; i < (opts.rounds ?? 5); i++) rounds.push(await pipeRun(child, push, opts.messages));
      const median = medianBy(rounds, (r) => r.perSecond);
      return { ...median, roundsPerSecond: rounds.map((r) => r.perSecond) };
    } finally {
      push.close();
    }
  });
}

export interface RawRoundTripOptions {
  count: number;
  /** Warm-up round trips before measuring; default min(count/4, 2,000). */
  warmup?: number;
  /** Measured rounds of `count` each; the median round (by throughput) is reported. Default 5. */
  rounds?: number;
}

export interface RawRoundTripResult {
  /** Round trips measured. */
  records: number;
  seconds: number;
  /** CPU of both processes during the measurement. */
  cpuSeconds: number;
  perSecond: number;
  p50Ms: number;
  p99Ms: number;
  meanMs: number;
  /** Throughput of every round, in order (the result is the median one). */
  roundsPerSecond: number[];
}

function isPong(v: unknown): v is { type: 'pong'; seq: number } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'pong';
}

/** Raw sequential request/reply round trip: Dealer -> Router -> reply, one CBOR message each way. */
export async function measureRawRoundTrip(opts: RawRoundTripOptions): Promise<RawRoundTripResult> {
  const warmup = opts.warmup ?? Math.min(Math.ceil(opts.count / 4), 2_000);
  return withChild<RawReady, RawRoundTripResult>(CHILD_SCRIPT, ['router'], async (child) => {
    const dealer = new Dealer({ linger: 0 });
    try {
      dealer.connect(child.ready.endpoint);
      const roundTrip = async (seq: number): Promise<void> => {
        await dealer.send(encode({ type: 'ping', seq, payload: PAYLOAD }));
        const [frame] = await dealer.receive();
        const reply: unknown = frame === undefined ? undefined : decode(frame);
        if (!isPong(reply) || reply.seq !== seq) throw new Error(`raw round trip: bad reply to ${seq}`);
      };
      for (let i = 0; i < warmup; i++) await roundTrip(i);

      let seq = warmup;
      const measureRound = async (): Promise<RawRoundTripResult> => {
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
      };
      const rounds: RawRoundTripResult[] = [];
      for (let i = 0; i < (opts.rounds ?? 5); i++) rounds.push(await measureRound());
      const median = medianBy(rounds, (r) => r.perSecond);
      return { ...median, roundsPerSecond: rounds.map((r) => r.perSecond) };
    } finally {
      dealer.close();
    }
  });
}

// ---------------------------------------------------------------------------------------------
// Scenarios: the baselines measured against themselves (ratio 1.0), to run and check the harness.

export const RAW_PIPE_MESSAGES = { full: 200_000, quick: 50_000 } as const;
export const RAW_ROUND_TRIPS = { full: 10_000, quick: 3_000 } as const;

export const rawPipe: Scenario = {
  name: 'raw-pipe',
  description: 'raw ZeroMQ Push->Pull + CBOR, one message per frame, between two processes',
  async run({ quick }) {
    const messages = quick ? RAW_PIPE_MESSAGES.quick : RAW_PIPE_MESSAGES.full;
    const r = await measureRawPipe({ messages, quick });
    return {
      records: r.records,
      seconds: r.seconds,
      cpuSeconds: r.cpuSeconds,
      baseline: { name: 'raw-pipe', records: r.records, seconds: r.seconds, cpuSeconds: r.cpuSeconds },
      extra: {
        parentCpuSeconds: r.parentCpuSeconds,
        childCpuSeconds: r.childCpuSeconds,
        roundsSpreadPct: spreadPct(r.roundsPerSecond),
      },
    };
  },
};

export const rawRoundTrip: Scenario = {
  name: 'raw-roundtrip',
  description: 'raw ZeroMQ Dealer->Router->reply + CBOR, sequential request/reply between two processes',
  async run({ quick }) {
    const count = quick ? RAW_ROUND_TRIPS.quick : RAW_ROUND_TRIPS.full;
    const r = await measureRawRoundTrip({ count });
    return {
      records: r.records,
      seconds: r.seconds,
      cpuSeconds: r.cpuSeconds,
      baseline: { name: 'raw-roundtrip', records: r.records, seconds: r.seconds, cpuSeconds: r.cpuSeconds },
      extra: { p50Ms: r.p50Ms, p99Ms: r.p99Ms, meanMs: r.meanMs, roundsSpreadPct: spreadPct(r.roundsPerSecond) },
    };
  },
};
