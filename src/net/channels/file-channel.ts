/**
 * Blocking exchanges of BATCH execution: a producer writes each channel's messages to a file
 * of its own and finishes; the consumer, scheduled only after every producer of its input has
 * finished, reads the files back. Data between stages lives on disk, not in memory, so a
 * stage's memory does not grow with the size of its input.
 *
 * File format: a sequence of frames, each a 4-byte big-endian length and a CBOR-encoded
 * channel message — the same encoding as every other channel.
 */
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { ReceiverQueue, type InputChannel, type OutputChannel } from './channel.js';
import { decodeMessage, encodeMessage, type ChannelMessage } from './message.js';

/** Messages a reader keeps decoded ahead of the task before pausing the file. */
const READ_AHEAD = 8;

export class FileOutputChannel implements OutputChannel {
  private readonly stream: WriteStream;
  private ended = false;
  private finished = false;
  private failure: Error | undefined;

  constructor(
    readonly id: string,
    path: string,
  ) {
    this.stream = createWriteStream(path, { highWaterMark: 1 << 20 });
    this.stream.on('finish', () => (this.finished = true));
    this.stream.on('error', (err) => (this.failure = err));
  }

  send(message: ChannelMessage): void {
    if (this.failure !== undefined) throw new Error(`cannot write the exchange file of ${this.id}: ${this.failure.message}`, { cause: this.failure });
    const body = encodeMessage(message);
    const header = Buffer.allocUnsafe(4);
    header.writeUInt32BE(body.length, 0);
    this.stream.write(header);
    this.stream.write(body);
    if (message.kind === 'end') {
      this.ended = true;
      this.stream.end();
    }
  }

  /** 1 while the file's write buffer is full, and after the end until the file is complete. */
  get backlog(): number {
    if (this.ended) return this.finished ? 0 : 1;
    return this.stream.writableNeedDrain ? 1 : 0;
  }

  onWritable(callback: () => void): void {
    if (this.backlog === 0) callback();
    else if (this.ended) this.stream.once('finish', callback);
    else this.stream.once('drain', callback);
  }
}

export class FileInputChannel implements InputChannel {
  private readonly queue = new ReceiverQueue(() => this.resumeIfRoom());
  private readonly stream: ReadStream;
  private pending: Buffer = Buffer.alloc(0);

  constructor(
    readonly id: string,
    path: string,
    onError: (error: Error) => void,
  ) {
    this.stream = createReadStream(path, { highWaterMark: 1 << 20 });
    this.stream.on('data', (chunk: Buffer | string) => this.onChunk(chunk as Buffer));
    this.stream.on('error', (err) => onError(new Error(`cannot read the exchange file of ${id}: ${err.message}`, { cause: err })));
  }

  private onChunk(chunk: Buffer): void {
    let buffer = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    let offset = 0;
    while (buffer.length - offset >= 4) {
      const length = buffer.readUInt32BE(offset);
      if (buffer.length - offset - 4 < length) break;
      this.queue.push(decodeMessage(buffer.subarray(offset + 4, offset + 4 + length)));
      offset += 4 + length;
    }
    buffer = buffer.subarray(offset);
    this.pending = Buffer.from(buffer);
    if (this.queue.queued >= READ_AHEAD) this.stream.pause();
  }

  private resumeIfRoom(): void {
    if (this.queue.queued < READ_AHEAD && this.stream.isPaused()) this.stream.resume();
  }

  take(): ChannelMessage | undefined {
    const message = this.queue.take();
    if (message !== undefined && message.kind !== 'records') this.resumeIfRoom();
    return message;
  }
  get queued(): number {
    return this.queue.queued;
  }
  release(): void {
    this.queue.release();
  }
  setListener(listener: () => void): void {
    this.queue.setListener(listener);
  }
}
