/**
 * Data channels with credit-based flow control. A receiver grants its sender a number of
 * credits (batches it has room for); each record batch spends one, and the receiver returns
 * it once the batch is processed. Events spend none but keep their place behind queued batches.
 * A sender never blocks: what it cannot send yet waits in its backlog, and the task stops
 * producing while any of its channels has a backlog — so a slow receiver throttles only the
 * senders that feed it.
 */
import type { ChannelMessage } from './message.js';

export const INITIAL_CREDITS = 4;

/** The sending end, as a task's record writer sees it. */
export interface OutputChannel {
  readonly id: string;
  send(message: ChannelMessage): void;
  /** Messages waiting for credit. */
  readonly backlog: number;
  /** Called (once per registration) when the backlog has drained. */
  onWritable(callback: () => void): void;
}

/** The receiving end, as a task's input gate sees it. */
export interface InputChannel {
  readonly id: string;
  take(): ChannelMessage | undefined;
  readonly queued: number;
  /** The batch taken last has been processed: its credit goes back to the sender. */
  release(): void;
  /** Called whenever a message arrives. */
  setListener(listener: () => void): void;
}

/**
 * Channels between two workers, multiplexed over one connection (a MessagePort, a socket):
 * output(id) and input(id) give the two ends of channel `id` as a task sees them.
 */
export interface ChannelLink {
  output(id: string): OutputChannel;
  input(id: string): InputChannel;
}

/**
 * The sender's half of credit accounting, shared by every channel implementation: it decides
 * what leaves now and what waits.
 */
export class CreditedSender {
  private credits = INITIAL_CREDITS;
  private readonly queue: ChannelMessage[] = [];
  private writable: Array<() => void> = [];

  constructor(private readonly deliver: (message: ChannelMessage) => void) {}

  /** The sending end of channel `id` as a task sees it. */
  asOutput(id: string): OutputChannel {
    const sender = this;
    return {
      id,
      send: (m) => this.send(m),
      get backlog() {
        return sender.backlog;
      },
      onWritable: (cb) => this.onWritable(cb),
    };
  }

  get backlog(): number {
    return this.queue.length;
  }

  send(message: ChannelMessage): void {
    if (this.queue.length > 0) {
      this.queue.push(message);
    } else if (message.kind !== 'records') {
      this.deliver(message);
    } else if (this.credits > 0) {
      this.credits--;
      this.deliver(message);
    } else {
      this.queue.push(message);
    }
  }

  addCredits(n: number): void {
    this.credits += n;
    while (this.queue.length > 0) {
      const next = this.queue[0]!;
      if (next.kind === 'records') {
        if (this.credits === 0) break;
        this.credits--;
      }
      this.queue.shift();
      this.deliver(next);
    }
    if (this.queue.length === 0 && this.writable.length > 0) {
      const callbacks = this.writable;
      this.writable = [];
      for (const cb of callbacks) cb();
    }
  }

  onWritable(callback: () => void): void {
    if (this.queue.length === 0) callback();
    else this.writable.push(callback);
  }
}

/** The receiver's queue, shared by every channel implementation. */
export class ReceiverQueue {
  private queue: ChannelMessage[] = [];
  private head = 0;
  private listener: () => void = () => {};
  private lastWasBatch = false;

  constructor(private readonly returnCredit: () => void) {}

  get queued(): number {
    return this.queue.length - this.head;
  }

  push(message: ChannelMessage): void {
    this.queue.push(message);
    this.listener();
  }

  take(): ChannelMessage | undefined {
    if (this.head >= this.queue.length) return undefined;
    const message = this.queue[this.head]!;
    this.queue[this.head++] = undefined as unknown as ChannelMessage;
    if (this.head === this.queue.length) {
      this.queue = [];
      this.head = 0;
    }
    this.lastWasBatch = message.kind === 'records';
    return message;
  }

  release(): void {
    if (this.lastWasBatch) {
      this.lastWasBatch = false;
      this.returnCredit();
    }
  }

  setListener(listener: () => void): void {
    this.listener = listener;
  }
}

/** A channel between two tasks of the same thread: batches move by reference, never encoded. */
export class LocalChannel implements OutputChannel, InputChannel {
  private readonly sender: CreditedSender;
  private readonly receiver: ReceiverQueue;

  constructor(readonly id: string) {
    this.receiver = new ReceiverQueue(() => this.sender.addCredits(1));
    this.sender = new CreditedSender((m) => this.receiver.push(m));
  }

  send(message: ChannelMessage): void {
    this.sender.send(message);
  }
  get backlog(): number {
    return this.sender.backlog;
  }
  onWritable(callback: () => void): void {
    this.sender.onWritable(callback);
  }
  take(): ChannelMessage | undefined {
    return this.receiver.take();
  }
  get queued(): number {
    return this.receiver.queued;
  }
  release(): void {
    this.receiver.release();
  }
  setListener(listener: () => void): void {
    this.receiver.setListener(listener);
  }
}
