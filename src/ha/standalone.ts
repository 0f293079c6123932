/**
 * `high-availability.type: none`: one JobManager, found at the configured address. There is
 * nothing to contest, so every election grants at once — but each grant is still a fresh
 * session with a fresh token, so a restarted component (or a restarted JobManager process)
 * rejects what was meant for its previous incarnation, exactly as with a real store.
 *
 * Leaders elected in this process are retrievable here with their session. Another process
 * knows only the configured address (`jobmanager.rpc.address`, `jobmanager.rpc.port`), and
 * learns the session when it registers.
 * Job graphs and checkpoint counters live in memory: a standalone JobManager that dies takes
 * its jobs with it, as in Flink.
 */
import { randomUUID } from 'node:crypto';
import type {
  CheckpointIdCounter,
  HighAvailabilityServices,
  JobGraphStore,
  LeaderComponent,
  LeaderContender,
  LeaderElection,
  LeaderInformation,
  LeaderRetrieval,
} from './types.js';

type Listener = (leader: LeaderInformation | undefined) => void;

export class StandaloneHaServices implements HighAvailabilityServices {
  readonly kind = 'none';
  private readonly leaders = new Map<string, LeaderInformation>();
  private readonly listeners = new Map<string, Set<Listener>>();
  private readonly jobs = new InMemoryJobGraphStore();
  private readonly counters = new Map<string, InMemoryCheckpointIdCounter>();


  leaderElection(component: LeaderComponent): LeaderElection {
    let current: string | undefined;
    let closed = false;
    return {
      start: async (contender: LeaderContender) => {
        if (closed) throw new Error(`the leader election of ${component} is closed`);
        current = randomUUID();
        const granted = current;
        // As a real store would: the grant arrives later, never inside start().
        queueMicrotask(() => {
          if (!closed && current === granted) contender.grantLeadership(granted);
        });
      },
      confirmLeadership: (sessionId, address) => {
        if (closed || sessionId !== current) return;
        this.publish(component, { address, sessionId });
      },
      hasLeadership: (sessionId) => !closed && sessionId === current,
      close: async () => {
        if (closed) return;
        closed = true;
        const confirmed = this.leaders.get(component);
        if (confirmed !== undefined && confirmed.sessionId === current) this.publish(component, undefined);
        current = undefined;
      },
    };
  }

  leaderRetrieval(component: LeaderComponent): LeaderRetrieval {
    let listener: Listener | undefined;
    return {
      start: (l) => {
        listener = l;
        let set = this.listeners.get(component);
        if (set === undefined) this.listeners.set(component, (set = new Set()));
        set.add(l);
        l(this.leaders.get(component));
      },
      close: async () => {
        if (listener !== undefined) this.listeners.get(component)?.delete(listener);
        listener = undefined;
      },
    };
  }

  jobGraphStore(): JobGraphStore {
    return this.jobs;
  }

  checkpointIdCounter(jobId: string): CheckpointIdCounter {
    let counter = this.counters.get(jobId);
    if (counter === undefined) this.counters.set(jobId, (counter = new InMemoryCheckpointIdCounter()));
    return counter;
  }

  async close(): Promise<void> {
    this.listeners.clear();
  }

  private publish(component: string, leader: LeaderInformation | undefined): void {
    if (leader === undefined) this.leaders.delete(component);
    else this.leaders.set(component, leader);
    for (const listener of this.listeners.get(component) ?? []) listener(leader);
  }
}

class InMemoryJobGraphStore implements JobGraphStore {
  private readonly records = new Map<string, Uint8Array>();
  async put(jobId: string, record: Uint8Array): Promise<void> {
    this.records.set(jobId, record);
  }
  async get(jobId: string): Promise<Uint8Array | undefined> {
    return this.records.get(jobId);
  }
  async remove(jobId: string): Promise<void> {
    this.records.delete(jobId);
  }
  async jobIds(): Promise<string[]> {
    return [...this.records.keys()];
  }
}

class InMemoryCheckpointIdCounter implements CheckpointIdCounter {
  private next = 1;
  async getAndIncrement(): Promise<number> {
    return this.next++;
  }
  async get(): Promise<number> {
    return this.next;
  }
  async set(next: number): Promise<void> {
    this.next = next;
  }
}
