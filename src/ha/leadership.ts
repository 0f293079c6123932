/**
 * Leadership for actors, and following a leader from outside one.
 *
 * An actor contends by handing `contend` its context: grants and revocations come back as the
 * actor's own messages (`grantLeadership`, `revokeLeadership`), handled in turn with the rest,
 * so the actor's state is never touched from a store's callback.
 */
import { Type } from '@sinclair/typebox';
import type { ActorContext } from '../actors/system/actor.js';
import { defineProtocol, type Message, type Protocol, type ProtocolSpec } from '../actors/system/protocol.js';
import { ActorRef, parseActorPath, type FencingToken } from '../actors/system/ref.js';
import type { LeaderElection, LeaderInformation, LeaderRetrieval } from './types.js';

/** The messages a contending actor handles: add `LeadershipMessages.spec` to its internal protocol. */
export const LeadershipMessages = defineProtocol('leadership', {
  grantLeadership: { request: Type.Object({ sessionId: Type.String() }) },
  revokeLeadership: { request: Type.Object({}) },
});
export type LeadershipSpec = typeof LeadershipMessages.spec;

/** Enters `election` on behalf of the actor whose context this is. */
export function contend<S extends LeadershipSpec>(ctx: ActorContext<S>, election: LeaderElection): Promise<void> {
  return election.start({
    // Both messages belong to S (it extends LeadershipSpec); TypeScript cannot narrow the union.
    grantLeadership: (sessionId) => ctx.tellSelf({ type: 'grantLeadership', sessionId } as unknown as Message<S>),
    revokeLeadership: () => ctx.tellSelf({ type: 'revokeLeadership' } as unknown as Message<S>),
    handleError: (error) => ctx.log.error({ err: error }, 'leader election failed'),
  });
}

/**
 * Takes a granted leadership: sets the fencing token and publishes the actor's address.
 * Returns false (and does nothing) when the grant is stale — a newer session replaced it
 * while the message waited.
 */
export function acceptLeadership<S extends ProtocolSpec>(ctx: ActorContext<S>, election: LeaderElection, sessionId: string): boolean {
  if (!election.hasLeadership(sessionId)) return false;
  ctx.setFencingToken(sessionId as FencingToken);
  election.confirmLeadership(sessionId, ctx.self.path);
  return true;
}

/** Where to send to a component's leader, under its session's token. */
export interface LeaderGateway {
  /** The leader now; throws NoLeaderError while there is none. */
  ref<S extends ProtocolSpec>(protocol: Protocol<S>): ActorRef<S>;
  /** Resolves once a leader is known (at once if one is). */
  next(): Promise<LeaderInformation>;
}

/** The current leader of one component, kept up to date from its retrieval. */
export class LeaderTracker implements LeaderGateway {
  private leader: LeaderInformation | undefined;
  private readonly waiting: Array<(leader: LeaderInformation) => void> = [];

  constructor(
    private readonly component: string,
    private readonly retrieval: LeaderRetrieval,
  ) {
    retrieval.start((leader) => {
      this.leader = leader;
      if (leader !== undefined) for (const resolve of this.waiting.splice(0)) resolve(leader);
    });
  }

  get current(): LeaderInformation | undefined {
    return this.leader;
  }

  /** The leader as a ref sending under its session's token; throws while there is none. */
  ref<S extends ProtocolSpec>(protocol: Protocol<S>): ActorRef<S> {
    const leader = this.leader;
    if (leader === undefined) throw new NoLeaderError(this.component);
    const { endpoint, name } = parseActorPath(leader.address);
    return new ActorRef(protocol, endpoint, name, (leader.sessionId ?? null) as FencingToken | null);
  }

  /** Resolves once a leader is known (at once if one is). */
  next(): Promise<LeaderInformation> {
    if (this.leader !== undefined) return Promise.resolve(this.leader);
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  close(): Promise<void> {
    return this.retrieval.close();
  }
}

export class NoLeaderError extends Error {
  override readonly name = 'NoLeaderError';
  constructor(readonly component: string) {
    super(`no leading ${component} is known right now; it is starting or being elected — retry shortly`);
  }
}
