/**
 * A task's writer for one outgoing edge: records are appended to one buffer per target channel
 * and leave as a batch when the buffer is full, when the buffer timeout flushes it, or before
 * an event that must follow them. The partitioner picks the target per record; everything
 * else here happens per batch.
 */
import { BROADCAST, type ChannelSelector } from '../../operators/partitioners.js';
import type { OutputChannel } from './channel.js';
import type { ChannelEvent } from './message.js';

export const BATCH_SIZE = 512;

export class RecordWriter {
  private readonly values: unknown[][];
  /** Per channel, the batch's timestamps; null until a record of the batch has one. */
  private readonly timestamps: ((number | null)[] | null)[];
  /** Records written, for metrics (numRecordsOut). */
  written = 0;

  constructor(
    readonly channels: readonly OutputChannel[],
    private readonly selector: ChannelSelector,
  ) {
    this.values = channels.map(() => []);
    this.timestamps = channels.map(() => null);
  }

  emit(value: unknown, timestamp: number | undefined): void {
    this.written++;
    const target = this.channels.length === 1 ? 0 : this.selector.select(value);
    if (target === BROADCAST) {
      for (let i = 0; i < this.channels.length; i++) this.append(i, value, timestamp);
    } else {
      this.append(target, value, timestamp);
    }
  }

  private append(i: number, value: unknown, timestamp: number | undefined): void {
    const values = this.values[i]!;
    values.push(value);
    let timestamps = this.timestamps[i]!;
    if (timestamp !== undefined && timestamps === null) {
      // The first stamped record of the batch: the ones before it had none.
      timestamps = this.timestamps[i] = new Array<number | null>(values.length - 1).fill(null);
    }
    if (timestamps !== null) timestamps.push(timestamp ?? null);
    if (values.length >= BATCH_SIZE) this.flushChannel(i);
  }

  flushChannel(i: number): void {
    const values = this.values[i]!;
    if (values.length === 0) return;
    const timestamps = this.timestamps[i]!;
    this.values[i] = [];
    this.timestamps[i] = null;
    this.channels[i]!.send({ kind: 'records', values, timestamps });
  }

  flushAll(): void {
    for (let i = 0; i < this.channels.length; i++) this.flushChannel(i);
  }

  /** Sends an event to every channel, after the records written before it. */
  broadcastEvent(event: ChannelEvent): void {
    this.flushAll();
    for (const channel of this.channels) channel.send(event);
  }

  /** True when no channel holds a backlog waiting for credit. */
  get writable(): boolean {
    for (const channel of this.channels) if (channel.backlog > 0) return false;
    return true;
  }

  /** Calls back once every channel's backlog has drained. */
  whenWritable(callback: () => void): void {
    let pending = 0;
    let fired = false;
    const done = (): void => {
      if (--pending === 0 && !fired) {
        fired = true;
        callback();
      }
    };
    for (const channel of this.channels) {
      if (channel.backlog > 0) {
        pending++;
        channel.onWritable(done);
      }
    }
    if (pending === 0) callback();
  }
}
