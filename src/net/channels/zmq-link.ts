/**
 * Channels between slot workers of different TaskManagers, over ZeroMQ. Each slot worker owns
 * one data plane: a ROUTER socket bound to an ephemeral (or configured) port receives every
 * batch sent to the slot, and one DEALER per peer slot sends to that peer's ROUTER. A remote
 * channel looks exactly like a local one to a task: the same credit accounting
 * (CreditedSender, ReceiverQueue), the same message encoding (one CBOR item per batch).
 *
 * Frames (ZeroMQ multipart messages):
 *   data,   DEALER -> ROUTER: [header(version, DATA), channel id (UTF-8), CBOR channel message]
 *   credit, ROUTER -> DEALER: [header(version, CREDIT), channel id (UTF-8), uint32 BE count]
 * The ROUTER answers credits to the routing id the channel's data came from, so credits share
 * the connection of the data they pay for, and a slow channel stops only its own sender.
 *
 * Channel ids are unique per job attempt, so inbound data is demultiplexed by id alone. Data
 * for a channel whose receiving task is not deployed yet is held until it is (at most the
 * initial credits' worth of batches plus events). A malformed frame is counted, logged at a
 * limited rate and dropped; if it names a channel, that channel fails — only its task fails.
 */
import { randomBytes } from 'node:crypto';
import { Dealer, Router } from 'zeromq';
import { logger, RateLimitedLog } from '../../log/index.js';
import { CreditedSender, ReceiverQueue, type ChannelLink, type InputChannel, type OutputChannel } from './channel.js';
import { decodeMessage, encodeMessage, type ChannelMessage } from './message.js';

export const DATA_WIRE_VERSION = 1;
const DATA = 1;
const CREDIT = 2;
const DATA_HEADER = Buffer.from([DATA_WIRE_VERSION, DATA]);
const CREDIT_HEADER = Buffer.from([DATA_WIRE_VERSION, CREDIT]);
/** Credit frames carry a count; more than this in one frame is not something a peer sends. */
const MAX_CREDITS_PER_FRAME = 1 << 16;
const MAX_CHANNEL_ID_BYTES = 1024;
/** Channels with held (early) data; beyond this, data for unknown channels is dropped. */
const MAX_EARLY_CHANNELS = 10_000;

export interface DataPlaneOptions {
  /** Host advertised to peers in the endpoint. */
  readonly host: string;
  /** Address to bind; the advertised host when absent. */
  readonly bindHost?: string;
  /** Port to bind; 0 or absent picks a free one. */
  readonly port?: number;
  /** Called when a socket fails as a whole (not for a single bad frame). */
  readonly onError?: (error: Error) => void;
}

export interface DataPlaneStats {
  framesIn: number;
  framesOut: number;
  bytesIn: number;
  bytesOut: number;
  creditsIn: number;
  creditsOut: number;
  /** Frames dropped because they could not be parsed (wrong parts, header, id, payload, count). */
  malformed: number;
  /** Data for an unknown channel dropped because too many channels already held early data. */
  droppedEarly: number;
}

/** The malformed frame that broke a channel: its task fails with this. */
export class DataChannelError extends Error {
  override readonly name = 'DataChannelError';
  constructor(
    readonly channelId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

interface Receiver {
  readonly queue: ReceiverQueue;
  /** Routing id of the connection the channel's data arrives on: where its credits go back. */
  route: Buffer | undefined;
  failure: Error | undefined;
  listener: () => void;
}

interface Early {
  readonly route: Buffer;
  readonly messages: ChannelMessage[];
  failure: Error | undefined;
}

/**
 * Sends on one socket, one multipart message at a time: zeromq allows a single pending send per
 * socket. A send that can be queued at once resolves at once, so this costs a promise per batch,
 * never per record.
 */
class SocketWriter {
  private readonly queue: Uint8Array[][] = [];
  private head = 0;
  private busy = false;
  private closed = false;

  constructor(
    private readonly socket: Dealer | Router,
    private readonly onError: (error: Error) => void,
  ) {}

  write(frames: Uint8Array[]): void {
    if (this.closed) return;
    if (this.busy) this.queue.push(frames);
    else this.send(frames);
  }

  close(): void {
    this.closed = true;
    this.queue.length = 0;
    this.head = 0;
  }

  private send(frames: Uint8Array[]): void {
    this.busy = true;
    this.socket.send(frames).then(this.next, this.failed);
  }

  private readonly next = (): void => {
    if (this.closed) return;
    if (this.head < this.queue.length) {
      const frames = this.queue[this.head]!;
      this.queue[this.head++] = undefined as unknown as Uint8Array[];
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      this.send(frames);
    } else {
      this.busy = false;
    }
  };

  private readonly failed = (err: unknown): void => {
    this.busy = false;
    if (!this.closed) this.onError(err instanceof Error ? err : new Error(String(err)));
  };
}

/** The sending side towards one peer slot's data endpoint. */
export class ZmqLink implements ChannelLink {
  constructor(
    private readonly plane: ZmqDataPlane,
    readonly endpoint: string,
    private readonly writer: SocketWriter,
  ) {}

  output(id: string): OutputChannel {
    const idFrame = Buffer.from(id, 'utf8');
    const stats = this.plane.counters;
    const writer = this.writer;
    const sender = new CreditedSender((message) => {
      // Encoded once per batch; zeromq takes the buffer as it is.
      const payload = encodeMessage(message);
      stats.framesOut++;
      stats.bytesOut += payload.length;
      writer.write([DATA_HEADER, idFrame, payload]);
    });
    this.plane.registerSender(id, sender);
    return sender.asOutput(id);
  }

  /** Inputs are served by the plane's one ROUTER, whoever sends to them. */
  input(id: string): InputChannel {
    return this.plane.input(id);
  }
}

export class ZmqDataPlane {
  readonly counters: DataPlaneStats = { framesIn: 0, framesOut: 0, bytesIn: 0, bytesOut: 0, creditsIn: 0, creditsOut: 0, malformed: 0, droppedEarly: 0 };
  private readonly senders = new Map<string, CreditedSender>();
  private readonly receivers = new Map<string, Receiver>();
  private readonly early = new Map<string, Early>();
  private readonly links = new Map<string, { readonly link: ZmqLink; readonly socket: Dealer; readonly writer: SocketWriter; readonly loop: Promise<void> }>();
  private readonly routerWriter: SocketWriter;
  private readonly log = logger('data-plane');
  private readonly rateLimited = new RateLimitedLog(this.log);
  private receiving: Promise<void> = Promise.resolve();
  private closed = false;
  private boundEndpoint = '';

  private constructor(
    private readonly router: Router,
    private readonly onError: (error: Error) => void,
  ) {
    this.routerWriter = new SocketWriter(router, (err) => this.fail(err));
  }

  /** Binds the plane's ROUTER; resolves once it accepts connections. */
  static async bind(options: DataPlaneOptions): Promise<ZmqDataPlane> {
    // handover: a peer's DEALER that reconnects keeps its routing id, so credits still reach it.
    const router = new Router({ linger: 0, receiveHighWaterMark: 0, sendHighWaterMark: 0, handover: true });
    const plane = new ZmqDataPlane(router, options.onError ?? (() => {}));
    const bindHost = options.bindHost ?? options.host;
    const port = options.port === undefined || options.port === 0 ? '*' : String(options.port);
    try {
      await router.bind(`tcp://${bindHost}:${port}`);
    } catch (err) {
      router.close();
      throw new Error(`cannot bind the data socket to tcp://${bindHost}:${port}: ${(err as Error).message}`, { cause: err });
    }
    const bound = router.lastEndpoint ?? '';
    plane.boundEndpoint = `tcp://${options.host}:${bound.slice(bound.lastIndexOf(':') + 1)}`;
    plane.receiving = plane.receiveData();
    return plane;
  }

  /** `tcp://host:port` that peers connect to. */
  get endpoint(): string {
    return this.boundEndpoint;
  }

  stats(): DataPlaneStats {
    return { ...this.counters };
  }

  /** The link to a peer's data endpoint, connected on first use. */
  link(endpoint: string): ZmqLink {
    const existing = this.links.get(endpoint);
    if (existing !== undefined) return existing.link;
    if (this.closed) throw new Error('the data plane is closed');
    const socket = new Dealer({
      linger: 0,
      sendHighWaterMark: 0,
      receiveHighWaterMark: 0,
      reconnectInterval: 100,
      reconnectMaxInterval: 1000,
      // A routing id of our own survives reconnection: the peer's credits keep finding us.
      routingId: `r${randomBytes(8).toString('hex')}`,
    });
    socket.connect(endpoint);
    const writer = new SocketWriter(socket, (err) => this.fail(err));
    const link = new ZmqLink(this, endpoint, writer);
    this.links.set(endpoint, { link, socket, writer, loop: this.receiveCredits(socket, endpoint) });
    return link;
  }

  /** @internal used by ZmqLink.output */
  registerSender(id: string, sender: CreditedSender): void {
    this.senders.set(id, sender);
  }

  input(id: string): InputChannel {
    const idFrame = Buffer.from(id, 'utf8');
    const receiver: Receiver = {
      queue: new ReceiverQueue(() => {
        const route = receiver.route;
        if (route === undefined || this.closed) return;
        this.counters.creditsOut++;
        this.routerWriter.write([route, CREDIT_HEADER, idFrame, ONE]);
      }),
      route: undefined,
      failure: undefined,
      listener: () => {},
    };
    this.receivers.set(id, receiver);
    const held = this.early.get(id);
    if (held !== undefined) {
      this.early.delete(id);
      receiver.route = held.route;
      receiver.failure = held.failure;
      for (const m of held.messages) receiver.queue.push(m);
    }
    const queue = receiver.queue;
    return {
      id,
      take: () => {
        if (receiver.failure !== undefined) throw receiver.failure;
        return queue.take();
      },
      get queued() {
        // A failed channel reports data so that its task steps and meets the failure.
        return receiver.failure !== undefined ? 1 : queue.queued;
      },
      release: () => queue.release(),
      setListener: (l) => {
        receiver.listener = l;
        queue.setListener(l);
      },
    };
  }

  /** Closes every socket; what is still queued is dropped (the job has ended). */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.routerWriter.close();
    this.router.close();
    const loops: Array<Promise<void>> = [this.receiving];
    for (const { socket, writer, loop } of this.links.values()) {
      writer.close();
      socket.close();
      loops.push(loop);
    }
    this.links.clear();
    this.senders.clear();
    this.receivers.clear();
    this.early.clear();
    await Promise.all(loops);
  }

  private async receiveData(): Promise<void> {
    try {
      for await (const frames of this.router) this.onData(frames);
    } catch (err) {
      if (!this.closed) this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private async receiveCredits(socket: Dealer, endpoint: string): Promise<void> {
    try {
      for await (const frames of socket) this.onCredit(frames, endpoint);
    } catch (err) {
      if (!this.closed) this.fail(err instanceof Error ? err : new Error(String(err)));
    }
  }

  private onData(frames: Buffer[]): void {
    this.counters.framesIn++;
    const route = frames[0]!;
    if (frames.length !== 4 || !isHeader(frames[1]!, DATA)) {
      this.malformed(`a data frame of ${frames.length - 1} parts, or with a wrong header`);
      return;
    }
    const idBytes = frames[2]!;
    if (idBytes.length === 0 || idBytes.length > MAX_CHANNEL_ID_BYTES) {
      this.malformed(`a data frame with a channel id of ${idBytes.length} bytes`);
      return;
    }
    const id = idBytes.toString('utf8');
    const payload = frames[3]!;
    this.counters.bytesIn += payload.length;
    let message: ChannelMessage | undefined;
    let failure: Error | undefined;
    try {
      message = decodeMessage(payload);
    } catch (err) {
      this.malformed(`an undecodable batch for channel ${id}: ${(err as Error).message}`);
      failure = new DataChannelError(id, `a malformed batch arrived on data channel ${id}: ${(err as Error).message}`, { cause: err });
    }
    const receiver = this.receivers.get(id);
    if (receiver !== undefined) {
      receiver.route ??= route;
      if (failure !== undefined) {
        receiver.failure ??= failure;
        receiver.listener();
      } else if (receiver.failure === undefined) {
        receiver.queue.push(message!);
      }
      return;
    }
    let held = this.early.get(id);
    if (held === undefined) {
      if (this.early.size >= MAX_EARLY_CHANNELS) {
        this.counters.droppedEarly++;
        this.rateLimited.warn('early', `dropped data for channel ${id}: ${MAX_EARLY_CHANNELS} channels already wait for their task`);
        return;
      }
      this.early.set(id, (held = { route, messages: [], failure: undefined }));
    }
    if (failure !== undefined) held.failure ??= failure;
    else held.messages.push(message!);
  }

  private onCredit(frames: Buffer[], endpoint: string): void {
    if (frames.length !== 3 || !isHeader(frames[0]!, CREDIT) || frames[2]!.length !== 4) {
      this.malformed(`a credit frame from ${endpoint} of ${frames.length} parts, or with a wrong header or count`);
      return;
    }
    const n = frames[2]!.readUInt32BE(0);
    const sender = this.senders.get(frames[1]!.toString('utf8'));
    if (n === 0 || n > MAX_CREDITS_PER_FRAME || sender === undefined) {
      this.malformed(`a credit frame from ${endpoint} for an unknown channel or with ${n} credits`);
      return;
    }
    this.counters.creditsIn += n;
    sender.addCredits(n);
  }

  private malformed(detail: string): void {
    this.counters.malformed++;
    this.rateLimited.warn('malformed', `dropped a malformed data-plane frame: ${detail}`, { malformed: this.counters.malformed });
  }

  private fail(error: Error): void {
    if (this.closed) return;
    this.log.error({ err: error }, 'data plane socket failed');
    this.onError(error);
  }
}

const ONE = (() => {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(1, 0);
  return b;
})();

function isHeader(frame: Buffer, kind: number): boolean {
  return frame.length === 2 && frame[0] === DATA_WIRE_VERSION && frame[1] === kind;
}
