/**
 * Frames and envelopes: the shape of every actor message on the wire.
 *
 * A frame is what one ZeroMQ message carries: a header naming the protocol version and the
 * sending actor system, then any number of envelopes coalesced while the socket was busy.
 * An envelope carries one message: its kind, its target, a correlation id for asks and
 * replies, the body, and the fencing token it was sent under. The body is opaque here; the
 * actor system validates it against the target's protocol before dispatch.
 *
 *   frame    = [version, senderEndpoint, senderIncarnation, [envelope, ...]]
 *   envelope = [kind, target, correlationId, body, fencingToken | null]
 */

/** Bumped on any incompatible change of the frame or envelope layout. */
export const WIRE_VERSION = 1;

export const EnvelopeKind = {
  /** Fire-and-forget message to an actor. */
  Tell: 0,
  /** Message to an actor that expects a reply with the same correlation id. */
  Ask: 1,
  /** Successful reply to an ask; the target field is empty. */
  Reply: 2,
  /** Failed reply to an ask; the body is a wire error. */
  ErrorReply: 3,
} as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];

export interface Envelope {
  readonly kind: EnvelopeKind;
  /** Actor name within the receiving system; '' for replies. */
  readonly target: string;
  /** Correlates an ask with its reply; 0 for tells. */
  readonly id: number;
  readonly body: unknown;
  readonly fencingToken: string | null;
}

export interface Frame {
  readonly senderEndpoint: string;
  readonly senderIncarnation: string;
  readonly envelopes: readonly Envelope[];
}

/** Why a frame or an envelope was refused; each reason has its own counter. */
export type WireRejection = 'malformed' | 'version';

export type ParsedFrame =
  | { readonly ok: true; readonly frame: Frame; readonly malformedEnvelopes: number }
  | { readonly ok: false; readonly reason: WireRejection; readonly detail: string };

export function frameToWire(senderEndpoint: string, senderIncarnation: string, envelopes: readonly Envelope[]): unknown[] {
  const wire = new Array<unknown>(envelopes.length);
  for (let i = 0; i < envelopes.length; i++) {
    const e = envelopes[i]!;
    wire[i] = [e.kind, e.target, e.id, e.body, e.fencingToken];
  }
  return [WIRE_VERSION, senderEndpoint, senderIncarnation, wire];
}

function isKind(value: unknown): value is EnvelopeKind {
  return value === 0 || value === 1 || value === 2 || value === 3;
}

/**
 * Checks the structure of a decoded frame. Envelopes that are malformed on their own are
 * skipped and counted; the rest of the frame is still delivered.
 */
export function parseFrame(decoded: unknown): ParsedFrame {
  if (!Array.isArray(decoded) || decoded.length !== 4) {
    return { ok: false, reason: 'malformed', detail: 'frame is not a 4-element array' };
  }
  const [version, senderEndpoint, senderIncarnation, list] = decoded as unknown[];
  if (version !== WIRE_VERSION) {
    return { ok: false, reason: 'version', detail: `wire version ${String(version)}, expected ${WIRE_VERSION}` };
  }
  if (typeof senderEndpoint !== 'string' || typeof senderIncarnation !== 'string' || !Array.isArray(list)) {
    return { ok: false, reason: 'malformed', detail: 'frame header has the wrong field types' };
  }
  const envelopes: Envelope[] = [];
  let malformedEnvelopes = 0;
  for (const item of list as unknown[]) {
    if (!Array.isArray(item) || item.length !== 5) {
      malformedEnvelopes++;
      continue;
    }
    const [kind, target, id, body, fencingToken] = item as unknown[];
    if (
      !isKind(kind) ||
      typeof target !== 'string' ||
      typeof id !== 'number' ||
      !Number.isSafeInteger(id) ||
      (fencingToken !== null && typeof fencingToken !== 'string')
    ) {
      malformedEnvelopes++;
      continue;
    }
    envelopes.push({ kind, target, id, body, fencingToken });
  }
  return { ok: true, frame: { senderEndpoint, senderIncarnation, envelopes }, malformedEnvelopes };
}
