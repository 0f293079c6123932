/**
 * A task's input side: every channel it reads, grouped by the operator input they feed (1 or
 * 2 for two-input operators). The gate hands out one message at a time, taking turns between
 * channels, and turns per-channel watermarks and ends into per-input ones: an input's
 * watermark is the minimum over its channels whose data has not ended, and it ends when all
 * channels' data has (`endOfData`, or `end` without it). A channel whose data ended still
 * delivers barriers until its `end`; the gate is `closed` once every channel ended.
 *
 * It also aligns checkpoint barriers. Exactly once: a channel that delivered barrier n is
 * blocked (its later messages stay queued, in order) until barrier n has come on every channel
 * that has not ended; then the gate hands out one `barrier` event — the task snapshots and
 * forwards it — and unblocks. At least once: nothing is blocked, the event comes with the last
 * barrier. A channel that ended counts as having delivered every later barrier. A newer barrier
 * while an older alignment is pending aborts the older one (`barrier-aborted`). Barriers are
 * looked at per message, never per record.
 */
import type { InputChannel } from './channel.js';
import type { BarrierInfo, ChannelMessage } from './message.js';

export type CheckpointingMode = 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';

export type GateEvent =
  | { readonly kind: 'records'; readonly input: number; readonly message: Extract<ChannelMessage, { kind: 'records' }>; readonly channel: InputChannel }
  | { readonly kind: 'watermark'; readonly input: number; readonly watermark: number }
  | { readonly kind: 'status'; readonly input: number; readonly idle: boolean }
  | { readonly kind: 'end-of-input'; readonly input: number }
  /** Barrier `barrier.checkpointId` has come on every open channel: snapshot and forward it now. */
  | { readonly kind: 'barrier'; readonly barrier: BarrierInfo; readonly alignmentMs: number }
  /** The alignment of `checkpointId` was given up, as a newer barrier came first. */
  | { readonly kind: 'barrier-aborted'; readonly checkpointId: number; readonly reason: string }
  | { readonly kind: 'nothing' };

interface ChannelState {
  readonly channel: InputChannel;
  readonly input: number;
  watermark: number;
  /** No records or watermarks follow (`endOfData` or `end`). */
  dataEnded: boolean;
  /** Nothing follows (`end`). */
  ended: boolean;
  idle: boolean;
  /** Delivered the pending barrier (and, exactly once, is blocked until it is aligned). */
  barrier: boolean;
}

interface Alignment {
  readonly barrier: BarrierInfo;
  readonly startedAt: number;
  /** Open channels that have not delivered the barrier yet. */
  missing: number;
}

const NOTHING: GateEvent = { kind: 'nothing' };

export interface InputGateOptions {
  readonly mode?: CheckpointingMode;
  /** Milliseconds, for the alignment time; Date.now by default. */
  readonly now?: () => number;
}

export class InputGate {
  private readonly states: ChannelState[];
  private readonly inputWatermarks: number[];
  /** Per input, the channels whose data has not ended. */
  private readonly openChannels: number[];
  private endedChannels = 0;
  /** Some channel's data ended with `endOfData`: its sender waits for a final checkpoint. */
  private endOfDataSeen = false;
  private readonly inputIdle: boolean[];
  private next = 0;
  private readonly blocking: boolean;
  private readonly now: () => number;
  private alignment: Alignment | undefined;
  /** The newest checkpoint whose barrier was handed out or aborted: older barriers are stale. */
  private lastCheckpointId = 0;
  /** Events a single message produced beyond the one poll returned. */
  private readonly pending: GateEvent[] = [];

  constructor(
    channels: ReadonlyArray<{ readonly channel: InputChannel; readonly input: number }>,
    inputCount: number,
    onData: () => void,
    options: InputGateOptions = {},
  ) {
    this.blocking = (options.mode ?? 'EXACTLY_ONCE') === 'EXACTLY_ONCE';
    this.now = options.now ?? Date.now;
    this.states = channels.map(({ channel, input }) => ({ channel, input, watermark: Number.NEGATIVE_INFINITY, dataEnded: false, ended: false, idle: false, barrier: false }));
    this.inputIdle = Array.from({ length: inputCount }, () => false);
    this.inputWatermarks = Array.from({ length: inputCount }, () => Number.NEGATIVE_INFINITY);
    this.openChannels = Array.from({ length: inputCount }, (_, i) => this.states.filter((s) => s.input === i).length);
    for (const s of this.states) s.channel.setListener(onData);
  }

  /** Whether poll has something to hand out: a queued message on a channel that is not blocked. */
  get hasData(): boolean {
    if (this.pending.length > 0) return true;
    const blocking = this.blocking && this.alignment !== undefined;
    for (const s of this.states) if (s.channel.queued > 0 && !(blocking && s.barrier)) return true;
    return false;
  }

  /** The checkpoint being aligned, if any. */
  get aligning(): number | undefined {
    return this.alignment?.barrier.checkpointId;
  }

  /**
   * Gives up the alignment of `checkpointId` (the checkpoint was aborted elsewhere) and
   * unblocks its channels; true when it was pending.
   */
  abort(checkpointId: number): boolean {
    if (this.alignment?.barrier.checkpointId !== checkpointId) {
      if (checkpointId > this.lastCheckpointId) this.lastCheckpointId = checkpointId;
      return false;
    }
    this.endAlignment();
    return true;
  }

  /** Every input's data has ended: no records or watermarks will come any more. */
  get finished(): boolean {
    for (const open of this.openChannels) if (open > 0) return false;
    return true;
  }

  /**
   * Whether an input ended its data with `endOfData` rather than `end`: the tasks upstream wait
   * for a final checkpoint (or the savepoint of stop --drain), so this one must too.
   */
  get finalCheckpointAwaited(): boolean {
    return this.endOfDataSeen;
  }

  /** Every channel has ended: nothing at all will come any more. */
  get closed(): boolean {
    return this.endedChannels === this.states.length;
  }

  /** Inputs with no channel at all have ended from the start. */
  initiallyEnded(): number[] {
    return this.openChannels.flatMap((open, input) => (open === 0 ? [input] : []));
  }

  poll(): GateEvent {
    if (this.pending.length > 0) return this.pending.shift()!;
    const n = this.states.length;
    const blocking = this.blocking && this.alignment !== undefined;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      const state = this.states[i]!;
      if (blocking && state.barrier) continue;
      const message = state.channel.take();
      if (message === undefined) continue;
      this.next = (i + 1) % n;
      switch (message.kind) {
        case 'records':
          return { kind: 'records', input: state.input, message, channel: state.channel };
        case 'watermark':
          state.watermark = message.watermark;
          return this.inputWatermark(state.input);
        case 'status': {
          state.idle = message.idle;
          // An idle channel's watermark no longer counts; the others' may now advance.
          const advanced = this.inputWatermark(state.input);
          if (advanced.kind !== 'nothing') this.later(this.statusChange(state.input));
          else {
            const change = this.statusChange(state.input);
            if (change.kind !== 'nothing') return change;
          }
          return advanced;
        }
        case 'barrier':
          return this.onBarrier(state, message.barrier);
        case 'endOfData':
          this.endOfDataSeen = true;
          return this.endData(state);
        case 'end': {
          state.ended = true;
          this.endedChannels++;
          const ending = this.endData(state);
          // An ended channel has delivered every later barrier: it may complete an alignment,
          // which then comes first (the snapshot covers what came before the end).
          const alignment = this.alignment;
          if (alignment !== undefined && !state.barrier && --alignment.missing === 0) {
            this.later(ending);
            return this.completeAlignment();
          }
          return ending;
        }
      }
    }
    return NOTHING;
  }

  private endData(state: ChannelState): GateEvent {
    if (state.dataEnded) return NOTHING;
    state.dataEnded = true;
    const open = --this.openChannels[state.input]!;
    return open === 0 ? { kind: 'end-of-input', input: state.input } : this.inputWatermark(state.input);
  }

  private later(event: GateEvent): void {
    if (event.kind !== 'nothing') this.pending.push(event);
  }

  private onBarrier(state: ChannelState, barrier: BarrierInfo): GateEvent {
    const id = barrier.checkpointId;
    // Left over from an alignment that was aborted (or from a checkpoint already handed out).
    if (id <= this.lastCheckpointId) return NOTHING;
    let aborted: GateEvent = NOTHING;
    const current = this.alignment;
    if (current !== undefined && id > current.barrier.checkpointId) {
      aborted = {
        kind: 'barrier-aborted',
        checkpointId: current.barrier.checkpointId,
        reason: `the barrier of checkpoint ${id} arrived before checkpoint ${current.barrier.checkpointId} was aligned`,
      };
      this.endAlignment();
    }
    let alignment = this.alignment;
    if (alignment === undefined) {
      let open = 0;
      for (const s of this.states) if (!s.ended) open++;
      alignment = this.alignment = { barrier, startedAt: this.now(), missing: open };
    }
    if (!state.barrier) {
      state.barrier = true;
      alignment.missing--;
    }
    if (alignment.missing > 0) return aborted;
    if (aborted.kind === 'nothing') return this.completeAlignment();
    this.later(this.completeAlignment());
    return aborted;
  }

  private completeAlignment(): GateEvent {
    const alignment = this.alignment!;
    this.endAlignment();
    return { kind: 'barrier', barrier: alignment.barrier, alignmentMs: Math.max(0, this.now() - alignment.startedAt) };
  }

  private endAlignment(): void {
    const id = this.alignment?.barrier.checkpointId ?? 0;
    if (id > this.lastCheckpointId) this.lastCheckpointId = id;
    this.alignment = undefined;
    for (const s of this.states) s.barrier = false;
  }

  /** An input is idle when every channel still open on it is idle. */
  private statusChange(input: number): GateEvent {
    let open = 0;
    let idle = 0;
    for (const s of this.states) {
      if (s.input !== input || s.dataEnded) continue;
      open++;
      if (s.idle) idle++;
    }
    const nowIdle = open > 0 && idle === open;
    if (nowIdle === this.inputIdle[input]) return NOTHING;
    this.inputIdle[input] = nowIdle;
    return { kind: 'status', input, idle: nowIdle };
  }

  private inputWatermark(input: number): GateEvent {
    let min = Number.POSITIVE_INFINITY;
    let open = false;
    for (const s of this.states) {
      if (s.input !== input || s.dataEnded || s.idle) continue;
      open = true;
      if (s.watermark < min) min = s.watermark;
    }
    if (open && min > this.inputWatermarks[input]!) {
      this.inputWatermarks[input] = min;
      return { kind: 'watermark', input, watermark: min };
    }
    return NOTHING;
  }
}
