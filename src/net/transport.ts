/**
 * What the actor system needs from a network: send envelopes to an endpoint, receive frames
 * on its own endpoint. Two implementations: ZeroMQ for real processes and an in-memory network
 * for unit tests. Both encode and decode every frame, so tests exercise the real wire format.
 */
import type { Envelope, Frame } from './envelope.js';

/** Reasons a transport refuses inbound bytes or outbound envelopes. */
export type TransportRejection =
  | 'malformed' // not CBOR, truncated, or not a frame
  | 'version' // a frame of another wire version
  | 'oversized' // an inbound frame over the size limit
  | 'too-large' // one outbound envelope over the size limit on its own
  | 'queue-overflow' // the peer's outbound queue was full
  | 'peer-closed'; // queued for a peer that was disconnected or a transport that closed

/** Receives what the transport decoded, and what it had to drop. */
export interface FrameSink {
  onFrame(frame: Frame): void;
  onRejected(reason: TransportRejection, detail: string, envelope?: Envelope, endpoint?: string): void;
  /**
   * True while the receiver has more queued work than it handles in one turn. The transport
   * then yields to the event loop before reading the next frame, so that unread frames wait in
   * the socket (whose buffers and high-water marks push back on the sender) instead of piling
   * up in mailboxes.
   */
  isBehind?(): boolean;
}

export interface TransportStats {
  framesIn: number;
  framesOut: number;
  envelopesIn: number;
  envelopesOut: number;
  bytesIn: number;
  bytesOut: number;
}

export interface Transport {
  /** The endpoint peers reach this transport at; valid once `start` resolved. */
  readonly endpoint: string;
  /** A random id of this process's transport, so peers notice a restart at the same address. */
  readonly incarnation: string;
  start(sink: FrameSink): Promise<void>;
  /** Queues an envelope for `endpoint`; never blocks, never throws for a dead peer. */
  send(endpoint: string, envelope: Envelope): void;
  /** Drops the connection to a peer and what is queued for it (the peer was declared lost). */
  disconnect(endpoint: string): void;
  /** Sends what is queued (for at most `lingerMs`), then releases the sockets. */
  close(lingerMs?: number): Promise<void>;
  stats(): TransportStats;
}

export interface TransportLimits {
  /** The largest frame sent or accepted, in bytes (`rpc.framesize`). */
  readonly maxFrameBytes: number;
  /** How many envelopes may wait for one peer before new ones are dropped. */
  readonly maxQueuedEnvelopes: number;
  /** The most envelopes coalesced into one frame. */
  readonly maxEnvelopesPerFrame: number;
}

export const DEFAULT_LIMITS: TransportLimits = {
  maxFrameBytes: 10 * 1024 * 1024,
  maxQueuedEnvelopes: 1_000_000,
  maxEnvelopesPerFrame: 1024,
};

export function newStats(): TransportStats {
  return { framesIn: 0, framesOut: 0, envelopesIn: 0, envelopesOut: 0, bytesIn: 0, bytesOut: 0 };
}
