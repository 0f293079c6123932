/**
 * The ResourceManager: knows every registered TaskExecutor and the state of each slot, and
 * hands slots to JobMasters. A request that cannot be met waits until slots free up or
 * TaskManagers register, up to its timeout.
 *
 * It leads under a session from the HA services and is fenced by it. It heartbeats every
 * registered TaskExecutor (the answer is the slot report); one silent for `heartbeat.timeout`
 * is dropped with its slots, and must register again.
 */
import { randomBytes } from 'node:crypto';
import { acceptLeadership, contend, LeadershipMessages, type LeaderElection } from '../../ha/index.js';
import { Type } from '@sinclair/typebox';
import { Actor } from '../system/actor.js';
import { HeartbeatMonitor, type HeartbeatSettings } from '../system/heartbeat.js';
import { defineProtocol, type Handlers } from '../system/protocol.js';
import { TaskExecutorProtocol } from '../taskexecutor/protocol.js';
import { NotEnoughSlotsError } from './errors.js';
import { ResourceManagerProtocol, type ResourceManagerSpec } from './protocol.js';

export interface ResourceManagerSettings {
  readonly election: LeaderElection;
  readonly heartbeat: HeartbeatSettings;
  readonly askTimeoutMs: number;
}

interface Registration {
  readonly resourceId: string;
  readonly taskExecutor: string;
  readonly registeredAt: number;
  lastHeartbeat: number;
  /** The job each slot is allocated to, or undefined when free. */
  readonly slots: Array<string | undefined>;
}

interface Waiting {
  readonly jobId: string;
  readonly count: number;
  readonly resolve: (slots: Array<{ resourceId: string; taskExecutor: string; slot: number; allocationId: string }>) => void;
  readonly reject: (error: Error) => void;
  readonly timer: { cancel(): void };
}

const Internal = defineProtocol('resourcemanager-internal', {
  ...LeadershipMessages.spec,
  taskExecutorTimedOut: { request: Type.Object({ resourceId: Type.String(), silentForMs: Type.Number() }) },
  slotReport: { request: Type.Object({ resourceId: Type.String(), slots: Type.Array(Type.Union([Type.String(), Type.Null()])) }) },
});
type Spec = ResourceManagerSpec & typeof Internal.spec;
const Protocol = defineProtocol('resourcemanager', { ...ResourceManagerProtocol.spec, ...Internal.spec });

export class ResourceManager extends Actor<Spec> {
  readonly protocol = Protocol;
  override readonly fenced = true;
  private readonly executors = new Map<string, Registration>();
  private waiting: Waiting[] = [];
  /** Registrations that arrived before this ResourceManager led. */
  private readonly registering: Array<() => void> = [];
  private heartbeats: HeartbeatMonitor<{ readonly slots: Array<string | null> }> | undefined;

  constructor(private readonly settings: ResourceManagerSettings) {
    super();
  }

  override async preStart(): Promise<void> {
    this.heartbeats = new HeartbeatMonitor(this.ctx.clock, this.settings.heartbeat, (resourceId, silentForMs) =>
      this.ctx.tellSelf({ type: 'taskExecutorTimedOut', resourceId, silentForMs }),
    );
    await contend(this.ctx, this.settings.election);
  }

  override async postStop(): Promise<void> {
    this.heartbeats?.stop();
    await this.settings.election.close();
  }

  readonly receive: Handlers<Spec> = {
    grantLeadership: ({ sessionId }) => {
      if (!acceptLeadership(this.ctx, this.settings.election, sessionId)) return;
      this.ctx.log.info(`ResourceManager ${this.ctx.self.path} leads under session ${sessionId}`);
      for (const register of this.registering.splice(0)) register();
    },
    revokeLeadership: () => {
      this.ctx.log.warn('ResourceManager lost its leadership; dropping every TaskExecutor and slot request');
      this.ctx.setFencingToken(null);
      this.heartbeats?.stop();
      this.executors.clear();
      for (const w of this.waiting.splice(0)) {
        w.timer.cancel();
        w.reject(new Error('the ResourceManager lost its leadership; the JobMaster asks the new leader'));
      }
    },
    registerTaskExecutor: ({ resourceId, taskExecutor, slots }) => {
      // Not leading yet (being elected): the registration is answered once it leads.
      if (this.ctx.fencingToken === null) {
        return new Promise<{ registered: boolean; resourceManagerId: string }>((resolve) =>
          this.registering.push(() => resolve(this.register(resourceId, taskExecutor, slots))),
        );
      }
      return this.register(resourceId, taskExecutor, slots);
    },
    slotReport: ({ resourceId }) => {
      const r = this.executors.get(resourceId);
      if (r !== undefined) r.lastHeartbeat = this.ctx.clock.now();
    },
    taskExecutorTimedOut: ({ resourceId, silentForMs }) => {
      this.drop(resourceId, `no heartbeat for ${silentForMs} ms (heartbeat.timeout)`);
    },
    disconnectTaskExecutor: ({ resourceId, reason }) => this.drop(resourceId, reason),
    allocateSlots: ({ jobId, count, timeoutMs }) => {
      const slots = this.tryAllocate(jobId, count);
      if (slots !== undefined) return { slots };
      return new Promise((resolve, reject) => {
        const timer = this.ctx.clock.schedule(timeoutMs, () => {
          this.waiting = this.waiting.filter((w) => w.jobId !== jobId);
          reject(new NotEnoughSlotsError(jobId, count, this.freeSlots(), timeoutMs));
        });
        this.waiting.push({ jobId, count, resolve: (s) => resolve({ slots: s }), reject, timer });
      });
    },
    releaseSlots: ({ jobId }) => {
      for (const r of this.executors.values()) {
        for (let i = 0; i < r.slots.length; i++) if (r.slots[i] === jobId) r.slots[i] = undefined;
      }
      this.serveWaiting();
    },
    listTaskManagers: () =>
      [...this.executors.values()].map((r) => ({
        resourceId: r.resourceId,
        taskExecutor: r.taskExecutor,
        slots: r.slots.length,
        freeSlots: r.slots.filter((s) => s === undefined).length,
        registeredAt: r.registeredAt,
        lastHeartbeat: r.lastHeartbeat,
        allocated: r.slots.flatMap((jobId, slot) => (jobId === undefined ? [] : [{ jobId, slot }])),
      })),
    overview: () => {
      let total = 0;
      for (const r of this.executors.values()) total += r.slots.length;
      return { taskManagers: this.executors.size, slotsTotal: total, slotsFree: this.freeSlots() };
    },
  };

  private register(resourceId: string, taskExecutor: string, slots: number): { registered: boolean; resourceManagerId: string } {
    const token = this.ctx.fencingToken!;
    const now = this.ctx.clock.now();
    const earlier = this.executors.get(resourceId);
    // A TaskExecutor registering again keeps the allocations it had.
    const registration: Registration = { resourceId, taskExecutor, registeredAt: now, lastHeartbeat: now, slots: Array.from({ length: slots }, () => undefined) };
    if (earlier !== undefined && earlier.taskExecutor === taskExecutor) {
      for (let i = 0; i < Math.min(slots, earlier.slots.length); i++) registration.slots[i] = earlier.slots[i];
    }
    this.executors.set(resourceId, registration);
    const te = this.ctx.system.ref(TaskExecutorProtocol, taskExecutor);
    this.heartbeats?.monitor(
      resourceId,
      () => this.ctx.ask(te, { type: 'heartbeatFromResourceManager', resourceManagerId: token }, this.settings.heartbeat.intervalMs),
      (report) => this.ctx.tellSelf({ type: 'slotReport', resourceId, slots: report.slots }),
    );
    this.ctx.log.info({ resourceId, taskExecutor, slots }, `registered TaskExecutor ${resourceId} with ${slots} slot(s)`);
    this.serveWaiting();
    return { registered: true, resourceManagerId: token };
  }

  private drop(resourceId: string, reason: string): void {
    const r = this.executors.get(resourceId);
    if (r === undefined) return;
    this.executors.delete(resourceId);
    this.heartbeats?.unmonitor(resourceId);
    this.ctx.log.warn({ resourceId }, `TaskExecutor ${resourceId} at ${r.taskExecutor} is gone (${reason}); its ${r.slots.length} slot(s) are no longer offered`);
  }

  private freeSlots(): number {
    let free = 0;
    for (const r of this.executors.values()) for (const s of r.slots) if (s === undefined) free++;
    return free;
  }

  /** Spreads a job's slots over TaskExecutors, taking turns, so parallel work uses every machine. */
  private tryAllocate(jobId: string, count: number) {
    if (this.freeSlots() < count) return undefined;
    const picked: Array<{ resourceId: string; taskExecutor: string; slot: number; allocationId: string }> = [];
    const executors = [...this.executors.values()];
    while (picked.length < count) {
      for (const r of executors) {
        if (picked.length === count) break;
        const slot = r.slots.indexOf(undefined);
        if (slot < 0) continue;
        r.slots[slot] = jobId;
        picked.push({ resourceId: r.resourceId, taskExecutor: r.taskExecutor, slot, allocationId: randomBytes(16).toString('hex') });
      }
    }
    return picked;
  }

  private serveWaiting(): void {
    const still: Waiting[] = [];
    for (const w of this.waiting) {
      const slots = this.tryAllocate(w.jobId, w.count);
      if (slots === undefined) still.push(w);
      else {
        w.timer.cancel();
        w.resolve(slots);
      }
    }
    this.waiting = still;
  }
}
