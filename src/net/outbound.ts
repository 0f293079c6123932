/**
 * One peer's outbound queue. Envelopes wait here while a write to the peer is in progress and
 * leave together as one frame when it completes, so a busy socket coalesces many messages per
 * frame while an idle one still sends each message at once (after the current tick).
 */
import { encode } from './codec.js';
import { frameToWire, type Envelope } from './envelope.js';
import type { FrameSink, TransportLimits, TransportStats } from './transport.js';

export type FrameWriter = (frame: Buffer) => Promise<void>;

export class OutboundQueue {
  private queue: Envelope[] = [];
  private head = 0;
  private pumping = false;
  private closed = false;
  private idleWaiters: Array<() => void> = [];

  constructor(
    private readonly peer: string,
    private readonly sender: { readonly endpoint: string; readonly incarnation: string },
    private readonly write: FrameWriter,
    private readonly limits: TransportLimits,
    private readonly stats: TransportStats,
    private readonly sink: FrameSink,
  ) {}

  get length(): number {
    return this.queue.length - this.head;
  }

  push(envelope: Envelope): void {
    if (this.closed) {
      this.sink.onRejected('peer-closed', `connection to ${this.peer} is closed`, envelope, this.peer);
      return;
    }
    if (this.length >= this.limits.maxQueuedEnvelopes) {
      this.sink.onRejected('queue-overflow', `${this.length} envelopes already queued for ${this.peer}`, envelope, this.peer);
      return;
    }
    this.queue.push(envelope);
    if (!this.pumping) {
      this.pumping = true;
      // Wait for the end of the current tick so that everything sent in it shares a frame.
      queueMicrotask(() => void this.pump());
    }
  }

  /** Resolves when nothing is queued or being written. */
  whenIdle(): Promise<void> {
    if (!this.pumping && this.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops sending; what is still queued is reported as dropped. */
  close(): void {
    this.closed = true;
    const dropped = this.take(this.length);
    for (const envelope of dropped) {
      this.sink.onRejected('peer-closed', `connection to ${this.peer} was closed`, envelope, this.peer);
    }
    this.notifyIdle();
  }

  private take(count: number): Envelope[] {
    let batch: Envelope[];
    if (this.head === 0 && count >= this.queue.length) {
      batch = this.queue;
      this.queue = [];
    } else {
      batch = this.queue.slice(this.head, this.head + count);
      this.head += batch.length;
      if (this.head === this.queue.length) {
        this.queue = [];
        this.head = 0;
      } else if (this.head > 65_536 && this.head * 2 > this.queue.length) {
        this.queue = this.queue.slice(this.head);
        this.head = 0;
      }
    }
    return batch;
  }

  private unshift(envelopes: readonly Envelope[]): void {
    this.queue = [...envelopes, ...this.queue.slice(this.head)];
    this.head = 0;
  }

  private async pump(): Promise<void> {
    try {
      while (!this.closed && this.length > 0) {
        let batch = this.take(this.limits.maxEnvelopesPerFrame);
        let bytes = encode(frameToWire(this.sender.endpoint, this.sender.incarnation, batch));
        // Too big for one frame: send the first half now and the rest on the next round.
        while (bytes.length > this.limits.maxFrameBytes && batch.length > 1) {
          const half = batch.length >> 1;
          this.unshift(batch.slice(half));
          batch = batch.slice(0, half);
          bytes = encode(frameToWire(this.sender.endpoint, this.sender.incarnation, batch));
        }
        if (bytes.length > this.limits.maxFrameBytes) {
          this.sink.onRejected(
            'too-large',
            `a ${bytes.length}-byte message exceeds the frame limit of ${this.limits.maxFrameBytes} bytes (rpc.framesize)`,
            batch[0],
            this.peer,
          );
          continue;
        }
        await this.write(bytes);
        this.stats.framesOut++;
        this.stats.envelopesOut += batch.length;
        this.stats.bytesOut += bytes.length;
      }
    } catch (err) {
      if (!this.closed) {
        this.sink.onRejected('peer-closed', `write to ${this.peer} failed: ${(err as Error).message}`, undefined, this.peer);
      }
    } finally {
      this.pumping = false;
      if (!this.closed && this.length > 0) {
        this.pumping = true;
        queueMicrotask(() => void this.pump());
      } else {
        this.notifyIdle();
      }
    }
  }

  private notifyIdle(): void {
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}

