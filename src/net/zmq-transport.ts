/**
 * The ZeroMQ transport: one ROUTER socket bound per process receives every frame; one DEALER
 * socket per peer sends to that peer's ROUTER. Inbound and outbound are separate connections,
 * so a reply travels like any other message: to the endpoint named in the asker's frame header.
 *
 * ZeroMQ reconnects a DEALER by itself, so a peer restarted at the same address is reachable
 * again without any action here. A peer declared lost is disconnected, which drops what was
 * queued for it instead of delivering stale messages to whoever comes back at that address.
 */
import { randomUUID } from 'node:crypto';
import { Dealer, Router } from 'zeromq';
import { receiveFrame } from './inbound.js';
import { OutboundQueue } from './outbound.js';
import {
  DEFAULT_LIMITS,
  newStats,
  type FrameSink,
  type Transport,
  type TransportLimits,
  type TransportStats,
} from './transport.js';
import type { Envelope } from './envelope.js';

export interface ZmqTransportOptions {
  /** Host or IP to bind and to advertise to peers. */
  readonly host: string;
  /** Port to bind; 0 picks a free one. */
  readonly port: number;
  /** Address to bind when it differs from the advertised host (e.g. 0.0.0.0). */
  readonly bindHost?: string;
  readonly limits?: Partial<TransportLimits>;
}

interface Peer {
  readonly socket: Dealer;
  readonly queue: OutboundQueue;
}

export class ZmqTransport implements Transport {
  readonly incarnation = randomUUID();
  private readonly limits: TransportLimits;
  private readonly counters = newStats();
  private readonly peers = new Map<string, Peer>();
  private readonly router: Router;
  private sink: FrameSink | undefined;
  private boundEndpoint = '';
  private receiving: Promise<void> | undefined;
  private closed = false;

  constructor(private readonly options: ZmqTransportOptions) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.router = new Router({
      // A hard ceiling against memory exhaustion; frames between the limit and this are
      // received, counted as oversized and dropped where they can be reported.
      maxMessageSize: this.limits.maxFrameBytes * 4,
      linger: 0,
      receiveHighWaterMark: 10_000,
    });
  }

  get endpoint(): string {
    return this.boundEndpoint;
  }

  async start(sink: FrameSink): Promise<void> {
    this.sink = sink;
    const bindHost = this.options.bindHost ?? this.options.host;
    const port = this.options.port === 0 ? '*' : String(this.options.port);
    try {
      await this.router.bind(`tcp://${bindHost}:${port}`);
    } catch (err) {
      throw new Error(
        `Cannot bind the actor system to tcp://${bindHost}:${port}: ${(err as Error).message}. ` +
          'Choose a free port or another address.',
        { cause: err },
      );
    }
    const bound = this.router.lastEndpoint ?? '';
    const boundPort = bound.slice(bound.lastIndexOf(':') + 1);
    this.boundEndpoint = `tcp://${this.options.host}:${boundPort}`;
    this.receiving = this.receiveLoop(sink);
  }

  send(endpoint: string, envelope: Envelope): void {
    this.peer(endpoint).queue.push(envelope);
  }

  disconnect(endpoint: string): void {
    const peer = this.peers.get(endpoint);
    if (peer === undefined) return;
    this.peers.delete(endpoint);
    peer.queue.close();
    peer.socket.linger = 0;
    peer.socket.close();
  }

  async close(lingerMs = 500): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const flushed = Promise.all([...this.peers.values()].map((p) => p.queue.whenIdle()));
    await Promise.race([flushed, new Promise((resolve) => setTimeout(resolve, lingerMs).unref())]);
    for (const [endpoint, peer] of this.peers) {
      peer.queue.close();
      peer.socket.linger = Math.min(lingerMs, 200);
      peer.socket.close();
      this.peers.delete(endpoint);
    }
    this.router.close();
    await this.receiving;
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  private peer(endpoint: string): Peer {
    let peer = this.peers.get(endpoint);
    if (peer === undefined) {
      const sink = this.requireSink();
      const socket = new Dealer({
        linger: 0,
        sendHighWaterMark: 1000,
        reconnectInterval: 100,
        reconnectMaxInterval: 1000,
      });
      // Endpoints come from peers' frames; a malformed one must not throw out of send().
      try {
        socket.connect(endpoint);
      } catch (err) {
        socket.close();
        const refused = new OutboundQueue(endpoint, this, () => Promise.resolve(), this.limits, this.counters, sink);
        refused.close();
        sink.onRejected('peer-closed', `cannot connect to '${endpoint}': ${(err as Error).message}`, undefined, endpoint);
        return { socket, queue: refused };
      }
      const queue = new OutboundQueue(endpoint, this, (frame) => socket.send(frame), this.limits, this.counters, sink);
      peer = { socket, queue };
      this.peers.set(endpoint, peer);
    }
    return peer;
  }

  private requireSink(): FrameSink {
    if (this.sink === undefined) throw new Error('ZmqTransport used before start()');
    return this.sink;
  }

  private async receiveLoop(sink: FrameSink): Promise<void> {
    try {
      for await (const parts of this.router) {
        if (parts.length !== 2) {
          sink.onRejected('malformed', `a ZeroMQ message of ${parts.length - 1} parts; frames have one`);
          continue;
        }
        receiveFrame(parts[1]!, this.limits, this.counters, sink);
        // Without this, buffered frames are read in one run of microtasks while the actors'
        // scheduler waits for its setImmediate: the mailboxes absorb everything the peer sends.
        if (sink.isBehind?.() === true) await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (err) {
      if (!this.closed) throw err;
    }
  }
}
