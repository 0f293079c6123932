/**
 * High-availability services: who leads each JobManager component, where to find the leader,
 * and the job metadata that must outlive a JobManager. One interface, three stores: `none`
 * (standalone: one JobManager at a fixed address), ZooKeeper and etcd.
 *
 * Leadership is a session: every grant comes with a fresh session id, which the leader's actor
 * takes as its fencing token. Messages carrying an older session's id are rejected, so a
 * deposed leader — or a client still talking to one — can never act.
 */

/** A leader as its followers see it: where it is and the session it leads under. */
export interface LeaderInformation {
  /** The leader actor's path (`tcp://host:port/name`). */
  readonly address: string;
  /**
   * The leadership session's id, the fencing token to send under. Undefined when the store
   * knows only the address (standalone, from another process): the registration handshake
   * then tells it.
   */
  readonly sessionId: string | undefined;
}

/** What competes for leadership: usually an actor, which turns these calls into messages. */
export interface LeaderContender {
  /** This contender leads from now on under `sessionId`; it must call `confirmLeadership`. */
  grantLeadership(sessionId: string): void;
  /** The leadership is lost: stop acting as leader at once. */
  revokeLeadership(): void;
  /** The election itself failed (store unreachable for good). */
  handleError(error: Error): void;
}

export interface LeaderElection {
  /** Enters the contest; the contender hears of a grant through `grantLeadership`. */
  start(contender: LeaderContender): Promise<void>;
  /** Publishes `address` as the leader of session `sessionId` (ignored if that session is over). */
  confirmLeadership(sessionId: string, address: string): void;
  hasLeadership(sessionId: string): boolean;
  /** Leaves the contest, giving up any leadership held. */
  close(): Promise<void>;
}

export interface LeaderRetrieval {
  /** Calls `listener` with the current leader and at every change (undefined: none now). */
  start(listener: (leader: LeaderInformation | undefined) => void): void;
  close(): Promise<void>;
}

/** The JobManager components that elect a leader. */
export type LeaderComponent = 'resourcemanager' | 'dispatcher' | 'rest' | `jobmaster-${string}`;

/** Submitted jobs that must be recovered by the next leading Dispatcher. */
export interface JobGraphStore {
  put(jobId: string, record: Uint8Array): Promise<void>;
  get(jobId: string): Promise<Uint8Array | undefined>;
  remove(jobId: string): Promise<void>;
  jobIds(): Promise<string[]>;
}

/** Checkpoint ids of one job: strictly increasing, also across JobManager failovers. */
export interface CheckpointIdCounter {
  /** Returns the next id and moves past it. */
  getAndIncrement(): Promise<number>;
  get(): Promise<number>;
  /** Sets the next id (restoring from a savepoint continues after its id). */
  set(next: number): Promise<void>;
}

export interface HighAvailabilityServices {
  /** `none`, `zookeeper` or `etcd`. */
  readonly kind: string;
  leaderElection(component: LeaderComponent): LeaderElection;
  leaderRetrieval(component: LeaderComponent): LeaderRetrieval;
  jobGraphStore(): JobGraphStore;
  checkpointIdCounter(jobId: string): CheckpointIdCounter;
  /** Releases connections; what is stored stays for the next JobManager. */
  close(): Promise<void>;
}
