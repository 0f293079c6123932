/**
 * The actor layer between two processes: an ActorSystem on a ZmqTransport in the parent talks
 * to the bench counter in a child (rpc.child.ts), both on 127.0.0.1.
 *
 * - `rpc-tell`: the parent tells `add` as fast as it can, in chunks, yielding to the event loop
 *   after each chunk so that frames flow, and waiting while more than `maxInFlight` envelopes
 *   are still queued in its transport (far below the transport's queue bound: nothing may be
 *   dropped). Timed from the first tell to the child counting the last one. Each round is
 *   verified: the child counted exactly N, in order, and neither system dropped anything.
 *   Baseline: `measureRawPipe` (one CBOR message per frame, each send awaited).
 * - `rpc-ask`: sequential `echo` asks after a warm-up; p50/p99 per round trip. Baseline:
 *   `measureRawRoundTrip` with the same count.
 *
 * Both report the median of several rounds; CPU covers both processes.
 */
import { ActorSystem, type ActorRef } from '../../src/actors/system/index.js';
import { DEFAULT_LIMITS, ZmqTransport, type TransportStats } from '../../src/net/index.js';
import { withChild, type ChildHandle } from '../child.js';
import { elapsedSeconds, type Scenario } from '../harness.js';
import { measureRoundTrips, medianRound, timeOneWay, versus, type OneWayResult, type RoundTripOptions, type RoundTripResult } from './measure.js';
import { BenchProtocol, COUNTER_NAME, type Bench, type CounterDone, type RpcReady } from './rpc-actors.js';
import { measureRawPipe, measureRawRoundTrip, RAW_PIPE_MESSAGES } from './raw-zmq.js';

const CHILD_SCRIPT = new URL('./rpc.child.ts', import.meta.url);
/** The same 16-character payload as the raw baselines. */
const PAYLOAD = 'x'.repeat(16);
const CONTROL_TIMEOUT_MS = 30_000;
const DONE_TIMEOUT_MS = 120_000;

export const RPC_TELL_MESSAGES = { full: 2_000_000, quick: 300_000 } as const;
export const RPC_ASKS = { full: 20_000, quick: 5_000 } as const;

type Counter = ActorRef<Bench>;

/** Runs `fn` with a parent actor system and a child hosting the counter; tears both down. */
async function withRpcPair<T>(fn: (system: ActorSystem, counter: Counter, child: ChildHandle<RpcReady>) => Promise<T>): Promise<T> {
  return withChild<RpcReady, T>(CHILD_SCRIPT, [], async (child) => {
    const system = await ActorSystem.start({ transport: new ZmqTransport({ host: '127.0.0.1', port: 0 }) });
    try {
      return await fn(system, system.ref(BenchProtocol, child.ready.endpoint, COUNTER_NAME), child);
    } finally {
      await system.terminate();
    }
  });
}

/** Fails when either system dropped anything or saw a late reply. */
async function checkNothingDropped(system: ActorSystem, childEndpoint: string, what: string): Promise<void> {
  const mine = system.stats();
  const theirs = await system.ask(system.systemActor(childEndpoint), { type: 'stats' }, CONTROL_TIMEOUT_MS);
  const problems: string[] = [];
  if (Object.keys(mine.dropped).length > 0) problems.push(`parent dropped ${JSON.stringify(mine.dropped)}`);
  if (Object.keys(theirs.dropped).length > 0) problems.push(`child dropped ${JSON.stringify(theirs.dropped)}`);
  if (mine.lateReplies > 0 || theirs.lateReplies > 0) problems.push(`late replies: parent ${mine.lateReplies}, child ${theirs.lateReplies}`);
  if (problems.length > 0) throw new Error(`${what}: ${problems.join('; ')}`);
}

// ---------------------------------------------------------------------------------------------
// rpc-tell

export interface RpcTellOptions {
  messages: number;
  /** Warm-up messages (fully counted) before measuring; default min(messages/4, 200,000). */
  warmup?: number;
  /** Measured rounds; the median round (by throughput) is reported. Default 5. */
  rounds?: number;
  /** Tells between two yields to the event loop. Default 10,000. */
  chunk?: number;
  /** Most envelopes told but not yet written to the socket before the sender waits. Default 100,000. */
  maxInFlight?: number;
}

/** `seconds` runs from the first tell to the child counting the last one. */
export interface RpcTellResult extends OneWayResult {
  /** Frames the parent wrote in the round, and envelopes per frame. */
  framesOut: number;
  envelopesPerFrame: number;
  /** Times the sender found more than `maxInFlight` envelopes queued and waited. */
  inFlightWaits: number;
  /** From the first tell to the last tell; the rest of `seconds` is the child catching up. */
  sendSeconds: number;
}

const yieldToLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function tellRound(
  system: ActorSystem,
  counter: Counter,
  child: ChildHandle<RpcReady>,
  n: number,
  chunk: number,
  maxInFlight: number,
): Promise<RpcTellResult> {
  await system.ask(counter, { type: 'expect', n }, CONTROL_TIMEOUT_MS);
  const done = child.nextEvent<CounterDone>('done', DONE_TIMEOUT_MS);
  const out0: TransportStats = system.stats().transport;
  const written = (): number => system.stats().transport.envelopesOut - out0.envelopesOut;
  let inFlightWaits = 0;
  let sendSeconds = 0;
  const [measured, d] = await timeOneWay(n, done, async (t0) => {
    let seq = 0;
    while (seq < n) {
      const end = Math.min(n, seq + chunk);
      for (; seq < end; seq++) system.tell(counter, { type: 'add', seq, payload: PAYLOAD });
      await yieldToLoop();
      while (seq - written() > maxInFlight) {
        inFlightWaits++;
        await yieldToLoop();
      }
    }
    sendSeconds = elapsedSeconds(t0);
  });
  const out1 = system.stats().transport;

  const count = await system.ask(counter, { type: 'count' }, CONTROL_TIMEOUT_MS);
  if (d.counted !== n || count.counted !== n || count.outOfOrder !== 0) {
    throw new Error(`rpc-tell: the child counted ${count.counted} (${count.outOfOrder} out of order), expected exactly ${n}`);
  }
  await checkNothingDropped(system, child.ready.endpoint, 'rpc-tell');

  // The expect ask left before out0, the count ask after out1: the delta is the tells alone.
  const framesOut = out1.framesOut - out0.framesOut;
  const envelopesOut = out1.envelopesOut - out0.envelopesOut;
  return {
    ...measured,
    framesOut,
    envelopesPerFrame: framesOut > 0 ? envelopesOut / framesOut : 0,
    inFlightWaits,
    sendSeconds,
  };
}

/** Actor tells from the parent to the counter in a child, as fast as the transport takes them. */
export async function measureRpcTell(opts: RpcTellOptions): Promise<RpcTellResult> {
  const chunk = opts.chunk ?? 10_000;
  // Told-but-unwritten envelopes stay below maxInFlight + one chunk: keep that under the bound.
  const maxInFlight = Math.min(opts.maxInFlight ?? 100_000, DEFAULT_LIMITS.maxQueuedEnvelopes - 2 * chunk);
  const warmup = opts.warmup ?? Math.min(Math.ceil(opts.messages / 4), 200_000);
  return withRpcPair(async (system, counter, child) => {
    if (warmup > 0) await tellRound(system, counter, child, warmup, chunk, maxInFlight);
    return medianRound(opts.rounds, () => tellRound(system, counter, child, opts.messages, chunk, maxInFlight));
  });
}

export const rpcTell: Scenario = {
  name: 'rpc-tell',
  description: 'actor tell between two processes (ActorSystem on ZmqTransport), counted by the child',
  async run({ quick }) {
    const messages = quick ? RPC_TELL_MESSAGES.quick : RPC_TELL_MESSAGES.full;
    // The baseline's rate does not depend on the count; its own counts keep the run short.
    const base = await measureRawPipe({ messages: quick ? RAW_PIPE_MESSAGES.quick : RAW_PIPE_MESSAGES.full, quick });
    const r = await measureRpcTell({ messages });
    return versus(r, 'raw-pipe', base, {
      envelopesPerFrame: r.envelopesPerFrame,
      framesOut: r.framesOut,
      parentCpuSeconds: r.parentCpuSeconds,
      childCpuSeconds: r.childCpuSeconds,
      inFlightWaits: r.inFlightWaits,
      sendSeconds: r.sendSeconds,
    });
  },
};

// ---------------------------------------------------------------------------------------------
// rpc-ask

export type RpcAskOptions = RoundTripOptions;
export type RpcAskResult = RoundTripResult;

/** Sequential asks from the parent to the counter's `echo` in a child. */
export async function measureRpcAsk(opts: RpcAskOptions): Promise<RpcAskResult> {
  return withRpcPair(async (system, counter, child) => {
    const result = await measureRoundTrips(child, opts, async (seq) => {
      const reply = await system.ask(counter, { type: 'echo', seq, payload: PAYLOAD }, CONTROL_TIMEOUT_MS);
      if (reply.seq !== seq) throw new Error(`rpc-ask: reply ${reply.seq} to ask ${seq}`);
    });
    await checkNothingDropped(system, child.ready.endpoint, 'rpc-ask');
    return result;
  });
}

export const rpcAsk: Scenario = {
  name: 'rpc-ask',
  description: 'sequential actor asks between two processes (ActorSystem on ZmqTransport)',
  async run({ quick }) {
    const count = quick ? RPC_ASKS.quick : RPC_ASKS.full;
    const base = await measureRawRoundTrip({ count });
    const r = await measureRpcAsk({ count });
    return versus(r, 'raw-roundtrip', base, {
      p50Ms: r.p50Ms,
      p99Ms: r.p99Ms,
      meanMs: r.meanMs,
      baselineP50Ms: base.p50Ms,
      baselineP99Ms: base.p99Ms,
    });
  },
};
