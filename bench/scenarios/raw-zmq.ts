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
import type { Scenario } from '../harness.js';
import { measureRoundTrips, medianRound, timeOneWay, versus, type OneWayResult, type RoundTripOptions, type RoundTripResult } from './measure.js';
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

export type RawPipeResult = OneWayResult;

async function pipeRun(child: ChildHandle<RawReady>, push: Push, n: number): Promise<RawPipeResult> {
  await child.request('expect', { n });
  const [result, d] = await timeOneWay(n, child.nextEvent<PullDone>('done'), async () => {
    for (let i = 0; i < n; i++) {
      await push.send(encode({ type: 'ping', seq: i, payload: PAYLOAD }));
    }
  });
  if (d.received !== n || d.malformed !== 0) {
    throw new Error(`raw pipe: child received ${d.received} (${d.malformed} malformed), expected ${n}`);
  }
  return result;
}

/** Raw one-message-per-frame ZeroMQ + CBOR pipe between two processes. */
export async function measureRawPipe(opts: RawPipeOptions): Promise<RawPipeResult> {
  const warmup = opts.warmup ?? Math.min(Math.ceil(opts.messages / 4), 20_000);
  return withChild<RawReady, RawPipeResult>(CHILD_SCRIPT, ['pull'], async (child) => {
    const push = new Push({ linger: 0 });
    try {
      push.connect(child.ready.endpoint);
      if (warmup > 0) await pipeRun(child, push, warmup);
      return await medianRound(opts.rounds, () => pipeRun(child, push, opts.messages));
    } finally {
      push.close();
    }
  });
}

export type RawRoundTripOptions = RoundTripOptions;
export type RawRoundTripResult = RoundTripResult;

function isPong(v: unknown): v is { type: 'pong'; seq: number } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'pong';
}

/** Raw sequential request/reply round trip: Dealer -> Router -> reply, one CBOR message each way. */
export async function measureRawRoundTrip(opts: RawRoundTripOptions): Promise<RawRoundTripResult> {
  return withChild<RawReady, RawRoundTripResult>(CHILD_SCRIPT, ['router'], async (child) => {
    const dealer = new Dealer({ linger: 0 });
    try {
      dealer.connect(child.ready.endpoint);
      return await measureRoundTrips(child, opts, async (seq) => {
        await dealer.send(encode({ type: 'ping', seq, payload: PAYLOAD }));
        const [frame] = await dealer.receive();
        const reply: unknown = frame === undefined ? undefined : decode(frame);
        if (!isPong(reply) || reply.seq !== seq) throw new Error(`raw round trip: bad reply to ${seq}`);
      });
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
    return versus(r, 'raw-pipe', r, { parentCpuSeconds: r.parentCpuSeconds, childCpuSeconds: r.childCpuSeconds });
  },
};

export const rawRoundTrip: Scenario = {
  name: 'raw-roundtrip',
  description: 'raw ZeroMQ Dealer->Router->reply + CBOR, sequential request/reply between two processes',
  async run({ quick }) {
    const count = quick ? RAW_ROUND_TRIPS.quick : RAW_ROUND_TRIPS.full;
    const r = await measureRawRoundTrip({ count });
    return versus(r, 'raw-roundtrip', r, { p50Ms: r.p50Ms, p99Ms: r.p99Ms, meanMs: r.meanMs });
  },
};
