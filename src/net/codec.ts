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

/**
 * A CBOR head: major type `major` (2 byte string, 4 array, 5 map, ...) with argument `n`, a
 * length or count below 2^32 — for writing an item from pieces encoded separately.
 */
export function cborHead(major: number, n: number): Uint8Array {
  const m = major << 5;
  if (n < 24) return Uint8Array.of(m | n);
  if (n < 0x100) return Uint8Array.of(m | 24, n);
  if (n < 0x10000) return Uint8Array.of(m | 25, n >> 8, n & 0xff);
  return Uint8Array.of(m | 26, (n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}

/** Decodes exactly one CBOR item; throws on truncated, trailing or otherwise malformed bytes. */
export function decode(bytes: Uint8Array): unknown {
  return cbor.decode(bytes);
}
