import t from 'tap';
import { Type } from '@sinclair/typebox';
import { Actor, ActorSystem, defineProtocol, type Handlers } from '../../src/actors/system/index.js';
import { FencingTokenMismatchError } from '../../src/actors/system/errors.js';
import { LeaderTracker, LeadershipMessages, StandaloneHaServices, acceptLeadership, contend, type LeaderElection, type LeaderInformation } from '../../src/ha/index.js';
import { MemoryNetwork } from '../../src/net/index.js';

t.test('every grant is a fresh session; retrieval sees the confirmed leader and its end', async (t) => {
  const ha = new StandaloneHaServices();
  const seen: Array<LeaderInformation | undefined> = [];
  ha.leaderRetrieval('resourcemanager').start((leader) => seen.push(leader));
  t.same(seen, [undefined], 'no leader before one is confirmed');

  const sessions: string[] = [];
  const election = ha.leaderElection('resourcemanager');
  const contender = { grantLeadership: (id: string) => sessions.push(id), revokeLeadership: () => {}, handleError: () => {} };
  const started = election.start(contender);
  t.same(sessions, [], 'the grant comes later, never inside start()');
  await started;
  await new Promise((resolve) => queueMicrotask(() => resolve(null)));
  t.equal(sessions.length, 1);
  t.ok(election.hasLeadership(sessions[0]!));
  election.confirmLeadership('some-other-session', 'tcp://x:1/resourcemanager');
  t.same(seen, [undefined], 'a confirmation for another session is ignored');
  election.confirmLeadership(sessions[0]!, 'tcp://x:1/resourcemanager');
  t.same(seen[1], { address: 'tcp://x:1/resourcemanager', sessionId: sessions[0] });

  await election.start(contender);
  await new Promise((resolve) => queueMicrotask(() => resolve(null)));
  t.equal(sessions.length, 2);
  t.not(sessions[1], sessions[0], 'a restarted contender leads under a new session');
  t.notOk(election.hasLeadership(sessions[0]!));

  election.confirmLeadership(sessions[1]!, 'tcp://x:1/resourcemanager');
  await election.close();
  t.equal(seen.at(-1), undefined, 'closing the election withdraws the leader');
  t.notOk(election.hasLeadership(sessions[1]!));
});

t.test('the job graph store and checkpoint id counter keep their data per job', async (t) => {
  const ha = new StandaloneHaServices();
  const store = ha.jobGraphStore();
  await store.put('a', new Uint8Array([1, 2]));
  t.same(await store.jobIds(), ['a']);
  t.same(await store.get('a'), new Uint8Array([1, 2]));
  await store.remove('a');
  t.equal(await store.get('a'), undefined);
  const counter = ha.checkpointIdCounter('job');
  t.equal(await counter.getAndIncrement(), 1);
  t.equal(await counter.getAndIncrement(), 2);
  await counter.set(10);
  t.equal(await counter.get(), 10);
  t.equal(await ha.checkpointIdCounter('other').get(), 1);
});

const Leader = defineProtocol('leader-test', {
  ...LeadershipMessages.spec,
  act: { request: Type.Object({}), reply: Type.String() },
  crash: { request: Type.Object({}) },
});

class Leading extends Actor<typeof Leader.spec> {
  readonly protocol = Leader;
  override readonly fenced = true;
  constructor(private readonly election: LeaderElection) {
    super();
  }
  override async preStart(): Promise<void> {
    await contend(this.ctx, this.election);
  }
  readonly receive: Handlers<typeof Leader.spec> = {
    grantLeadership: ({ sessionId }) => void acceptLeadership(this.ctx, this.election, sessionId),
    revokeLeadership: () => this.ctx.setFencingToken(null),
    act: () => 'done',
    crash: () => {
      throw new Error('crash');
    },
  };
}

t.test('a fenced leader accepts messages under its session only, and a restart makes the old token stale', async (t) => {
  const ha = new StandaloneHaServices();
  const system = await ActorSystem.start({ transport: new MemoryNetwork().transport('jm') });
  t.teardown(() => system.terminate());
  const actor = system.spawn('leader', () => new Leading(ha.leaderElection('dispatcher')));
  const tracker = new LeaderTracker('Dispatcher', ha.leaderRetrieval('dispatcher'));
  const first = await tracker.next();
  t.equal(first.address, actor.path);
  t.equal(await system.ask(tracker.ref(Leader), { type: 'act' }, 1000), 'done');
  const stale = tracker.ref(Leader);

  system.tell(stale, { type: 'crash' });
  await new Promise((resolve) => setTimeout(resolve, 50));
  const second = await tracker.next();
  t.not(second.sessionId, first.sessionId, 'the restarted actor leads under a new session');
  await t.rejects(system.ask(stale, { type: 'act' }, 1000), FencingTokenMismatchError);
  t.equal(await system.ask(tracker.ref(Leader), { type: 'act' }, 1000), 'done');
});
