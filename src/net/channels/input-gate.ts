/**
 * A task's input side: every channel it reads, grouped by the operator input they feed (1 or
 * 2 for two-input operators). The gate hands out one message at a time, taking turns between
 * channels, and turns per-channel watermarks and ends into per-input ones: an input's
 * watermark is the minimum over its channels that have not ended, and it ends when all have.
 */
import type { InputChannel } from './channel.js';
import type { ChannelMessage } from './message.js';

export type GateEvent =
  | { readonly kind: 'records'; readonly input: number; readonly message: Extract<ChannelMessage, { kind: 'records' }>; readonly channel: InputChannel }
  | { readonly kind: 'watermark'; readonly input: number; readonly watermark: number }
  | { readonly kind: 'status'; readonly input: number; readonly idle: boolean }
  | { readonly kind: 'end-of-input'; readonly input: number }
  | { readonly kind: 'nothing' };

interface ChannelState {
  readonly channel: InputChannel;
  readonly input: number;
  watermark: number;
  ended: boolean;
  idle: boolean;
}

const NOTHING: GateEvent = { kind: 'nothing' };

export class InputGate {
  private readonly states: ChannelState[];
  private readonly inputWatermarks: number[];
  private readonly openChannels: number[];
  private readonly inputIdle: boolean[];
  private next = 0;

  constructor(
    channels: ReadonlyArray<{ readonly channel: InputChannel; readonly input: number }>,
    inputCount: number,
    onData: () => void,
  ) {
    this.states = channels.map(({ channel, input }) => ({ channel, input, watermark: Number.NEGATIVE_INFINITY, ended: false, idle: false }));
    this.inputIdle = Array.from({ length: inputCount }, () => false);
    this.inputWatermarks = Array.from({ length: inputCount }, () => Number.NEGATIVE_INFINITY);
    this.openChannels = Array.from({ length: inputCount }, (_, i) => this.states.filter((s) => s.input === i).length);
    for (const s of this.states) s.channel.setListener(onData);
  }

  get hasData(): boolean {
    for (const s of this.states) if (s.channel.queued > 0) return true;
    return false;
  }

  get finished(): boolean {
    for (const open of this.openChannels) if (open > 0) return false;
    return true;
  }

  /** Inputs with no channel at all have ended from the start. */
  initiallyEnded(): number[] {
    return this.openChannels.flatMap((open, input) => (open === 0 ? [input] : []));
  }

  private pendingStatus: GateEvent = NOTHING;

  poll(): GateEvent {
    if (this.pendingStatus.kind !== 'nothing') {
      const status = this.pendingStatus;
      this.pendingStatus = NOTHING;
      return status;
    }
    const n = this.states.length;
    for (let k = 0; k < n; k++) {
      const i = (this.next + k) % n;
      const state = this.states[i]!;
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
          if (advanced.kind !== 'nothing') this.pendingStatus = this.statusChange(state.input);
          else {
            const change = this.statusChange(state.input);
            if (change.kind !== 'nothing') return change;
          }
          return advanced;
        }
        case 'end': {
          state.ended = true;
          const open = --this.openChannels[state.input]!;
          if (open === 0) return { kind: 'end-of-input', input: state.input };
          return this.inputWatermark(state.input);
        }
      }
    }
    return NOTHING;
  }

  /** An input is idle when every channel still open on it is idle. */
  private statusChange(input: number): GateEvent {
    let open = 0;
    let idle = 0;
    for (const s of this.states) {
      if (s.input !== input || s.ended) continue;
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
      if (s.input !== input || s.ended || s.idle) continue;
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
