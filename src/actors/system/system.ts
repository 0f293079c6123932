/**
 * The actor system: one per process, bound to one endpoint. It owns the actors of the process,
 * routes messages to them — directly when local, through the transport when remote — keeps
 * the table of pending asks, and counts everything it has to drop. Nothing a peer sends can
 * make it throw: bad frames and bodies are dropped, counted and logged (rate-limited), and an
 * ask that cannot be answered gets an error reply instead of a silent timeout.
 */
import { logger, RateLimitedLog, type Logger } from '../../log/index.js';
import { EnvelopeKind, type Envelope, type Frame, type Transport, type TransportRejection } from '../../net/index.js';
import type { Actor, ActorContext, PipeResult, SpawnOptions, TerminationReason } from './actor.js';
import { ActorCell, type CellHost, type MailboxEntry, type ReplyAddress } from './cell.js';
import { systemClock, type Clock } from './clock.js';
import {
  AskTimeoutError,
  fromWireError,
  InvalidMessageError,
  toWireError,
  UndeliverableError,
  UnknownActorError,
  UnknownMessageTypeError,
} from './errors.js';
import { DEFAULT_HEARTBEAT, HeartbeatMonitor, type HeartbeatSettings } from './heartbeat.js';
import type { AskType, Message, Protocol, ProtocolSpec, Reply } from './protocol.js';
import { ActorRef, parseActorPath, type FencingToken } from './ref.js';
import { MailboxScheduler } from './scheduler.js';
import { SYSTEM_ACTOR, SystemProtocol } from './system-protocol.js';
import { SystemActor } from './system-actor.js';

export type DropReason = TransportRejection | 'unknown-target' | 'unknown-type' | 'invalid-body' | 'stale-fencing-token';

export interface ActorSystemOptions {
  readonly transport: Transport;
  readonly clock?: Clock;
  /** Heartbeats of remote death-watch (`heartbeat.interval`, `heartbeat.timeout`). */
  readonly heartbeat?: HeartbeatSettings;
  /**
   * A top-level actor failed more often than its supervision allows. Processes make this
   * fatal (log and exit) so that a broken component is restarted from outside.
   */
  readonly onEscalation?: (error: Error, actorPath: string) => void;
  /** Messages one actor handles before others get their turn. */
  readonly throughput?: number;
  readonly log?: Logger;
}

interface PendingAsk {
  readonly protocol: Protocol<ProtocolSpec>;
  readonly type: string;
  readonly remote: boolean;
  readonly target: string;
  readonly resolve: (value: unknown) => void;
  readonly reject: (error: Error) => void;
  readonly timer: { cancel(): void };
}

interface RemoteWatch {
  readonly ref: ActorRef;
  readonly watchers: Set<ActorCell>;
}

export class ActorSystem {
  readonly clock: Clock;
  readonly log: Logger;
  private readonly transport: Transport;
  private readonly cells = new Map<string, ActorCell>();
  private readonly roots: ActorCell[] = [];
  private readonly scheduler: MailboxScheduler;
  private readonly pending = new Map<number, PendingAsk>();
  private nextAskId = 0;
  private readonly dropped = new Map<DropReason, number>();
  private lateReplies = 0;
  private readonly dropLog: RateLimitedLog;
  private readonly host: CellHost;
  /** Local watchers of each local actor, by actor name. */
  private readonly localWatchers = new Map<string, Set<ActorCell>>();
  /** Remote watchers (paths) of each local actor, by actor name. */
  private readonly remoteWatchers = new Map<string, Set<string>>();
  /** Remote actors watched from here, by path. */
  private readonly remoteWatches = new Map<string, RemoteWatch>();
  private readonly peerMonitor: HeartbeatMonitor<{ incarnation: string }>;
  private readonly peerIncarnations = new Map<string, string>();
  private terminated: Promise<void> | undefined;

  private constructor(private readonly options: ActorSystemOptions) {
    this.transport = options.transport;
    this.clock = options.clock ?? systemClock;
    this.log = options.log ?? logger('actor-system');
    this.scheduler = new MailboxScheduler(options.throughput ?? 64);
    this.dropLog = new RateLimitedLog(this.log, 10_000, () => this.clock.now());
    const heartbeat = options.heartbeat ?? DEFAULT_HEARTBEAT;
    this.peerMonitor = new HeartbeatMonitor(this.clock, heartbeat, (endpoint, silentForMs) =>
      this.peerLost(endpoint, `no heartbeat for ${silentForMs} ms`),
    );
    this.host = {
      log: this.log,
      schedule: (cell) => this.scheduler.schedule(cell),
      reply: (to, ok, value) => this.reply(to, ok, value),
      countDrop: (reason) => this.countDrop(reason),
      unregister: (cell) => this.unregister(cell),
      notifyWatchers: (cell, reason) => this.notifyWatchers(cell, reason),
      escalateToRoot: (cell, error) => this.escalateToRoot(cell, error),
    };
  }

  /** Starts the transport and the system actor. */
  static async start(options: ActorSystemOptions): Promise<ActorSystem> {
    const system = new ActorSystem(options);
    await system.transport.start({
      onFrame: (frame) => system.onFrame(frame),
      onRejected: (reason, detail, envelope, endpoint) => system.onRejected(reason, detail, envelope, endpoint),
      isBehind: () => system.scheduler.behind,
    });
    system.spawnCell(SYSTEM_ACTOR, undefined, () => new SystemActor(system));
    return system;
  }

  get endpoint(): string {
    return this.transport.endpoint;
  }

  get incarnation(): string {
    return this.transport.incarnation;
  }

  /** Starts a top-level actor; its supervisor is the system itself. */
  spawn<S extends ProtocolSpec>(name: string, factory: () => Actor<S>, options?: SpawnOptions): ActorRef<S> {
    checkName(name);
    return this.spawnCell(name, undefined, factory, options).ref as unknown as ActorRef<S>;
  }

  /** A reference to an actor at a path (`tcp://host:port/name`), or at endpoint and name. */
  ref<S extends ProtocolSpec>(protocol: Protocol<S>, pathOrEndpoint: string, name?: string): ActorRef<S> {
    const at = name === undefined ? parseActorPath(pathOrEndpoint) : { endpoint: pathOrEndpoint, name };
    return new ActorRef(protocol, at.endpoint, at.name);
  }

  /** The system actor of another process (heartbeats, stats, watches). */
  systemActor(endpoint: string): ActorRef<typeof SystemProtocol.spec> {
    return new ActorRef(SystemProtocol, endpoint, SYSTEM_ACTOR);
  }

  tell<S extends ProtocolSpec>(ref: ActorRef<S>, message: Message<S>): void {
    if (ref.endpoint === this.endpoint) {
      this.deliverLocal(ref, message, null);
    } else {
      this.transport.send(ref.endpoint, { kind: EnvelopeKind.Tell, target: ref.name, id: 0, body: message, fencingToken: ref.fencingToken });
    }
  }

  /**
   * Sends `message` and resolves with the reply. Rejects with AskTimeoutError after
   * `timeoutMs` (the error is made here, so its stack shows the caller), or with the error the
   * target replied, rebuilt as its own class when known and as RemoteActorError otherwise.
   */
  ask<S extends ProtocolSpec, K extends AskType<S>>(ref: ActorRef<S>, message: Message<S, K>, timeoutMs: number): Promise<Reply<S, K>> {
    const type = message.type;
    const timeoutError = new AskTimeoutError(ref.path, type, timeoutMs);
    return new Promise<Reply<S, K>>((resolve, reject) => {
      const id = ++this.nextAskId;
      const remote = ref.endpoint !== this.endpoint;
      const timer = this.clock.schedule(timeoutMs, () => {
        if (this.pending.delete(id)) reject(timeoutError);
      });
      this.pending.set(id, {
        protocol: ref.protocol as Protocol<ProtocolSpec>,
        type,
        remote,
        target: ref.path,
        resolve: resolve as (value: unknown) => void,
        reject,
        timer,
      });
      if (remote) {
        this.transport.send(ref.endpoint, { kind: EnvelopeKind.Ask, target: ref.name, id, body: message, fencingToken: ref.fencingToken });
      } else {
        this.deliverLocal(ref, message, { endpoint: this.endpoint, id });
      }
    });
  }

  /** Stops an actor of this system and, first, its children. */
  stop(ref: ActorRef): Promise<void> {
    return this.cells.get(ref.name)?.stop('stopped') ?? Promise.resolve();
  }

  /** Whether a local actor of that name is running. */
  has(name: string): boolean {
    return this.cells.has(name);
  }

  stats(): {
    endpoint: string;
    actors: number;
    pendingAsks: number;
    lateReplies: number;
    dropped: Record<string, number>;
    transport: ReturnType<Transport['stats']>;
  } {
    return {
      endpoint: this.endpoint,
      actors: this.cells.size,
      pendingAsks: this.pending.size,
      lateReplies: this.lateReplies,
      dropped: Object.fromEntries(this.dropped),
      transport: this.transport.stats(),
    };
  }

  /** Resolves when no mailbox has work for a few consecutive event-loop turns (for tests). */
  async settle(): Promise<void> {
    for (let quiet = 0; quiet < 3; ) {
      await new Promise((resolve) => setImmediate(resolve));
      quiet = this.scheduler.idle ? quiet + 1 : 0;
    }
  }

  /** Stops every actor (last started first), fails pending asks, closes the transport. */
  terminate(): Promise<void> {
    this.terminated ??= (async () => {
      for (const cell of [...this.roots].reverse()) await cell.stop('stopped');
      this.peerMonitor.stop();
      for (const [id, ask] of this.pending) {
        ask.timer.cancel();
        this.pending.delete(id);
        ask.reject(new UndeliverableError(ask.target, ask.type, 'the actor system terminated'));
      }
      await this.transport.close();
    })();
    return this.terminated;
  }

  // ---- inbound -------------------------------------------------------------------------

  private onFrame(frame: Frame): void {
    for (const envelope of frame.envelopes) {
      switch (envelope.kind) {
        case EnvelopeKind.Tell:
        case EnvelopeKind.Ask:
          this.deliverRemote(frame.senderEndpoint, envelope);
          break;
        case EnvelopeKind.Reply:
        case EnvelopeKind.ErrorReply:
          this.completeAsk(envelope.id, envelope.kind === EnvelopeKind.Reply, envelope.body);
          break;
      }
    }
  }

  private deliverRemote(sender: string, envelope: Envelope): void {
    const replyTo = envelope.kind === EnvelopeKind.Ask ? { endpoint: sender, id: envelope.id } : null;
    const body = envelope.body;
    const type = typeof body === 'object' && body !== null ? (body as { type?: unknown }).type : undefined;
    const path = `${this.endpoint}/${envelope.target}`;
    if (typeof type !== 'string') {
      this.refuse('invalid-body', `a message without a string 'type' for ${path} from ${sender}`, replyTo, () => new InvalidMessageError(path, '?', "the body has no string 'type'"));
      return;
    }
    const cell = this.cells.get(envelope.target);
    if (cell === undefined || !cell.isAlive) {
      this.refuse('unknown-target', `'${type}' for unknown actor ${path} from ${sender}`, replyTo, () => new UnknownActorError(path));
      return;
    }
    if (!cell.protocol.has(type)) {
      this.refuse('unknown-type', `unknown message type '${type}' for ${path} from ${sender}`, replyTo, () => new UnknownMessageTypeError(path, type));
      return;
    }
    const problem = cell.protocol.checkRequest(type, body);
    if (problem !== undefined) {
      this.refuse('invalid-body', `invalid '${type}' for ${path} from ${sender}: ${problem}`, replyTo, () => new InvalidMessageError(path, type, problem));
      return;
    }
    cell.enqueue({ kind: 'message', message: body as { type: string }, replyTo, fencingToken: envelope.fencingToken });
  }

  private refuse(reason: DropReason, detail: string, replyTo: ReplyAddress | null, error: () => Error): void {
    this.countDrop(reason);
    this.dropLog.warn(reason, `dropped message: ${detail}`);
    if (replyTo !== null) this.reply(replyTo, false, error());
  }

  private completeAsk(id: number, ok: boolean, body: unknown): void {
    const ask = this.pending.get(id);
    if (ask === undefined) {
      this.lateReplies++;
      return;
    }
    this.pending.delete(id);
    ask.timer.cancel();
    if (!ok) {
      ask.reject(ask.remote ? fromWireError(body) : (body as Error));
      return;
    }
    const problem = ask.remote ? ask.protocol.checkReply(ask.type, body) : undefined;
    if (problem !== undefined) ask.reject(new InvalidMessageError(ask.target, ask.type, `reply ${problem}`));
    else ask.resolve(body);
  }

  private onRejected(reason: TransportRejection, detail: string, envelope?: Envelope, endpoint?: string): void {
    this.countDrop(reason);
    this.dropLog.warn(reason, `dropped: ${detail}`, endpoint === undefined ? {} : { peer: endpoint });
    // An outbound ask that cannot leave fails now rather than at its timeout.
    if (envelope?.kind === EnvelopeKind.Ask) {
      const ask = this.pending.get(envelope.id);
      if (ask !== undefined) {
        this.pending.delete(envelope.id);
        ask.timer.cancel();
        ask.reject(new UndeliverableError(ask.target, ask.type, detail));
      }
    }
  }

  private countDrop(reason: DropReason): void {
    this.dropped.set(reason, (this.dropped.get(reason) ?? 0) + 1);
  }

  // ---- local delivery and replies -------------------------------------------------------

  private deliverLocal(ref: ActorRef, message: { readonly type: string }, replyTo: ReplyAddress | null): void {
    const cell = this.cells.get(ref.name);
    if (cell === undefined) {
      if (replyTo !== null) this.reply(replyTo, false, new UnknownActorError(ref.path));
      else this.countDrop('unknown-target');
      return;
    }
    cell.enqueue({ kind: 'message', message, replyTo, fencingToken: ref.fencingToken });
  }

  private reply(to: ReplyAddress, ok: boolean, value: unknown): void {
    if (to.endpoint === this.endpoint) {
      this.completeAsk(to.id, ok, value);
      return;
    }
    const body = ok ? value : toWireError(value);
    this.transport.send(to.endpoint, { kind: ok ? EnvelopeKind.Reply : EnvelopeKind.ErrorReply, target: '', id: to.id, body, fencingToken: null });
  }

  // ---- actors ---------------------------------------------------------------------------

  private spawnCell<S extends ProtocolSpec>(name: string, parent: ActorCell | undefined, typedFactory: () => Actor<S>, options?: SpawnOptions): ActorCell {
    const factory = typedFactory as unknown as () => Actor<ProtocolSpec>;
    if (this.cells.has(name)) throw new Error(`an actor named '${name}' is already running at ${this.endpoint}`);
    if (this.terminated !== undefined) throw new Error('the actor system has terminated');
    const probe = factory();
    const ref = new ActorRef(probe.protocol, this.endpoint, name);
    let first: Actor<ProtocolSpec> | undefined = probe;
    const cell = new ActorCell(
      ref,
      parent,
      () => {
        // The instance made to learn the protocol serves as the first incarnation.
        const actor = first ?? factory();
        first = undefined;
        return actor;
      },
      options?.supervision,
      this.host,
      (c) => this.makeContext(c),
      () => this.clock.now(),
    );
    this.cells.set(name, cell);
    if (parent === undefined) this.roots.push(cell);
    else parent.children.set(name, cell);
    cell.start();
    return cell;
  }

  private unregister(cell: ActorCell): void {
    if (this.cells.get(cell.ref.name) === cell) this.cells.delete(cell.ref.name);
    const i = this.roots.indexOf(cell);
    if (i >= 0) this.roots.splice(i, 1);
  }

  private escalateToRoot(cell: ActorCell, error: Error): void {
    if (this.options.onEscalation !== undefined) this.options.onEscalation(error, cell.ref.path);
    else this.log.fatal({ actor: cell.ref.path, err: error }, 'top-level actor gave up; it is stopped');
  }

  private makeContext(cell: ActorCell): ActorContext<ProtocolSpec> {
    type S = ProtocolSpec;
    const system = this;
    const enqueueSelf = (message: Message<S>): void => cell.enqueue({ kind: 'message', message, replyTo: null, fencingToken: cell.fencingToken });
    return {
      self: cell.ref,
      system,
      log: system.log.child({ actor: cell.ref.name }),
      clock: system.clock,
      get fencingToken() {
        return cell.fencingToken;
      },
      tell: (ref, message) => system.tell(ref, message),
      tellSelf: enqueueSelf,
      ask: (ref, message, timeoutMs) => system.ask(ref, message, timeoutMs),
      pipeToSelf<V>(promise: Promise<V>, toMessage: (result: PipeResult<V>) => Message<S>) {
        promise.then(
          (value) => enqueueSelf(toMessage({ ok: true, value })),
          (err: unknown) => enqueueSelf(toMessage({ ok: false, error: err instanceof Error ? err : new Error(String(err)) })),
        );
      },
      schedule(key, delayMs, message) {
        cell.timers.get(key)?.cancel();
        cell.timers.set(
          key,
          system.clock.schedule(delayMs, () => {
            cell.timers.delete(key);
            enqueueSelf(message);
          }),
        );
      },
      cancelSchedule(key) {
        cell.timers.get(key)?.cancel();
        cell.timers.delete(key);
      },
      spawn(name, factory, options) {
        checkName(name);
        return system.spawnCell(`${cell.ref.name}/${name}`, cell, factory, options).ref as unknown as ActorRef<typeof factory extends () => Actor<infer C> ? C : never>;
      },
      stop(child) {
        if (child === undefined) void cell.stop('stopped');
        else void cell.children.get(child.name)?.stop('stopped');
      },
      watch: (ref) => system.watch(cell, ref),
      unwatch: (ref) => system.unwatch(cell, ref),
      setFencingToken(token: FencingToken | null) {
        cell.fencingToken = token;
      },
    };
  }

  // ---- death-watch ----------------------------------------------------------------------

  private watch(watcher: ActorCell, ref: ActorRef): void {
    if (ref.endpoint === this.endpoint) {
      const target = this.cells.get(ref.name);
      if (target === undefined || !target.isAlive) {
        this.signalTerminated(watcher, ref, 'unknown');
        return;
      }
      addTo(this.localWatchers, ref.name, watcher);
      return;
    }
    let entry = this.remoteWatches.get(ref.path);
    if (entry === undefined) {
      entry = { ref, watchers: new Set() };
      this.remoteWatches.set(ref.path, entry);
    }
    entry.watchers.add(watcher);
    this.tell(this.systemActor(ref.endpoint), { type: 'watch', target: ref.name, watcher: `${this.endpoint}/${watcher.ref.name}` });
    this.monitorPeer(ref.endpoint);
  }

  private unwatch(watcher: ActorCell, ref: ActorRef): void {
    if (ref.endpoint === this.endpoint) {
      this.localWatchers.get(ref.name)?.delete(watcher);
      return;
    }
    const entry = this.remoteWatches.get(ref.path);
    if (entry === undefined) return;
    entry.watchers.delete(watcher);
    if (entry.watchers.size === 0) {
      this.remoteWatches.delete(ref.path);
      this.tell(this.systemActor(ref.endpoint), { type: 'unwatch', target: ref.name, watcher: `${this.endpoint}/${watcher.ref.name}` });
      this.unmonitorPeerIfUnused(ref.endpoint);
    }
  }

  /** @internal A remote system asks to be told when a local actor terminates. */
  addRemoteWatcher(target: string, watcherPath: string): void {
    const cell = this.cells.get(target);
    if (cell === undefined || !cell.isAlive) {
      this.sendTerminated(watcherPath, `${this.endpoint}/${target}`, 'unknown');
      return;
    }
    addTo(this.remoteWatchers, target, watcherPath);
  }

  /** @internal */
  removeRemoteWatcher(target: string, watcherPath: string): void {
    this.remoteWatchers.get(target)?.delete(watcherPath);
  }

  /** @internal A remote actor we watch terminated. */
  remoteTerminated(targetPath: string, watcherName: string, reason: string): void {
    const entry = this.remoteWatches.get(targetPath);
    if (entry === undefined) return;
    const watcher = [...entry.watchers].find((w) => w.ref.name === watcherName);
    if (watcher === undefined) return;
    entry.watchers.delete(watcher);
    if (entry.watchers.size === 0) this.remoteWatches.delete(targetPath);
    this.signalTerminated(watcher, entry.ref, asReason(reason));
    this.unmonitorPeerIfUnused(entry.ref.endpoint);
  }

  private notifyWatchers(cell: ActorCell, reason: TerminationReason): void {
    const name = cell.ref.name;
    for (const watcher of this.localWatchers.get(name) ?? []) this.signalTerminated(watcher, cell.ref, reason);
    this.localWatchers.delete(name);
    for (const watcherPath of this.remoteWatchers.get(name) ?? []) this.sendTerminated(watcherPath, cell.ref.path, reason);
    this.remoteWatchers.delete(name);
  }

  private sendTerminated(watcherPath: string, targetPath: string, reason: TerminationReason): void {
    const watcher = parseActorPath(watcherPath);
    this.tell(this.systemActor(watcher.endpoint), { type: 'terminated', target: targetPath, watcher: watcher.name, reason });
  }

  private signalTerminated(watcher: ActorCell, ref: ActorRef, reason: TerminationReason): void {
    const entry: MailboxEntry = { kind: 'signal', run: () => watcherActor(watcher).onTerminated(ref, reason) };
    watcher.enqueue(entry);
  }

  private monitorPeer(endpoint: string): void {
    if (this.peerMonitor.isMonitoring(endpoint)) return;
    const settings = this.options.heartbeat ?? DEFAULT_HEARTBEAT;
    const ping = this.systemActor(endpoint);
    this.peerMonitor.monitor(
      endpoint,
      () => this.ask(ping, { type: 'ping' }, settings.timeoutMs),
      ({ incarnation }) => {
        const known = this.peerIncarnations.get(endpoint);
        if (known === undefined) this.peerIncarnations.set(endpoint, incarnation);
        else if (known !== incarnation) {
          this.peerMonitor.unmonitor(endpoint);
          this.peerLost(endpoint, 'it restarted');
        }
      },
    );
  }

  private unmonitorPeerIfUnused(endpoint: string): void {
    for (const entry of this.remoteWatches.values()) if (entry.ref.endpoint === endpoint) return;
    this.peerMonitor.unmonitor(endpoint);
    this.peerIncarnations.delete(endpoint);
  }

  private peerLost(endpoint: string, why: string): void {
    this.log.warn({ peer: endpoint }, `peer ${endpoint} is lost: ${why}`);
    this.peerIncarnations.delete(endpoint);
    for (const [path, entry] of this.remoteWatches) {
      if (entry.ref.endpoint !== endpoint) continue;
      this.remoteWatches.delete(path);
      for (const watcher of entry.watchers) this.signalTerminated(watcher, entry.ref, 'peer-lost');
    }
    this.transport.disconnect(endpoint);
  }
}

/** The actor instance behind a cell, for signals; cells expose it to the system only. */
function watcherActor(cell: ActorCell): { onTerminated(ref: ActorRef, reason: TerminationReason): void } {
  return cell.current;
}

function addTo<K, V>(map: Map<K, Set<V>>, key: K, value: V): void {
  let set = map.get(key);
  if (set === undefined) map.set(key, (set = new Set()));
  set.add(value);
}

function asReason(value: string): TerminationReason {
  return value === 'stopped' || value === 'failed' || value === 'unknown' || value === 'peer-lost' ? value : 'unknown';
}

function checkName(name: string): void {
  if (name.length === 0 || name.includes('/') || name.startsWith('$')) {
    throw new Error(`'${name}' is not a valid actor name: it must be non-empty, without '/', and not start with '$'`);
  }
}
