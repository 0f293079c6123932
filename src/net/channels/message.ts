/**
 * What flows through a data channel, in order: batches of records and the in-band events
 * between them (watermarks, idleness, checkpoint barriers, end of data, end of partition).
 * Across threads and processes a message is CBOR-encoded once per batch.
 */
import { decode, encode } from '../codec.js';

export interface RecordBatch {
  readonly kind: 'records';
  readonly values: unknown[];
  /** Per-record timestamps; null when no record in the batch has one. */
  readonly timestamps: (number | null)[] | null;
}

/**
 * A checkpoint or savepoint as its barrier carries it; the same fields as the task contract's
 * CheckpointBarrierInfo (src/actors/task/deployment.ts), declared here so that the data plane
 * does not depend on the actors.
 */
export interface BarrierInfo {
  readonly checkpointId: number;
  readonly timestamp: number;
  readonly kind: 'CHECKPOINT' | 'SAVEPOINT';
  readonly targetDir: string;
  readonly traceContext: string;
  /** The job's final checkpoint, see CheckpointBarrierInfo; travels in-band with the barrier. */
  readonly final?: boolean;
}

export type ChannelEvent =
  | { readonly kind: 'watermark'; readonly watermark: number }
  /** The sender's stream went idle (its watermark must not hold the receiver back) or active. */
  | { readonly kind: 'status'; readonly idle: boolean }
  /**
   * Checkpoint barrier: everything before it on the channel belongs to the checkpoint, nothing
   * after. Nested rather than spread, as the barrier's own `kind` (checkpoint or savepoint)
   * would clash with the message's.
   */
  | { readonly kind: 'barrier'; readonly barrier: BarrierInfo }
  /**
   * No records or watermarks follow, but the channel stays open: barriers still come, up to the
   * final checkpoint that commits what the sender's operators still hold. `end` follows.
   */
  | { readonly kind: 'endOfData' }
  /** End of partition: nothing more follows on the channel. */
  | { readonly kind: 'end' };

export type ChannelMessage = RecordBatch | ChannelEvent;

const RECORDS = 0;
const WATERMARK = 1;
const END = 2;
const STATUS = 3;
const BARRIER = 4;
const END_OF_DATA = 5;

export function encodeMessage(message: ChannelMessage): Uint8Array {
  switch (message.kind) {
    case 'records':
      return encode([RECORDS, message.values, message.timestamps]);
    case 'watermark':
      // CBOR has no infinity in every decoder's eyes; keep the bounds explicit.
      return encode([WATERMARK, Number.isFinite(message.watermark) ? message.watermark : message.watermark > 0 ? 'max' : 'min']);
    case 'end':
      return encode([END]);
    case 'endOfData':
      return encode([END_OF_DATA]);
    case 'status':
      return encode([STATUS, message.idle]);
    case 'barrier': {
      const b = message.barrier;
      return encode([BARRIER, b.checkpointId, b.timestamp, b.kind, b.targetDir, b.traceContext, b.final === true]);
    }
  }
}

export function decodeMessage(bytes: Uint8Array): ChannelMessage {
  const wire = decode(bytes);
  if (!Array.isArray(wire)) throw new Error('a data-channel message must be an array');
  switch (wire[0]) {
    case RECORDS: {
      const values = wire[1];
      const timestamps = wire[2];
      if (!Array.isArray(values) || !(timestamps === null || Array.isArray(timestamps))) throw new Error('malformed record batch');
      return { kind: 'records', values, timestamps: timestamps as (number | null)[] | null };
    }
    case WATERMARK: {
      const w = wire[1];
      return { kind: 'watermark', watermark: w === 'max' ? Number.POSITIVE_INFINITY : w === 'min' ? Number.NEGATIVE_INFINITY : Number(w) };
    }
    case END:
      return { kind: 'end' };
    case END_OF_DATA:
      return { kind: 'endOfData' };
    case STATUS:
      return { kind: 'status', idle: wire[1] === true };
    case BARRIER: {
      const [, checkpointId, timestamp, kind, targetDir, traceContext, final] = wire as unknown[];
      if (
        typeof checkpointId !== 'number' ||
        typeof timestamp !== 'number' ||
        (kind !== 'CHECKPOINT' && kind !== 'SAVEPOINT') ||
        typeof targetDir !== 'string' ||
        typeof traceContext !== 'string' ||
        (final !== undefined && typeof final !== 'boolean')
      ) {
        throw new Error('malformed checkpoint barrier');
      }
      return { kind: 'barrier', barrier: { checkpointId, timestamp, kind, targetDir, traceContext, ...(final === true ? { final } : {}) } };
    }
    default:
      throw new Error(`unknown data-channel message kind ${String(wire[0])}`);
  }
}
