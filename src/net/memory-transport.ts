/**
 * An in-memory network for unit tests: systems reach each other by `mem://name` endpoints,
 * frames are really encoded and decoded, delivery is asynchronous and in order per peer.
 * `partition` makes an endpoint unreachable, as a crashed or cut-off process would be.
 */
import { randomUUID } from 'node:crypto';
import { receiveFrame } from './inbound.js';
import { OutboundQueue } from './outbound.js';
import { DEFAULT_LIMITS, newStats, type FrameSink, type Transport, type TransportLimits, type TransportStats } from './transport.js';
import type { Envelope } from './envelope.js';

export class MemoryNetwork {
  private readonly nodes = new Map<string, MemoryTransport>();
  private readonly cut = new Set<string>();
  private next = 0;

  /** A transport at `mem://<name>` (a fresh name when omitted). */
  transport(name?: string, limits?: Partial<TransportLimits>): MemoryTransport {
    return new MemoryTransport(this, `mem://${name ?? `node-${++this.next}`}`, { ...DEFAULT_LIMITS, ...limits });
  }

  /** Frames to or from the endpoint are silently lost until `heal`. */
  partition(endpoint: string): void {
    this.cut.add(endpoint);
  }

  heal(endpoint: string): void {
    this.cut.delete(endpoint);
  }

  /** @internal */
  register(node: MemoryTransport): void {
    if (this.nodes.has(node.endpoint)) throw new Error(`${node.endpoint} is already bound`);
    this.nodes.set(node.endpoint, node);
  }

  /** @internal */
  unregister(node: MemoryTransport): void {
    if (this.nodes.get(node.endpoint) === node) this.nodes.delete(node.endpoint);
  }

  /** @internal */
  deliver(from: string, to: string, frame: Buffer): void {
    if (this.cut.has(from) || this.cut.has(to)) return;
    const node = this.nodes.get(to);
    if (node !== undefined) setImmediate(() => node.receive(frame));
  }
}

export class MemoryTransport implements Transport {
  readonly incarnation = randomUUID();
  private readonly counters = newStats();
  private readonly peers = new Map<string, OutboundQueue>();
  private sink: FrameSink | undefined;

  constructor(
    private readonly network: MemoryNetwork,
    readonly endpoint: string,
    private readonly limits: TransportLimits,
  ) {}

  async start(sink: FrameSink): Promise<void> {
    this.sink = sink;
    this.network.register(this);
  }

  send(endpoint: string, envelope: Envelope): void {
    let queue = this.peers.get(endpoint);
    if (queue === undefined) {
      if (this.sink === undefined) throw new Error('MemoryTransport used before start()');
      const write = async (frame: Buffer): Promise<void> => this.network.deliver(this.endpoint, endpoint, frame);
      queue = new OutboundQueue(endpoint, this, write, this.limits, this.counters, this.sink);
      this.peers.set(endpoint, queue);
    }
    queue.push(envelope);
  }

  disconnect(endpoint: string): void {
    this.peers.get(endpoint)?.close();
    this.peers.delete(endpoint);
  }

  async close(): Promise<void> {
    await Promise.all([...this.peers.values()].map((q) => q.whenIdle()));
    for (const queue of this.peers.values()) queue.close();
    this.peers.clear();
    this.network.unregister(this);
    this.sink = undefined;
  }

  stats(): TransportStats {
    return { ...this.counters };
  }

  /** @internal Raw bytes as they arrived, so tests can inject bad frames. */
  receive(frame: Uint8Array): void {
    if (this.sink !== undefined) receiveFrame(frame, this.limits, this.counters, this.sink);
  }
}
