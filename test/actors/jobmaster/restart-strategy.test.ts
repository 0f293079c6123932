import t from 'tap';
import { createRestartStrategy } from '../../../src/actors/jobmaster/restart-strategy.js';
import { Configuration, readRestartStrategy } from '../../../src/config/index.js';

const decisions = (s: ReturnType<typeof createRestartStrategy>, times: number[]) => times.map((now) => s.onFailure(now));

t.test('none never restarts and says how to change that', async (t) => {
  const d = createRestartStrategy({ type: 'none' }).onFailure(0);
  t.equal(d.restart, false);
  t.match(d.reason, /restart-strategy\.type/);
});

t.test('fixed-delay restarts `attempts` times with its delay, then gives up', async (t) => {
  const s = createRestartStrategy({ type: 'fixed-delay', attempts: 2, delayMs: 250 });
  t.same(decisions(s, [0, 1, 2]).map((d) => [d.restart, d.delayMs]), [[true, 250], [true, 250], [false, 0]]);
  t.equal(createRestartStrategy({ type: 'fixed-delay', attempts: 0, delayMs: 1 }).onFailure(0).restart, false);
});

t.test('failure-rate restarts while the failures within the interval stay at or under the maximum', async (t) => {
  const s = createRestartStrategy({ type: 'failure-rate', maxFailuresPerInterval: 2, intervalMs: 1000, delayMs: 5 });
  t.same(decisions(s, [0, 500]).map((d) => d.restart), [true, true]);
  t.equal(s.onFailure(900).restart, false, 'three failures within 1 s');
  const s2 = createRestartStrategy({ type: 'failure-rate', maxFailuresPerInterval: 2, intervalMs: 1000, delayMs: 5 });
  t.same(decisions(s2, [0, 500, 1200, 1600]).map((d) => d.restart), [true, true, true, true], 'old failures leave the window');
});

t.test('exponential-delay grows by the multiplier up to the maximum, resets after a quiet period, and counts attempts', async (t) => {
  const spec = { type: 'exponential-delay', initialBackoffMs: 100, maxBackoffMs: 500, multiplier: 2, resetBackoffThresholdMs: 10_000, jitterFactor: 0, attemptsBeforeReset: 10 } as const;
  const s = createRestartStrategy(spec);
  t.same(decisions(s, [0, 1, 2, 3, 4]).map((d) => d.delayMs), [100, 200, 400, 500, 500]);
  t.equal(s.onFailure(20_000).delayMs, 100, 'back to the initial backoff after the threshold');

  const limited = createRestartStrategy({ ...spec, attemptsBeforeReset: 2 });
  t.same(decisions(limited, [0, 1, 2]).map((d) => d.restart), [true, true, false]);

  const jittered = createRestartStrategy({ ...spec, jitterFactor: 0.5 }, () => 1);
  t.equal(jittered.onFailure(0).delayMs, 150, 'jitter adds up to factor × backoff');
  const jitteredDown = createRestartStrategy({ ...spec, jitterFactor: 0.5 }, () => 0);
  t.equal(jitteredDown.onFailure(0).delayMs, 50, 'and takes up to as much away');
});

t.test('the strategy comes from Flink keys; unset it follows checkpointing', async (t) => {
  t.same(readRestartStrategy(Configuration.fromRecord({})), { type: 'none' });
  t.equal(readRestartStrategy(Configuration.fromRecord({ 'execution.checkpointing.interval': '10 s' })).type, 'exponential-delay');
  t.same(readRestartStrategy(Configuration.fromRecord({ 'restart-strategy.type': 'fixed-delay', 'restart-strategy.fixed-delay.attempts': '3', 'restart-strategy.fixed-delay.delay': '2 s' })), {
    type: 'fixed-delay',
    attempts: 3,
    delayMs: 2000,
  });
  t.same(readRestartStrategy(Configuration.fromRecord({ 'restart-strategy.type': 'failurerate' })), {
    type: 'failure-rate',
    maxFailuresPerInterval: 1,
    intervalMs: 60_000,
    delayMs: 1000,
  });
});
