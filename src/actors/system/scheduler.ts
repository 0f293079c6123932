/**
 * Runs ready mailboxes. Work starts in a microtask (so a message sent in this tick is handled
 * right after it, with no timer hop), handles at most `throughput` messages per actor before
 * moving to the next ready actor, and yields to I/O through setImmediate once a turn has used
 * its time budget — so actors that keep messaging each other cannot starve the sockets.
 */
import type { ActorCell } from './cell.js';

export class MailboxScheduler {
  private ready: ActorCell[] = [];
  private head = 0;
  private scheduled = false;
  private deferred = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(
    private readonly throughput = 64,
    private readonly budgetMs = 5,
  ) {}

  schedule(cell: ActorCell): void {
    if (cell.queued) return;
    cell.queued = true;
    this.ready.push(cell);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.run);
    }
  }

  get idle(): boolean {
    return !this.scheduled;
  }

  /** True from a turn that ran out of time budget until the ready queue is empty again. */
  get behind(): boolean {
    return this.deferred;
  }

  private readonly run = (): void => {
    const deadline = performance.now() + this.budgetMs;
    let turns = 0;
    while (this.head < this.ready.length) {
      const cell = this.ready[this.head++]!;
      cell.queued = false;
      cell.processBatch(this.throughput);
      if (cell.hasWork) this.schedule(cell);
      if (++turns % 16 === 0 && performance.now() > deadline) {
        this.ready = this.ready.slice(this.head);
        this.head = 0;
        this.deferred = true;
        setImmediate(this.run);
        return;
      }
    }
    this.ready = [];
    this.head = 0;
    this.scheduled = false;
    this.deferred = false;
    for (const resolve of this.idleWaiters.splice(0)) resolve();
  };
}
