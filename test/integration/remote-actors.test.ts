/**
 * The actor system between two OS processes over real ZeroMQ: this test process and a peer
 * (test/fixtures/peer.ts) started for each test and killed by pid at its end.
 */
import t, { type Test } from 'tap';
import { fileURLToPath } from 'node:url';
import {
  ActorSystem,
  AskTimeoutError,
  FencingTokenMismatchError,
  HeartbeatMonitor,
  newFencingToken,
  RemoteActorError,
  systemClock,
} from '../../src/actors/system/index.js';
import { ZmqTransport } from '../../src/net/index.js';
import { EchoActor, EchoProtocol, SupervisorProtocol } from '../fixtures/echo-actor.js';
import { eventually, startNode, type Child } from '../helpers/process.js';

const PEER = fileURLToPath(new URL('../fixtures/peer.ts', import.meta.url));
const HEARTBEAT = { intervalMs: 100, timeoutMs: 1000 };

async function localSystem(t: Test): Promise<ActorSystem> {
  const system = await ActorSystem.start({ transport: new ZmqTransport({ host: '127.0.0.1', port: 0 }), heartbeat: HEARTBEAT });
  t.teardown(() => system.terminate());
  return system;
}

async function startPeer(t: Test, port = 0): Promise<{ child: Child; endpoint: string }> {
  const child = startNode(t, PEER, ['--port', String(port)]);
  const line = await child.waitForLine(/^@@ready /);
  return { child, endpoint: line.split(' ')[1]! };
}

t.test('tell and ask work in both directions between two processes', async (t) => {
  const local = await localSystem(t);
  const localEcho = local.spawn('echo', () => new EchoActor());
  const { endpoint } = await startPeer(t);
  const remoteEcho = local.ref(EchoProtocol, endpoint, 'echo');

  for (let i = 1; i <= 10; i++) local.tell(remoteEcho, { type: 'add', n: i });
  t.equal(await local.ask(remoteEcho, { type: 'count' }, 5000), 55, 'our tells reached the peer in order');
  t.equal(await local.ask(remoteEcho, { type: 'echo', text: 'über ✓' }, 5000), 'über ✓');

  local.tell(remoteEcho, { type: 'forward', to: localEcho.path, n: 42 });
  await eventually(async () => ((await local.ask(localEcho, { type: 'count' }, 1000)) === 42 ? true : undefined), 5000, 'the peer told us');
  t.pass('the peer told our actor');
  t.equal(
    await local.ask(remoteEcho, { type: 'askOther', to: localEcho.path, text: 'round trip' }, 5000),
    'round trip',
    'the peer asked our actor and relayed the reply',
  );
});

t.test('an ask the peer never answers times out naming target, type and time waited', async (t) => {
  const local = await localSystem(t);
  const { endpoint } = await startPeer(t);
  const remoteEcho = local.ref(EchoProtocol, endpoint, 'echo');
  const started = Date.now();
  const err = await local.ask(remoteEcho, { type: 'ignore' }, 300).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof AskTimeoutError, 'an AskTimeoutError');
  t.equal((err as AskTimeoutError).target, `${endpoint}/echo`);
  t.equal((err as AskTimeoutError).messageType, 'ignore');
  t.match((err as Error).message, `Ask of 'ignore' to ${endpoint}/echo timed out after 300 ms`);
  t.ok(Date.now() - started >= 290, 'not before the timeout');
});

t.test("a remote handler's exception arrives as a typed error with the remote stack", async (t) => {
  const local = await localSystem(t);
  const { endpoint } = await startPeer(t);
  const remoteEcho = local.ref(EchoProtocol, endpoint, 'echo');
  const err = await local.ask(remoteEcho, { type: 'crash', message: 'kaboom' }, 5000).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof RemoteActorError, 'a RemoteActorError');
  const remote = err as RemoteActorError;
  t.equal(remote.remoteName, 'TypeError');
  t.equal(remote.message, 'kaboom');
  t.match(remote.remoteStack, /echo-actor\.ts/, 'the remote stack names the throwing handler');
  t.match(remote.stack, /TypeError: kaboom/);
});

t.test('a fenced remote actor rejects a stale fencing token with a specific error', async (t) => {
  const local = await localSystem(t);
  const { endpoint } = await startPeer(t);
  const leader = local.ref(EchoProtocol, endpoint, 'leader');
  const stale = newFencingToken();
  const current = newFencingToken();
  await local.ask(leader, { type: 'lead', token: current }, 5000);
  const err = await local.ask(leader.withFencingToken(stale), { type: 'count' }, 5000).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof FencingTokenMismatchError, 'rebuilt as FencingTokenMismatchError');
  t.equal((err as FencingTokenMismatchError).received, stale);
  t.equal((err as FencingTokenMismatchError).expected, current);
  t.equal(await local.ask(leader.withFencingToken(current), { type: 'count' }, 5000), 0, 'the current token is accepted');
});

t.test('a supervised remote actor that throws is restarted; one that throws too often escalates', async (t) => {
  const local = await localSystem(t);
  const { child, endpoint } = await startPeer(t);
  const parent = local.ref(SupervisorProtocol, endpoint, 'parent');
  const kidPath = await local.ask(parent, { type: 'startChild', name: 'kid', maxRestarts: 2, withinMs: 60_000 }, 5000);
  const kid = local.ref(EchoProtocol, kidPath);
  for (let i = 0; i < 2; i++) {
    local.tell(kid, { type: 'add', n: 5 });
    t.equal(await local.ask(kid, { type: 'count' }, 5000), 5);
    await t.rejects(local.ask(kid, { type: 'crash', message: `crash ${i}` }, 5000), RemoteActorError);
    t.equal(await local.ask(kid, { type: 'count' }, 5000), 0, `restarted with fresh state after crash ${i}`);
  }
  await t.rejects(local.ask(kid, { type: 'crash', message: 'third' }, 5000), RemoteActorError);
  const line = await child.waitForLine(/^@@escalation /);
  t.ok(line.startsWith(`@@escalation ${endpoint}/parent `), 'the parent escalated to the root');
  t.match(line, `EscalationError: Actor ${endpoint}/parent/kid failed after 2 restarts within 60000 ms: TypeError: third`, 'naming the child and its error');
});

t.test('a peer killed with SIGKILL is reported by the heartbeat within heartbeat.timeout, and reachable again once restarted', async (t) => {
  const local = await localSystem(t);
  const watcher = local.spawn('watcher', () => new EchoActor());
  const { child, endpoint } = await startPeer(t);
  const port = Number(endpoint.slice(endpoint.lastIndexOf(':') + 1));
  const remoteEcho = local.ref(EchoProtocol, endpoint, 'echo');
  local.tell(remoteEcho, { type: 'add', n: 3 });
  t.equal(await local.ask(remoteEcho, { type: 'count' }, 5000), 3);
  await local.ask(watcher, { type: 'watch', path: remoteEcho.path }, 5000);

  let lostAt = 0;
  const monitor = new HeartbeatMonitor(systemClock, HEARTBEAT, () => (lostAt = Date.now()));
  t.teardown(() => monitor.stop());
  const ping = local.systemActor(endpoint);
  monitor.monitor(endpoint, () => local.ask(ping, { type: 'ping' }, HEARTBEAT.timeoutMs));
  // Let a few heartbeats go through first: the peer is alive and answering.
  await eventually(() => (local.stats().transport.envelopesIn > 6 ? true : undefined), 5000);
  t.equal(lostAt, 0, 'not reported while alive');

  const killedAt = Date.now();
  child.kill('SIGKILL');
  await child.exited;
  await eventually(() => (lostAt > 0 ? true : undefined), 5000, 'heartbeat timeout');
  const detectedAfter = lostAt - killedAt;
  t.ok(detectedAfter <= HEARTBEAT.timeoutMs + 150, `reported ${detectedAfter} ms after the kill (timeout ${HEARTBEAT.timeoutMs} ms)`);
  t.ok(detectedAfter >= HEARTBEAT.timeoutMs - HEARTBEAT.intervalMs - 50, 'not reported before the timeout could have run out');

  const terminations = await eventually(async () => {
    const list = await local.ask(watcher, { type: 'terminations' }, 1000);
    return list.length > 0 ? list : undefined;
  }, 5000, 'death-watch');
  t.same(terminations, [`${remoteEcho.path} peer-lost`], 'death-watch reported the lost peer');

  await startPeer(t, port);
  const count = await eventually(() => local.ask(remoteEcho, { type: 'count' }, 1000), 10_000, 'the restarted peer answers');
  t.equal(count, 0, 'a new incarnation answers at the same address');
});
