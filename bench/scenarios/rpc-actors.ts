/**
 * The protocol and actor of the rpc benchmarks: a counter that the parent floods with tells
 * (`rpc-tell`) and asks one message at a time (`rpc-ask`). The messages mirror the raw
 * baselines' `{type, seq, payload}` so that the ratio compares the actor layer, not the payload.
 */
import { Type } from '@sinclair/typebox';
import { Actor, defineProtocol, type Handlers } from '../../src/actors/system/index.js';

export const BenchProtocol = defineProtocol('bench', {
  /**
   * Starts a counting round: resets the counter and arms the target `n`. Replies once the
   * counter is reset, so tells sent after the reply count towards this round.
   */
  expect: { request: Type.Object({ n: Type.Integer({ minimum: 0 }) }), reply: Type.Null() },
  /** Counts one message (tell). `seq` runs 0, 1, 2, ... within a round; gaps are counted. */
  add: { request: Type.Object({ seq: Type.Integer(), payload: Type.String() }) },
  /** Replies with the number of `add` messages counted in this round, and how many arrived out of order. */
  count: {
    request: Type.Object({}),
    reply: Type.Object({ counted: Type.Integer(), outOfOrder: Type.Integer() }),
  },
  /** Replies with the `seq` it was sent (the raw round trip's pong). */
  echo: { request: Type.Object({ seq: Type.Integer(), payload: Type.String() }), reply: Type.Object({ seq: Type.Integer() }) },
});
export type Bench = typeof BenchProtocol.spec;

/** Called by the counter: when a round starts, and when it has counted the round's target. */
export interface CounterHooks {
  onExpect(n: number): void;
  onTarget(counted: number, outOfOrder: number): void;
}

export class CounterActor extends Actor<Bench> {
  readonly protocol = BenchProtocol;
  private counted = 0;
  private target = -1;
  private nextSeq = 0;
  private outOfOrder = 0;

  constructor(private readonly hooks: CounterHooks) {
    super();
  }

  readonly receive: Handlers<Bench> = {
    expect: ({ n }) => {
      this.counted = 0;
      this.nextSeq = 0;
      this.outOfOrder = 0;
      this.target = n;
      this.hooks.onExpect(n);
      return null;
    },
    add: ({ seq }) => {
      if (seq !== this.nextSeq) this.outOfOrder++;
      this.nextSeq = seq + 1;
      if (++this.counted === this.target) this.hooks.onTarget(this.counted, this.outOfOrder);
    },
    count: () => ({ counted: this.counted, outOfOrder: this.outOfOrder }),
    echo: ({ seq }) => ({ seq }),
  };
}

// ---------------------------------------------------------------------------------------------
// What the parent needs from rpc.child.ts, kept here: importing a value from the child script
// would run it (and serveChild throws outside a forked child).

export const COUNTER_NAME = 'counter';

export interface RpcReady {
  /** The child's actor system endpoint, e.g. `tcp://127.0.0.1:40123`. */
  endpoint: string;
}

/** Payload of the `done` event. */
export interface CounterDone {
  /** `process.hrtime.bigint()` when the target was reached, as a decimal string. */
  endNs: string;
  /** This process's CPU usage since the round's `expect` message. */
  cpu: NodeJS.CpuUsage;
  counted: number;
  outOfOrder: number;
}
