/**
 * The Actor base class. An actor handles one message at a time; its handlers are plain
 * functions, one per message type of its protocol. A handler's return value is the reply to an
 * ask; a returned promise is the reply too, but the actor moves on to its next message at once,
 * so work that must see the actor's state again later comes back as a message (`pipeToSelf`).
 *
 * Failure: a handler that throws fails the actor, and its supervisor restarts it with fresh
 * state (the caller of an ask still gets the error). Throw a RequestError instead to answer a
 * caller's bad request without failing the actor.
 */
import type { Logger } from '../../log/index.js';
import type { Clock } from './clock.js';
import type { AskType, Handlers, Message, Protocol, ProtocolSpec, Reply } from './protocol.js';
import type { ActorRef, FencingToken } from './ref.js';
import type { ActorSystem } from './system.js';

/** How many failures an actor's supervisor tolerates before giving up on it and escalating. */
export interface SupervisorStrategy {
  readonly maxRestarts: number;
  readonly withinMs: number;
}

export const DEFAULT_SUPERVISOR_STRATEGY: SupervisorStrategy = { maxRestarts: 10, withinMs: 60_000 };

export interface SpawnOptions {
  readonly supervision?: SupervisorStrategy;
}

/** Why a watched actor is gone. */
export type TerminationReason = 'stopped' | 'failed' | 'unknown' | 'peer-lost';

export type PipeResult<V> = { readonly ok: true; readonly value: V } | { readonly ok: false; readonly error: Error };

/** What an actor can do besides handling its message; available as `this.ctx` from preStart on. */
export interface ActorContext<S extends ProtocolSpec> {
  readonly self: ActorRef<S>;
  readonly system: ActorSystem;
  readonly log: Logger;
  readonly clock: Clock;
  /** The token this actor currently accepts fenced messages under (null: none accepted). */
  readonly fencingToken: FencingToken | null;

  tell<T extends ProtocolSpec>(ref: ActorRef<T>, message: Message<T>): void;
  /**
   * Queues `message` for this actor under its current fencing token, as timers and piped
   * results are: for callbacks from outside the actor (leader election, I/O) that must be
   * handled in turn. Dropped if the token changed before it is handled.
   */
  tellSelf(message: Message<S>): void;
  /** Asks another actor; the timeout is mandatory. Await it only outside the actor's state. */
  ask<T extends ProtocolSpec, K extends AskType<T>>(ref: ActorRef<T>, message: Message<T, K>, timeoutMs: number): Promise<Reply<T, K>>;
  /** Delivers the outcome of `promise` to this actor as a message, mapped by `toMessage`. */
  pipeToSelf<V>(promise: Promise<V>, toMessage: (result: PipeResult<V>) => Message<S>): void;
  /** Sends `message` to self after `delayMs`, replacing a pending timer of the same key. */
  schedule(key: string, delayMs: number, message: Message<S>): void;
  cancelSchedule(key: string): void;
  /** Starts a child actor named `<self>/<name>`, supervised by this actor. */
  spawn<C extends ProtocolSpec>(name: string, factory: () => Actor<C>, options?: SpawnOptions): ActorRef<C>;
  /** Stops this actor (no argument) or one of its children. */
  stop(child?: ActorRef): void;
  /** Calls `onTerminated` when `ref` stops, fails for good, or its process is lost. */
  watch(ref: ActorRef): void;
  unwatch(ref: ActorRef): void;
  /** Accept fenced messages under `token` from now on; null accepts none. */
  setFencingToken(token: FencingToken | null): void;
}

export abstract class Actor<S extends ProtocolSpec> {
  abstract readonly protocol: Protocol<S>;
  /** One handler per message type of the protocol. */
  abstract readonly receive: Handlers<S>;
  /**
   * A fenced actor accepts a message only when it carries the token last given to
   * `ctx.setFencingToken` (messages the protocol marks `unfenced` excepted).
   */
  readonly fenced: boolean = false;

  private context: ActorContext<S> | undefined;

  get ctx(): ActorContext<S> {
    if (this.context === undefined) throw new Error('an actor context is available from preStart on, not in the constructor');
    return this.context;
  }

  /** @internal Called by the actor system before preStart. */
  attach(context: ActorContext<S>): void {
    this.context = context;
  }

  /** Runs before the first message; messages wait until a returned promise resolves. */
  preStart(): void | Promise<void> {}

  /** Runs after the last message, also before a restart replaces this instance. */
  postStop(): void | Promise<void> {}

  /** A watched actor is gone. */
  onTerminated(_ref: ActorRef, _reason: TerminationReason): void {}

  /**
   * A child failed more often than its supervision allows and was stopped. Return true when
   * this actor deals with that itself; by default the failure escalates and this actor fails.
   */
  onChildGaveUp(_child: ActorRef, _error: Error): boolean {
    return false;
  }
}
