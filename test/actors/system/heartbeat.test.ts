import t from 'tap';
import { ActorSystem, HeartbeatMonitor, ManualClock } from '../../../src/actors/system/index.js';
import { MemoryNetwork } from '../../../src/net/index.js';
import { EchoActor, EchoProtocol } from '../../fixtures/echo-actor.js';

const SETTINGS = { intervalMs: 100, timeoutMs: 500 };

t.test('a target that keeps answering is never reported', async (t) => {
  const clock = new ManualClock();
  const lost: string[] = [];
  const monitor = new HeartbeatMonitor(clock, SETTINGS, (id) => lost.push(id));
  let probes = 0;
  monitor.monitor('tm-1', async () => void probes++);
  for (let i = 0; i < 50; i++) {
    clock.advance(100);
    await Promise.resolve();
  }
  t.equal(lost.length, 0);
  t.equal(probes, 51, 'probed once at start and once per interval');
  monitor.stop();
  t.equal(clock.timers, 0, 'stop cancels every timer');
});

t.test('a silent target is reported once, exactly heartbeat.timeout after it was last heard', async (t) => {
  const clock = new ManualClock();
  const lost: Array<{ id: string; silentFor: number; at: number }> = [];
  const monitor = new HeartbeatMonitor(clock, SETTINGS, (id, silentFor) => lost.push({ id, silentFor, at: clock.now() }));
  let alive = true;
  monitor.monitor('tm-1', () => (alive ? Promise.resolve() : new Promise(() => {})));
  clock.advance(300);
  await Promise.resolve();
  const lastHeard = clock.now();
  alive = false;
  clock.advance(499);
  t.equal(lost.length, 0, 'not before the timeout');
  clock.advance(1);
  t.equal(lost.length, 1);
  t.equal(lost[0]!.at - lastHeard, 500);
  t.equal(lost[0]!.silentFor, 500);
  clock.advance(10_000);
  t.equal(lost.length, 1, 'reported only once');
  t.notOk(monitor.isMonitoring('tm-1'));
});

t.test('a heartbeat received by other means keeps a target alive', async (t) => {
  const clock = new ManualClock();
  const lost: string[] = [];
  const monitor = new HeartbeatMonitor(clock, SETTINGS, (id) => lost.push(id));
  monitor.monitor('jm', () => new Promise(() => {}));
  for (let i = 0; i < 20; i++) {
    clock.advance(400);
    monitor.heard('jm');
  }
  t.equal(lost.length, 0);
  clock.advance(500);
  t.same(lost, ['jm']);
});

t.test('an expected target is never probed; its own heartbeats keep it alive and silence reports it', async (t) => {
  const clock = new ManualClock();
  const lost: string[] = [];
  const monitor = new HeartbeatMonitor(clock, SETTINGS, (id) => lost.push(id));
  monitor.expect('resourcemanager');
  for (let i = 0; i < 10; i++) {
    clock.advance(450);
    monitor.heard('resourcemanager');
  }
  t.equal(lost.length, 0);
  t.equal(clock.timers, 1, 'only the deadline is scheduled, no probe interval');
  clock.advance(500);
  t.same(lost, ['resourcemanager']);
  t.equal(clock.timers, 0);
});

t.test('settings where the timeout does not exceed the interval are refused', async (t) => {
  t.throws(() => new HeartbeatMonitor(new ManualClock(), { intervalMs: 500, timeoutMs: 500 }, () => {}), /heartbeat.timeout/);
});

t.test('death-watch across systems reports a partitioned peer as lost, through heartbeats', async (t) => {
  const clock = new ManualClock();
  const net = new MemoryNetwork();
  const a = await ActorSystem.start({ transport: net.transport('a'), clock, heartbeat: SETTINGS });
  const b = await ActorSystem.start({ transport: net.transport('b'), clock, heartbeat: SETTINGS });
  t.teardown(async () => {
    await a.terminate();
    await b.terminate();
  });
  const watcher = a.spawn('watcher', () => new EchoActor());
  const target = b.spawn('target', () => new EchoActor());
  const targetFromA = a.ref(EchoProtocol, target.path);
  const terminations = () => a.ask(watcher, { type: 'terminations' }, 1000);

  await a.ask(watcher, { type: 'watch', path: targetFromA.path }, 1000);
  for (let i = 0; i < 10; i++) {
    clock.advance(100);
    await a.settle();
  }
  t.same(await terminations(), [], 'alive while heartbeats are answered');

  net.partition(b.endpoint);
  for (let i = 0; i < 6; i++) {
    clock.advance(100);
    await a.settle();
  }
  t.same(await terminations(), [`${target.path} peer-lost`]);
});

t.test('death-watch across systems reports a remote actor that stops', async (t) => {
  const net = new MemoryNetwork();
  const a = await ActorSystem.start({ transport: net.transport('a'), heartbeat: SETTINGS });
  const b = await ActorSystem.start({ transport: net.transport('b'), heartbeat: SETTINGS });
  t.teardown(async () => {
    await a.terminate();
    await b.terminate();
  });
  const watcher = a.spawn('watcher', () => new EchoActor());
  const target = b.spawn('target', () => new EchoActor());
  await a.ask(watcher, { type: 'watch', path: target.path }, 1000);
  await a.settle();
  await b.settle();
  await b.stop(target);
  await b.settle();
  await a.settle();
  t.same(await a.ask(watcher, { type: 'terminations' }, 1000), [`${target.path} stopped`]);
  await a.ask(watcher, { type: 'watch', path: `${b.endpoint}/never-existed` }, 1000);
  await b.settle();
  await a.settle();
  t.same(await a.ask(watcher, { type: 'terminations' }, 1000), [`${target.path} stopped`, `${b.endpoint}/never-existed unknown`]);
});
