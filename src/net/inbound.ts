import { decode } from './codec.js';
import { parseFrame } from './envelope.js';
import type { FrameSink, TransportLimits, TransportStats } from './transport.js';

/**
 * Size check, decode and structural check of one inbound frame. Nothing a peer sends can make
 * this throw: every failure becomes a rejection the sink counts and logs.
 */
export function receiveFrame(bytes: Uint8Array, limits: TransportLimits, stats: TransportStats, sink: FrameSink): void {
  stats.framesIn++;
  stats.bytesIn += bytes.length;
  if (bytes.length > limits.maxFrameBytes) {
    sink.onRejected('oversized', `a ${bytes.length}-byte frame exceeds the limit of ${limits.maxFrameBytes} bytes (rpc.framesize)`);
    return;
  }
  let decoded: unknown;
  try {
    decoded = decode(bytes);
  } catch (err) {
    sink.onRejected('malformed', `undecodable frame of ${bytes.length} bytes: ${(err as Error).message}`);
    return;
  }
  const parsed = parseFrame(decoded);
  if (!parsed.ok) {
    sink.onRejected(parsed.reason, parsed.detail);
    return;
  }
  for (let i = 0; i < parsed.malformedEnvelopes; i++) {
    sink.onRejected('malformed', `malformed envelope in a frame from ${parsed.frame.senderEndpoint}`);
  }
  stats.envelopesIn += parsed.frame.envelopes.length;
  sink.onFrame(parsed.frame);
}
