/**
 * The one place where Runnel turns values into CBOR bytes and back. Everything that crosses a
 * process boundary — actor frames now, record batches later — goes through these functions, so
 * the encoder settings (no shared record structures: every frame decodes on its own) live here.
 */
import { Encoder } from 'cbor-x';

const cbor = new Encoder({
  // Record structures would make a frame depend on frames sent before it; a restarted peer
  // would then misread everything. Plain maps keep each frame self-describing.
  useRecords: false,
  mapsAsObjects: true,
  // Undefined is not plain data across languages; keep it distinct from null anyway.
  encodeUndefinedAsNil: false,
});

/**
 * Encodes one value. The bytes stay as they are, but the buffer is a view into memory the
 * encoder shares with other encoded values: copy it before transferring it to another thread.
 */
export function encode(value: unknown): Buffer {
  return cbor.encode(value);
}

/** Decodes exactly one CBOR item; throws on truncated, trailing or otherwise malformed bytes. */
export function decode(bytes: Uint8Array): unknown {
  return cbor.decode(bytes);
}
