export { Actor, DEFAULT_SUPERVISOR_STRATEGY } from './actor.js';
export type { ActorContext, SupervisorStrategy, SpawnOptions, TerminationReason, PipeResult } from './actor.js';
export { ActorSystem, type ActorSystemOptions, type DropReason } from './system.js';
export { ActorRef, newFencingToken, parseActorPath, type FencingToken } from './ref.js';
export { defineProtocol, Protocol } from './protocol.js';
export type { AskType, Handlers, Message, MessageSpec, MessageType, ProtocolSpec, Reply } from './protocol.js';
export { systemClock, ManualClock, type Clock, type Cancellable } from './clock.js';
export { HeartbeatMonitor, DEFAULT_HEARTBEAT, type HeartbeatSettings } from './heartbeat.js';
export { SYSTEM_ACTOR, SystemProtocol } from './system-protocol.js';
export {
  ActorStoppedError,
  ActorSystemError,
  AskTimeoutError,
  EscalationError,
  FencingTokenMismatchError,
  InvalidMessageError,
  RemoteActorError,
  RequestError,
  UndeliverableError,
  UnknownActorError,
  UnknownMessageTypeError,
  registerWireError,
  toWireError,
  fromWireError,
  type WireError,
} from './errors.js';
