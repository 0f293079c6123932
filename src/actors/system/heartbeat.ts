/**
 * Heartbeats: a monitor probes each target every `heartbeat.interval` and reports a target it
 * has not heard from for `heartbeat.timeout`. The deadline restarts at every answer, so a peer
 * that dies is reported at most `timeout` after its last answer. The probe is any ask: the
 * system actor's ping by default, or a component's own heartbeat carrying a payload (slot
 * reports, accumulators) — the monitor does not care what the answer holds.
 */
import type { Cancellable, Clock } from './clock.js';

export interface HeartbeatSettings {
  /** `heartbeat.interval`: time between probes. */
  readonly intervalMs: number;
  /** `heartbeat.timeout`: silence after which a target is reported lost. */
  readonly timeoutMs: number;
}

export const DEFAULT_HEARTBEAT: HeartbeatSettings = { intervalMs: 10_000, timeoutMs: 50_000 };

interface Target<P> {
  /** Undefined for a target that is only expected to send (see `expect`). */
  readonly probe: (() => Promise<P>) | undefined;
  readonly onAnswer: ((payload: P) => void) | undefined;
  lastHeard: number;
  interval: Cancellable | undefined;
  deadline: Cancellable | undefined;
}

export class HeartbeatMonitor<P = unknown> {
  private readonly targets = new Map<string, Target<P>>();

  constructor(
    private readonly clock: Clock,
    private readonly settings: HeartbeatSettings,
    /** Called once for a target that stayed silent too long; it is no longer monitored. */
    private readonly onTimeout: (id: string, silentForMs: number) => void,
  ) {
    if (!(settings.intervalMs > 0) || !(settings.timeoutMs > settings.intervalMs)) {
      throw new Error(
        `heartbeat.timeout (${settings.timeoutMs} ms) must be greater than heartbeat.interval (${settings.intervalMs} ms), and both positive`,
      );
    }
  }

  /** Starts probing `id`; replaces an earlier registration of the same id. */
  monitor(id: string, probe: () => Promise<P>, onAnswer?: (payload: P) => void): void {
    this.unmonitor(id);
    const target: Target<P> = { probe, onAnswer, lastHeard: this.clock.now(), interval: undefined, deadline: undefined };
    this.targets.set(id, target);
    this.resetDeadline(id, target);
    this.tick(id, target);
  }

  /**
   * Watches `id` without probing it: the peer sends its own heartbeats, each reported with
   * `heard(id)`; silence for `heartbeat.timeout` reports it lost. Replaces an earlier entry.
   */
  expect(id: string): void {
    this.unmonitor(id);
    const target: Target<P> = { probe: undefined, onAnswer: undefined, lastHeard: this.clock.now(), interval: undefined, deadline: undefined };
    this.targets.set(id, target);
    this.resetDeadline(id, target);
  }

  unmonitor(id: string): void {
    const target = this.targets.get(id);
    if (target === undefined) return;
    target.interval?.cancel();
    target.deadline?.cancel();
    this.targets.delete(id);
  }

  /** Counts a sign of life that arrived by other means (e.g. the target's own heartbeat). */
  heard(id: string): void {
    const target = this.targets.get(id);
    if (target === undefined) return;
    target.lastHeard = this.clock.now();
    this.resetDeadline(id, target);
  }

  isMonitoring(id: string): boolean {
    return this.targets.has(id);
  }

  stop(): void {
    for (const id of [...this.targets.keys()]) this.unmonitor(id);
  }

  private tick(id: string, target: Target<P>): void {
    if (target.probe === undefined) return;
    target.probe().then(
      (payload) => {
        if (this.targets.get(id) !== target) return;
        this.heard(id);
        target.onAnswer?.(payload);
      },
      () => {
        // An unanswered probe is just silence; the deadline decides.
      },
    );
    target.interval = this.clock.schedule(this.settings.intervalMs, () => {
      if (this.targets.get(id) === target) this.tick(id, target);
    });
  }

  private resetDeadline(id: string, target: Target<P>): void {
    target.deadline?.cancel();
    target.deadline = this.clock.schedule(this.settings.timeoutMs, () => {
      if (this.targets.get(id) !== target) return;
      this.unmonitor(id);
      this.onTimeout(id, this.clock.now() - target.lastHeard);
    });
  }
}
