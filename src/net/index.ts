export { cborHead, encode, decode } from './codec.js';
export { WIRE_VERSION, EnvelopeKind, frameToWire, parseFrame } from './envelope.js';
export type { Envelope, Frame, ParsedFrame, WireRejection } from './envelope.js';
export { DEFAULT_LIMITS } from './transport.js';
export type { Transport, TransportLimits, TransportStats, TransportRejection, FrameSink } from './transport.js';
export { ZmqTransport, type ZmqTransportOptions } from './zmq-transport.js';
export { MemoryNetwork, MemoryTransport } from './memory-transport.js';
