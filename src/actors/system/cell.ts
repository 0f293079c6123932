/**
 * An actor's cell: its mailbox, its lifecycle and its place in the supervision tree. The cell
 * is the only code that calls into an actor instance, and it does so for one entry at a time.
 */
import type { Logger } from '../../log/index.js';
import { Actor, DEFAULT_SUPERVISOR_STRATEGY, type ActorContext, type SupervisorStrategy, type TerminationReason } from './actor.js';
import type { Cancellable } from './clock.js';
import { ActorStoppedError, EscalationError, FencingTokenMismatchError, RequestError } from './errors.js';
import type { ProtocolSpec } from './protocol.js';
import type { ActorRef, FencingToken } from './ref.js';

/** Where the reply to an ask goes: the asking system's endpoint and the ask's id. */
export interface ReplyAddress {
  readonly endpoint: string;
  readonly id: number;
}

export type MailboxEntry =
  | {
      readonly kind: 'message';
      readonly message: { readonly type: string };
      readonly replyTo: ReplyAddress | null;
      readonly fencingToken: string | null;
    }
  | { readonly kind: 'signal'; readonly run: () => void };

/** What a cell needs from its actor system. */
export interface CellHost {
  readonly log: Logger;
  schedule(cell: ActorCell): void;
  reply(to: ReplyAddress, ok: boolean, value: unknown): void;
  countDrop(reason: 'stale-fencing-token'): void;
  unregister(cell: ActorCell): void;
  notifyWatchers(cell: ActorCell, reason: TerminationReason): void;
  escalateToRoot(cell: ActorCell, error: Error): void;
}

type CellState = 'starting' | 'running' | 'stopping' | 'stopped';

/** Cells are untyped inside; the system casts once at the typed spawn boundary. */
type AnyActor = Actor<ProtocolSpec>;

export class ActorCell {
  /** True while the cell sits in the scheduler's ready queue. */
  queued = false;
  readonly children = new Map<string, ActorCell>();
  readonly timers = new Map<string, Cancellable>();
  fencingToken: FencingToken | null = null;
  private state: CellState = 'starting';
  private mailbox: MailboxEntry[] = [];
  private head = 0;
  private actor: AnyActor;
  private readonly restarts: number[] = [];
  private stopped: Promise<void> | undefined;
  private incarnation = 0;

  constructor(
    readonly ref: ActorRef,
    readonly parent: ActorCell | undefined,
    private readonly factory: () => AnyActor,
    readonly supervision: SupervisorStrategy = DEFAULT_SUPERVISOR_STRATEGY,
    private readonly host: CellHost,
    private readonly makeContext: (cell: ActorCell) => ActorContext<ProtocolSpec>,
    private readonly now: () => number,
  ) {
    this.actor = factory();
  }

  get isAlive(): boolean {
    return this.state === 'starting' || this.state === 'running';
  }

  get protocol() {
    return this.actor.protocol;
  }

  /** The current actor instance (a restart replaces it). */
  get current(): AnyActor {
    return this.actor;
  }

  get hasWork(): boolean {
    return this.state === 'running' && this.head < this.mailbox.length;
  }

  /** Attaches the context and runs preStart; messages queue until it completes. */
  start(): void {
    const generation = ++this.incarnation;
    this.state = 'starting';
    this.actor.attach(this.makeContext(this));
    let started: void | Promise<void>;
    try {
      started = this.actor.preStart();
    } catch (err) {
      this.fail(toError(err));
      return;
    }
    const running = (): void => {
      if (this.state !== 'starting' || generation !== this.incarnation) return;
      this.state = 'running';
      if (this.hasWork) this.host.schedule(this);
    };
    if (isPromise(started)) {
      started.then(running, (err: unknown) => {
        if (generation === this.incarnation && this.state === 'starting') this.fail(toError(err));
      });
    } else {
      running();
    }
  }

  enqueue(entry: MailboxEntry): void {
    if (!this.isAlive) {
      this.rejectStopped(entry);
      return;
    }
    this.mailbox.push(entry);
    if (this.state === 'running') this.host.schedule(this);
  }

  /** Handles up to `max` entries; the scheduler calls again while `hasWork`. */
  processBatch(max: number): void {
    let n = 0;
    while (n < max && this.state === 'running' && this.head < this.mailbox.length) {
      const entry = this.mailbox[this.head]!;
      this.mailbox[this.head++] = undefined as unknown as MailboxEntry;
      n++;
      if (entry.kind === 'signal') {
        try {
          entry.run();
        } catch (err) {
          this.fail(toError(err));
        }
      } else {
        this.handle(entry);
      }
    }
    if (this.head === this.mailbox.length) {
      this.mailbox = [];
      this.head = 0;
    } else if (this.head > 4096 && this.head * 2 > this.mailbox.length) {
      // Only once the handled prefix is the larger part: copying the rest every 4096 messages
      // would be quadratic in the depth of a deep mailbox.
      this.mailbox = this.mailbox.slice(this.head);
      this.head = 0;
    }
  }

  private handle(entry: Extract<MailboxEntry, { kind: 'message' }>): void {
    const { message, replyTo } = entry;
    const actor = this.actor;
    if (actor.fenced && entry.fencingToken !== this.fencingToken && !actor.protocol.isUnfenced(message.type)) {
      this.host.countDrop('stale-fencing-token');
      const error = new FencingTokenMismatchError(this.ref.path, message.type, this.fencingToken, entry.fencingToken);
      if (replyTo !== null) this.host.reply(replyTo, false, error);
      else this.host.log.debug({ actor: this.ref.path, type: message.type }, error.message);
      return;
    }
    const handler = (actor.receive as Record<string, (m: unknown) => unknown>)[message.type];
    if (handler === undefined) {
      // Protocols are checked on arrival; this is a local sender bypassing the types.
      if (replyTo !== null) this.host.reply(replyTo, false, new Error(`${this.ref.path} has no handler for '${message.type}'`));
      return;
    }
    let result: unknown;
    try {
      result = handler.call(actor.receive, message);
    } catch (err) {
      const error = toError(err);
      if (replyTo !== null) this.host.reply(replyTo, false, error);
      if (!(error instanceof RequestError)) this.fail(error);
      return;
    }
    if (isPromise(result)) {
      result.then(
        (value) => {
          if (replyTo !== null) this.host.reply(replyTo, true, value);
        },
        (err: unknown) => {
          if (replyTo !== null) this.host.reply(replyTo, false, toError(err));
          else this.host.log.warn({ actor: this.ref.path, type: message.type, err }, 'asynchronous handler failed');
        },
      );
    } else if (replyTo !== null) {
      this.host.reply(replyTo, true, result);
    }
  }

  /** The actor failed: its supervisor (the parent, or the system at the root) decides. */
  fail(error: Error): void {
    if (!this.isAlive) return;
    this.host.log.error({ actor: this.ref.path, err: error }, 'actor failed');
    if (this.parent === undefined) {
      this.superviseRestart(error, (escalation) => this.host.escalateToRoot(this, escalation));
    } else {
      const parent = this.parent;
      this.superviseRestart(error, (escalation) => {
        if (!parent.current.onChildGaveUp(this.ref, escalation)) parent.fail(escalation);
      });
    }
  }

  private superviseRestart(error: Error, escalate: (e: Error) => void): void {
    const { maxRestarts, withinMs } = this.supervision;
    const now = this.now();
    while (this.restarts.length > 0 && now - this.restarts[0]! > withinMs) this.restarts.shift();
    if (this.restarts.length >= maxRestarts) {
      const escalation = new EscalationError(this.ref.path, this.restarts.length, withinMs, error);
      void this.stop('failed');
      escalate(escalation);
      return;
    }
    this.restarts.push(now);
    this.restart();
  }

  private restart(): void {
    this.host.log.info({ actor: this.ref.path, restarts: this.restarts.length }, 'restarting actor with fresh state');
    this.state = 'stopping';
    this.cancelTimers();
    const old = this.actor;
    const children = [...this.children.values()].reverse();
    this.children.clear();
    void Promise.all(children.map((c) => c.stop('stopped')))
      .then(() => old.postStop())
      .catch((err: unknown) => this.host.log.warn({ actor: this.ref.path, err }, 'postStop failed during restart'))
      .then(() => {
        if (this.state !== 'stopping' || this.stopped !== undefined) return;
        this.fencingToken = null;
        try {
          this.actor = this.factory();
        } catch (err) {
          this.state = 'running';
          this.fail(toError(err));
          return;
        }
        this.start();
      });
  }

  /** Stops children (last started first), runs postStop, answers what is still queued. */
  stop(reason: TerminationReason = 'stopped'): Promise<void> {
    if (this.stopped !== undefined) return this.stopped;
    this.state = 'stopping';
    this.cancelTimers();
    const children = [...this.children.values()].reverse();
    this.stopped = (async () => {
      for (const child of children) await child.stop('stopped');
      this.children.clear();
      try {
        await this.actor.postStop();
      } catch (err) {
        this.host.log.warn({ actor: this.ref.path, err }, 'postStop failed');
      }
      this.state = 'stopped';
      const pending = this.mailbox.slice(this.head);
      this.mailbox = [];
      this.head = 0;
      for (const entry of pending) this.rejectStopped(entry);
      this.parent?.children.delete(this.ref.name);
      this.host.unregister(this);
      this.host.notifyWatchers(this, reason);
    })();
    return this.stopped;
  }

  private cancelTimers(): void {
    for (const timer of this.timers.values()) timer.cancel();
    this.timers.clear();
  }

  private rejectStopped(entry: MailboxEntry): void {
    if (entry.kind === 'message' && entry.replyTo !== null) {
      this.host.reply(entry.replyTo, false, new ActorStoppedError(this.ref.path, entry.message.type));
    }
  }
}

function isPromise(value: unknown): value is Promise<unknown> {
  return typeof value === 'object' && value !== null && typeof (value as { then?: unknown }).then === 'function';
}

function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
