/**
 * Restart strategies, as Flink's: after each failure the JobMaster asks whether the job may
 * restart and after how long. `none` never restarts; `fixed-delay` restarts a fixed number of
 * times with a fixed wait; `failure-rate` restarts while fewer than N failures fall within the
 * interval; `exponential-delay` waits longer after each failure (with jitter, up to a maximum),
 * goes back to the initial wait after running long enough without failure, and gives up after
 * a number of attempts since that reset.
 */
import type { RestartStrategySpec } from '../../config/index.js';

export interface RestartDecision {
  readonly restart: boolean;
  /** Wait before restarting (0 when not restarting). */
  readonly delayMs: number;
  /** Why not, in words for the job's failure message. */
  readonly reason: string;
}

export interface RestartStrategy {
  /** Records a failure at `now` and decides. */
  onFailure(now: number): RestartDecision;
  /** Describes the strategy in Flink's words (REST job config). */
  describe(): string;
}

export function createRestartStrategy(spec: RestartStrategySpec, random: () => number = Math.random): RestartStrategy {
  switch (spec.type) {
    case 'none':
      return {
        onFailure: () => ({ restart: false, delayMs: 0, reason: 'the restart strategy is none (set restart-strategy.type to restart failed jobs)' }),
        describe: () => 'Restart deactivated.',
      };
    case 'fixed-delay': {
      let restarts = 0;
      return {
        onFailure: () => {
          if (restarts >= spec.attempts) {
            return { restart: false, delayMs: 0, reason: `the fixed-delay restart strategy allows ${spec.attempts} restart(s) and all were used` };
          }
          restarts++;
          return { restart: true, delayMs: spec.delayMs, reason: '' };
        },
        describe: () => `Restart with fixed delay (${spec.delayMs} ms). #${spec.attempts} restart attempts.`,
      };
    }
    case 'failure-rate': {
      const failures: number[] = [];
      return {
        onFailure: (now) => {
          failures.push(now);
          while (failures.length > 0 && failures[0]! <= now - spec.intervalMs) failures.shift();
          if (failures.length > spec.maxFailuresPerInterval) {
            return {
              restart: false,
              delayMs: 0,
              reason: `the failure-rate restart strategy allows ${spec.maxFailuresPerInterval} failure(s) per ${spec.intervalMs} ms and that rate was exceeded`,
            };
          }
          return { restart: true, delayMs: spec.delayMs, reason: '' };
        },
        describe: () => `Failure rate restart with maximum of ${spec.maxFailuresPerInterval} failures within interval ${spec.intervalMs} ms and fixed delay ${spec.delayMs} ms.`,
      };
    }
    case 'exponential-delay': {
      let backoff = spec.initialBackoffMs;
      let attempts = 0;
      let lastFailure: number | undefined;
      return {
        onFailure: (now) => {
          if (lastFailure !== undefined && now - lastFailure >= spec.resetBackoffThresholdMs) {
            backoff = spec.initialBackoffMs;
            attempts = 0;
          }
          lastFailure = now;
          if (attempts >= spec.attemptsBeforeReset) {
            return {
              restart: false,
              delayMs: 0,
              reason: `the exponential-delay restart strategy allows ${spec.attemptsBeforeReset} attempt(s) before its backoff resets and all were used`,
            };
          }
          attempts++;
          const jitter = backoff * spec.jitterFactor * (random() * 2 - 1);
          const delayMs = Math.max(0, Math.min(spec.maxBackoffMs, Math.round(backoff + jitter)));
          backoff = Math.min(spec.maxBackoffMs, backoff * spec.multiplier);
          return { restart: true, delayMs, reason: '' };
        },
        describe: () =>
          `Restart with exponential delay: starting at ${spec.initialBackoffMs} ms, increasing by ${spec.multiplier}, with maximum ${spec.maxBackoffMs} ms. ` +
          `Delay resets after ${spec.resetBackoffThresholdMs} ms with jitter ${spec.jitterFactor}.`,
      };
    }
  }
}
