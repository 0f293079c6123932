/**
 * The ResourceManager: knows every registered TaskExecutor and the state of each slot, and
 * hands slots to JobMasters. A request that cannot be met waits until slots free up or
 * TaskManagers register, up to its timeout.
 */
import { randomBytes } from 'node:crypto';
import { Actor } from '../system/actor.js';
import type { Handlers } from '../system/protocol.js';
import { NotEnoughSlotsError } from './errors.js';
import { ResourceManagerProtocol, type ResourceManagerSpec } from './protocol.js';

interface Registration {
  readonly resourceId: string;
  readonly taskExecutor: string;
  readonly registeredAt: number;
  /** The job each slot is allocated to, or undefined when free. */
  readonly slots: Array<string | undefined>;
}

interface Waiting {
  readonly jobId: string;
  readonly count: number;
  readonly resolve: (slots: Array<{ resourceId: string; taskExecutor: string; slot: number; allocationId: string }>) => void;
  readonly timer: { cancel(): void };
}

export class ResourceManager extends Actor<ResourceManagerSpec> {
  readonly protocol = ResourceManagerProtocol;
  private readonly executors = new Map<string, Registration>();
  private waiting: Waiting[] = [];

  readonly receive: Handlers<ResourceManagerSpec> = {
    registerTaskExecutor: ({ resourceId, taskExecutor, slots }) => {
      this.executors.set(resourceId, { resourceId, taskExecutor, registeredAt: this.ctx.clock.now(), slots: Array.from({ length: slots }, () => undefined) });
      this.ctx.log.info({ resourceId, taskExecutor, slots }, 'registered TaskExecutor');
      this.serveWaiting();
      return { registered: true };
    },
    allocateSlots: ({ jobId, count, timeoutMs }) => {
      const slots = this.tryAllocate(jobId, count);
      if (slots !== undefined) return { slots };
      return new Promise((resolve, reject) => {
        const timer = this.ctx.clock.schedule(timeoutMs, () => {
          this.waiting = this.waiting.filter((w) => w.jobId !== jobId);
          reject(new NotEnoughSlotsError(jobId, count, this.freeSlots(), timeoutMs));
        });
        this.waiting.push({ jobId, count, resolve: (s) => resolve({ slots: s }), timer });
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
      })),
    overview: () => {
      let total = 0;
      for (const r of this.executors.values()) total += r.slots.length;
      return { taskManagers: this.executors.size, slotsTotal: total, slotsFree: this.freeSlots() };
    },
  };

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
