import t, { type Test } from 'tap';
import {
  ActorSystem,
  ActorStoppedError,
  AskTimeoutError,
  EscalationError,
  FencingTokenMismatchError,
  ManualClock,
  newFencingToken,
  RequestError,
  UnknownActorError,
} from '../../../src/actors/system/index.js';
import { MemoryNetwork } from '../../../src/net/index.js';
import { EchoActor, EchoProtocol, FencedEchoActor, SupervisorActor } from '../../fixtures/echo-actor.js';

async function system(t: Test, clock?: ManualClock, onEscalation?: (e: Error, path: string) => void) {
  const net = new MemoryNetwork();
  const s = await ActorSystem.start({ transport: net.transport(), ...(clock ? { clock } : {}), ...(onEscalation ? { onEscalation } : {}) });
  t.teardown(() => s.terminate());
  return s;
}

t.test('tells are handled one at a time in the order sent, and an ask sees their effect', async (t) => {
  const s = await system(t);
  const echo = s.spawn('echo', () => new EchoActor());
  for (let i = 1; i <= 100; i++) s.tell(echo, { type: 'add', n: i });
  t.equal(await s.ask(echo, { type: 'count' }, 1000), 5050);
  t.equal(await s.ask(echo, { type: 'echo', text: 'hi' }, 1000), 'hi');
});

t.test('an ask with no reply fails after its timeout, naming target, type and time waited', async (t) => {
  const clock = new ManualClock();
  const s = await system(t, clock);
  const echo = s.spawn('echo', () => new EchoActor());
  const pending = s.ask(echo, { type: 'ignore' }, 250);
  await s.settle();
  clock.advance(249);
  await s.settle();
  clock.advance(1);
  const err = await pending.then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof AskTimeoutError);
  const timeout = err as AskTimeoutError;
  t.equal(timeout.target, `${s.endpoint}/echo`);
  t.equal(timeout.messageType, 'ignore');
  t.equal(timeout.timeoutMs, 250);
  t.match(timeout.message, /'ignore'.*\/echo.*250 ms/);
  t.match(timeout.stack, /local\.test\.ts/, 'the stack points at the caller');
});

t.test('an ask to an actor that does not exist fails at once', async (t) => {
  const s = await system(t);
  const ghost = s.ref(EchoProtocol, s.endpoint, 'ghost');
  await t.rejects(s.ask(ghost, { type: 'count' }, 60_000), UnknownActorError);
});

t.test('a RequestError is replied and leaves the actor and its state alone', async (t) => {
  const s = await system(t);
  const echo = s.spawn('echo', () => new EchoActor());
  s.tell(echo, { type: 'add', n: 7 });
  await t.rejects(s.ask(echo, { type: 'reject', message: 'bad input' }, 1000), { name: 'RequestError', message: 'bad input' });
  t.ok(new RequestError('x') instanceof Error);
  t.equal(await s.ask(echo, { type: 'count' }, 1000), 7, 'state kept: no restart');
});

t.test('a handler that throws is replied with its error and the actor restarts with fresh state', async (t) => {
  const s = await system(t);
  const echo = s.spawn('echo', () => new EchoActor(), { supervision: { maxRestarts: 3, withinMs: 60_000 } });
  s.tell(echo, { type: 'add', n: 7 });
  await t.rejects(s.ask(echo, { type: 'crash', message: 'boom' }, 1000), { name: 'TypeError', message: 'boom' });
  t.equal(await s.ask(echo, { type: 'count' }, 1000), 0, 'fresh state after the restart');
});

t.test('a child that fails too often is stopped and its supervisor escalates', async (t) => {
  const clock = new ManualClock();
  const escalations: Array<{ error: Error; path: string }> = [];
  const s = await system(t, clock, (error, path) => escalations.push({ error, path }));
  const parent = s.spawn('parent', () => new SupervisorActor(), { supervision: { maxRestarts: 0, withinMs: 1000 } });
  const childPath = await s.ask(parent, { type: 'startChild', name: 'kid', maxRestarts: 2, withinMs: 10_000 }, 1000);
  const child = s.ref(EchoProtocol, childPath);
  t.equal(child.name, 'parent/kid');
  for (let i = 0; i < 2; i++) {
    await t.rejects(s.ask(child, { type: 'crash', message: `crash ${i}` }, 1000), TypeError);
    t.equal(await s.ask(child, { type: 'count' }, 1000), 0, `restarted after crash ${i}`);
  }
  await t.rejects(s.ask(child, { type: 'crash', message: 'one too many' }, 1000), TypeError);
  await s.settle();
  t.equal(escalations.length, 1, 'the root supervisor escalated to the system');
  t.ok(escalations[0]!.error instanceof EscalationError);
  t.equal(escalations[0]!.path, `${s.endpoint}/parent`);
  t.match(escalations[0]!.error.message, /parent\/kid failed after 2 restarts/);
  t.notOk(s.has('parent/kid'), 'the child is stopped');
  t.notOk(s.has('parent'), 'the parent, allowed no restarts, is stopped too');
});

t.test('restarts older than the window do not count toward the limit', async (t) => {
  const clock = new ManualClock();
  const escalations: Error[] = [];
  const s = await system(t, clock, (e) => escalations.push(e));
  const echo = s.spawn('echo', () => new EchoActor(), { supervision: { maxRestarts: 1, withinMs: 1000 } });
  await t.rejects(s.ask(echo, { type: 'crash', message: 'a' }, 100), TypeError);
  clock.advance(1001);
  await t.rejects(s.ask(echo, { type: 'crash', message: 'b' }, 100), TypeError);
  await s.settle();
  t.equal(escalations.length, 0);
  t.equal(await s.ask(echo, { type: 'echo', text: 'alive' }, 100), 'alive');
});

t.test('a fenced actor rejects messages carrying a stale token and accepts the current one', async (t) => {
  const s = await system(t);
  const ref = s.spawn('leader', () => new FencedEchoActor());
  const old = newFencingToken();
  const current = newFencingToken();
  await s.ask(ref, { type: 'lead', token: old }, 1000);
  s.tell(ref.withFencingToken(old), { type: 'add', n: 1 });
  await s.ask(ref, { type: 'lead', token: current }, 1000);
  const err = await s.ask(ref.withFencingToken(old), { type: 'count' }, 1000).then(() => undefined, (e: unknown) => e);
  t.ok(err instanceof FencingTokenMismatchError);
  t.equal((err as FencingTokenMismatchError).expected, current);
  t.equal((err as FencingTokenMismatchError).received, old);
  s.tell(ref.withFencingToken(old), { type: 'add', n: 100 });
  t.equal(await s.ask(ref.withFencingToken(current), { type: 'count' }, 1000), 1, 'the stale tell was dropped');
  t.equal(s.stats().dropped['stale-fencing-token'], 2);
  await t.rejects(s.ask(ref, { type: 'count' }, 1000), FencingTokenMismatchError, 'no token is stale too');
});

t.test('watchers learn when an actor stops, and asks queued to it are answered', async (t) => {
  const s = await system(t);
  const watcher = s.spawn('watcher', () => new EchoActor());
  const target = s.spawn('target', () => new EchoActor());
  await s.ask(watcher, { type: 'watch', path: target.path }, 1000);
  const queued = s.ask(target, { type: 'echo', text: 'never handled' }, 1000);
  await s.stop(target);
  await t.rejects(queued, ActorStoppedError, 'a queued ask is answered, not left to time out');
  await t.rejects(s.ask(target, { type: 'count' }, 1000), UnknownActorError);
  t.same(await s.ask(watcher, { type: 'terminations' }, 1000), [`${target.path} stopped`]);
  await s.ask(watcher, { type: 'watch', path: `${s.endpoint}/nobody` }, 1000);
  t.same(await s.ask(watcher, { type: 'terminations' }, 1000), [`${target.path} stopped`, `${s.endpoint}/nobody unknown`]);
});
