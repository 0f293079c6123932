/**
 * A process's RPC endpoint: its actor system on a ZeroMQ transport, bound to the configured
 * host and port (or the first free port of a range), with the configured frame limit and
 * heartbeats. Bind failures become one-line errors naming the key to change.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { ActorSystem } from '../actors/system/index.js';
import { ConfigError, HeartbeatManagerOptions, RpcOptions, type Configuration } from '../config/index.js';
import { ZmqTransport } from '../net/index.js';
import { BindError, PortInUseError } from './errors.js';

export interface RpcEndpointSpec {
  /** `JobManager` or `TaskManager`, for messages. */
  readonly component: string;
  /** The host peers reach this process at; part of every actor address. */
  readonly advertisedHost: string;
  /** The local address to bind: an IP, a host name, an interface name, or `*`/`0.0.0.0`. */
  readonly bindHost: string;
  /** A port, a range `50100-50200`, or a comma-separated list of them; `0` picks a free port. */
  readonly ports: string;
  /** The key that sets `ports`, named in errors. */
  readonly portKey: string;
  /** The keys that set the addresses, named in errors. */
  readonly hostKeys: readonly string[];
  readonly config: Configuration;
  /** A top-level actor gave up (see ActorSystemOptions.onEscalation). */
  readonly onEscalation: (error: Error, actorPath: string) => void;
}

/** Every port of a port-range value, in order; the value was validated by the configuration. */
export function* portsOf(spec: string): Generator<number> {
  for (const part of spec.split(',')) {
    const [from, to] = part.split('-').map((p) => Number(p.trim()));
    if (from === undefined || !Number.isInteger(from)) continue;
    const last = to !== undefined && Number.isInteger(to) ? to : from;
    for (let port = from; port <= last; port++) yield port;
  }
}

/** `heartbeat.interval` and `heartbeat.timeout`, checked against each other. */
export function heartbeatSettings(config: Configuration): { intervalMs: number; timeoutMs: number } {
  const intervalMs = config.get(HeartbeatManagerOptions.INTERVAL);
  const timeoutMs = config.get(HeartbeatManagerOptions.TIMEOUT);
  if (!(intervalMs > 0) || !(timeoutMs > intervalMs)) {
    throw new ConfigError(
      `'${HeartbeatManagerOptions.TIMEOUT.key}' (${timeoutMs} ms) must be greater than '${HeartbeatManagerOptions.INTERVAL.key}' ` +
        `(${intervalMs} ms), and both positive; a timeout of several intervals is usual (defaults: 10 s and 50 s).`,
      { key: HeartbeatManagerOptions.TIMEOUT.key },
    );
  }
  return { intervalMs, timeoutMs };
}

/**
 * ZeroMQ binds IP addresses and interface names but does not look host names up; a name is
 * resolved here (IPv4 first, as the transport does not enable IPv6), an interface name is
 * left as it is.
 */
export async function resolveBindHost(host: string): Promise<string> {
  if (host === '*' || host === 'localhost' || isIP(host) !== 0) return host;
  try {
    return (await lookup(host, { family: 4 })).address;
  } catch {
    try {
      return (await lookup(host)).address;
    } catch {
      return host;
    }
  }
}

function isAddressInUse(err: unknown): boolean {
  for (let e: unknown = err; e instanceof Error; e = e.cause) {
    if ('code' in e && e.code === 'EADDRINUSE') return true;
    if (/address already in use/i.test(e.message)) return true;
  }
  return false;
}

function rootMessage(err: unknown): string {
  let e: unknown = err;
  while (e instanceof Error && e.cause instanceof Error) e = e.cause;
  return e instanceof Error ? e.message : String(e);
}

/**
 * Starts the actor system, trying each port of `spec.ports` until one binds.
 * @throws PortInUseError when every port is taken; BindError for any other bind failure;
 *   ConfigError for inconsistent heartbeat settings.
 */
export async function startActorSystem(spec: RpcEndpointSpec): Promise<ActorSystem> {
  const heartbeat = heartbeatSettings(spec.config);
  const maxFrameBytes = spec.config.get(RpcOptions.FRAMESIZE);
  const bindHost = await resolveBindHost(spec.bindHost);
  const tried: number[] = [];
  for (const port of portsOf(spec.ports)) {
    const transport = new ZmqTransport({ host: spec.advertisedHost, port, bindHost, limits: { maxFrameBytes } });
    try {
      return await ActorSystem.start({ transport, heartbeat, onEscalation: spec.onEscalation });
    } catch (err) {
      await transport.close(0);
      const endpoint = `tcp://${bindHost}:${port}`;
      if (isAddressInUse(err)) {
        tried.push(port);
        continue;
      }
      throw new BindError(
        `Cannot start the ${spec.component}: binding ${endpoint} failed (${rootMessage(err)}). ` +
          `Check ${spec.hostKeys.join(' and ')}: the address must belong to this machine.`,
        endpoint,
        spec.portKey,
        { cause: err },
      );
    }
  }
  const endpoint = `tcp://${bindHost}:${tried[tried.length - 1] ?? spec.ports}`;
  if (tried.length === 1) {
    throw new PortInUseError(
      `Cannot start the ${spec.component}: port ${tried[0]} is already in use on ${bindHost}. ` +
        `Stop the process holding it, or choose another port with ${spec.portKey} (e.g. -D ${spec.portKey}=${tried[0]! + 1}).`,
      endpoint,
      spec.portKey,
    );
  }
  throw new PortInUseError(
    `Cannot start the ${spec.component}: every port of ${spec.portKey} '${spec.ports}' is already in use on ${bindHost}. ` +
      `Widen the range, or set ${spec.portKey} to 0 for any free port.`,
    endpoint,
    spec.portKey,
  );
}
