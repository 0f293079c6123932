/**
 * Actor references and fencing tokens. A reference names an actor by endpoint and name
 * (`tcp://10.0.0.5:6123/dispatcher`), local and remote alike, and may carry the fencing token
 * its messages are sent under. References cross the wire as their path strings.
 */
import { randomUUID } from 'node:crypto';
import type { Protocol, ProtocolSpec } from './protocol.js';

declare const fencingBrand: unique symbol;

/**
 * A leadership session's token. Components brand their own (`JobMasterId`, `ResourceManagerId`)
 * so one can never be passed where the other is expected.
 */
export type FencingToken<Brand extends string = string> = string & { readonly [fencingBrand]: Brand };

/** A fresh token: every new leadership gets one, so an old leader's messages are recognisable. */
export function newFencingToken<Brand extends string = string>(): FencingToken<Brand> {
  return randomUUID() as FencingToken<Brand>;
}

export class ActorRef<S extends ProtocolSpec = ProtocolSpec> {
  constructor(
    readonly protocol: Protocol<S>,
    readonly endpoint: string,
    readonly name: string,
    readonly fencingToken: FencingToken | null = null,
  ) {}

  get path(): string {
    return `${this.endpoint}/${this.name}`;
  }

  /** The same actor, with messages sent under `token`. */
  withFencingToken(token: FencingToken | null): ActorRef<S> {
    return new ActorRef(this.protocol, this.endpoint, this.name, token);
  }

  toString(): string {
    return this.path;
  }
}

/** Splits `scheme://host:port/name[/child...]` into endpoint and actor name. */
export function parseActorPath(path: string): { endpoint: string; name: string } {
  const scheme = path.indexOf('://');
  const slash = scheme < 0 ? -1 : path.indexOf('/', scheme + 3);
  if (slash < 0 || slash === path.length - 1) {
    throw new Error(`'${path}' is not an actor path; expected scheme://host:port/name, e.g. tcp://127.0.0.1:6123/dispatcher`);
  }
  return { endpoint: path.slice(0, slash), name: path.slice(slash + 1) };
}
