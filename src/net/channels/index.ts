export { encodeMessage, decodeMessage, type BarrierInfo, type ChannelMessage, type ChannelEvent, type RecordBatch } from './message.js';
export { LocalChannel, CreditedSender, ReceiverQueue, INITIAL_CREDITS, type ChannelLink, type InputChannel, type OutputChannel } from './channel.js';
export { PortLink } from './port-link.js';
export { RecordWriter, BATCH_SIZE } from './record-writer.js';
export { InputGate, type GateEvent } from './input-gate.js';
export { FileInputChannel, FileOutputChannel } from './file-channel.js';
export { ZmqDataPlane, ZmqLink, DataChannelError, DATA_WIRE_VERSION, type DataPlaneOptions, type DataPlaneStats } from './zmq-link.js';
