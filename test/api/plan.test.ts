/**
 * The job's plan as `env.getExecutionPlan()` shows it (the shape of Flink's plan REST response):
 * which operators chain into one vertex, how vertices exchange records, and stable ids.
 */
import t from 'tap';
import { KeyedProcessFunction, RichMapFunction, type Collector, type StreamExecutionEnvironment } from '../../src/index.js';
import { env } from '../helpers/jobs.js';

interface PlanNode {
  readonly id: string;
  readonly parallelism: number;
  readonly operator: string;
  readonly operator_strategy: string;
  readonly description: string;
  readonly inputs?: ReadonlyArray<{ readonly num: number; readonly id: string; readonly ship_strategy: string; readonly exchange: string }>;
  readonly optimizer_properties: Record<string, never>;
}
interface Plan {
  readonly jid: string;
  readonly name: string;
  readonly type: string;
  readonly nodes: readonly PlanNode[];
}

const planOf = (e: StreamExecutionEnvironment, name?: string): Plan => JSON.parse(e.getExecutionPlan(name)) as Plan;

/** Each vertex as "description [inputs]": what a reader of the plan sees. */
function shape(plan: Plan): string[] {
  const names = new Map(plan.nodes.map((n) => [n.id, n.description]));
  return plan.nodes.map((n) => {
    const inputs = (n.inputs ?? []).map((i) => `${i.ship_strategy} from ${names.get(i.id)}`);
    return inputs.length === 0 ? `${n.description} (p${n.parallelism})` : `${n.description} (p${n.parallelism}) <- ${inputs.join(', ')}`;
  });
}

t.test("the plan has Flink's shape: job id, name, type and nodes with ids, parallelism, description and inputs", async (t) => {
  const e = env(2);
  e.fromSequence(1, 10).map((n) => n + 1).keyBy((n) => n % 2).reduce((a, b) => a + b).print();
  const plan = planOf(e, 'shape check');
  t.match(plan.jid, /^[0-9a-f]{32}$/);
  t.equal(plan.name, 'shape check');
  t.equal(plan.type, 'STREAMING');
  t.equal(plan.nodes.length, 2);
  for (const node of plan.nodes) {
    t.match(node.id, /^[0-9a-f]{32}$/);
    t.same(Object.keys(node).sort(), [...(node.inputs ? ['inputs'] : []), 'id', 'parallelism', 'operator', 'operator_strategy', 'description', 'optimizer_properties'].sort());
  }
  t.same(plan.nodes[1]!.inputs, [{ num: 0, id: plan.nodes[0]!.id, ship_strategy: 'HASH', exchange: 'pipelined_bounded' }]);
});

t.test('source, map and filter at the same parallelism chain into one vertex', async (t) => {
  const e = env(3);
  e.fromSequence(1, 10).map((n) => n * 2).filter((n) => n > 4).print();
  t.same(shape(planOf(e)), ['Source: Sequence Source -> Map -> Filter -> Sink: Print to Std. Out (p3)']);
});

t.test('keyBy breaks the chain with a HASH exchange', async (t) => {
  const e = env(2);
  e.fromSequence(1, 10).map((n) => n).keyBy((n) => n % 3).reduce((a, b) => a + b).filter(() => true);
  t.same(shape(planOf(e)), ['Source: Sequence Source -> Map (p2)', 'Keyed Reduce -> Filter (p2) <- HASH from Source: Sequence Source -> Map']);
});

t.test('a different parallelism breaks the chain with a REBALANCE exchange', async (t) => {
  const e = env(2);
  e.fromSequence(1, 10).map((n) => n).setParallelism(3).filter(() => true).setParallelism(3).map((n) => n);
  t.same(shape(planOf(e)), [
    'Source: Sequence Source (p2)',
    'Map -> Filter (p3) <- REBALANCE from Source: Sequence Source',
    'Map (p2) <- REBALANCE from Map -> Filter',
  ]);
});

t.test('disableChaining() keeps an operator out of the chains before and after it', async (t) => {
  const e = env(2);
  e.fromSequence(1, 10).map((n) => n).disableChaining().filter(() => true).map((n) => n);
  t.same(shape(planOf(e)), [
    'Source: Sequence Source (p2)',
    'Map (p2) <- FORWARD from Source: Sequence Source',
    'Filter -> Map (p2) <- FORWARD from Map',
  ]);
});

t.test('startNewChain() begins a chain at the operator, which the next ones join', async (t) => {
  const e = env(2);
  e.fromSequence(1, 10).map((n) => n).filter(() => true).startNewChain().map((n) => n + 1);
  t.same(shape(planOf(e)), ['Source: Sequence Source -> Map (p2)', 'Filter -> Map (p2) <- FORWARD from Source: Sequence Source -> Map']);
});

t.test('every partitioner shows as its ship strategy and breaks the chain, but forward() at the same parallelism chains', async (t) => {
  const e = env(2);
  const s = e.fromSequence(1, 10);
  s.rebalance().map((n) => n).name('rebalanced');
  s.rescale().map((n) => n).name('rescaled');
  s.shuffle().map((n) => n).name('shuffled');
  s.broadcast().map((n) => n).name('broadcast');
  s.forward().map((n) => n).name('forwarded');
  s.global().map((n) => n).name('global');
  s.partitionCustom((k: number, n) => k % n, (x) => x).map((n) => n).name('custom');
  s.keyBy((x) => x).map((n) => n).name('keyed');
  const plan = planOf(e);
  const strategy = new Map(plan.nodes.filter((n) => n.inputs).map((n) => [n.description, n.inputs!.map((i) => i.ship_strategy).join()]));
  t.same(Object.fromEntries(strategy), {
    rebalanced: 'REBALANCE',
    rescaled: 'RESCALE',
    shuffled: 'SHUFFLE',
    broadcast: 'BROADCAST',
    global: 'GLOBAL',
    custom: 'CUSTOM',
    keyed: 'HASH',
  });
  t.equal(plan.nodes.find((n) => n.inputs === undefined)?.description, 'Source: Sequence Source -> forwarded', 'the source chains with the forwarded map only');
});

t.test('union and connect join several inputs into one vertex', async (t) => {
  const e = env(2);
  const a = e.fromSequence(1, 5).name('A');
  const b = e.fromSequence(6, 10).name('B');
  a.union(b).map((n) => n).name('after union');
  a.connect(b.map((n) => String(n)).name('to text')).map((n) => n, (s) => Number(s)).name('co-map');
  t.same(shape(planOf(e)).sort(), [
    'Source: A (p2)',
    'Source: B -> to text (p2)',
    'after union (p2) <- FORWARD from Source: A, FORWARD from Source: B -> to text',
    'co-map (p2) <- FORWARD from Source: A, FORWARD from Source: B -> to text',
  ]);
});

t.test('name() shows in the description, for sources and operators', async (t) => {
  const e = env(1);
  e.fromSequence(1, 10).name('Numbers').map((n) => n).name('Parse').filter(() => true).name('Keep valid');
  t.same(shape(planOf(e)), ['Source: Numbers -> Parse -> Keep valid (p1)']);
});

t.test('the plan shows BATCH jobs with blocking exchanges', async (t) => {
  const e = env(2);
  e.setRuntimeMode('BATCH');
  e.fromSequence(1, 10).keyBy((n) => n % 2).reduce((a, b) => a + b);
  const plan = planOf(e);
  t.equal(plan.type, 'BATCH');
  t.same(plan.nodes[1]!.inputs!.map((i) => i.exchange), ['blocking']);
});

/** The job of the uid tests, with an optional extra operator before the keyed one. */
function counted(options: { extraFilter: boolean; countUid: string }): StreamExecutionEnvironment {
  class Count extends KeyedProcessFunction<number, number, number> {
    processElement(n: number, _ctx: unknown, out: Collector<number>): void {
      out.collect(n);
    }
  }
  const e = env(2);
  let numbers = e.fromSequence(1, 100).uid('numbers').map((n) => n * 2).uid('double');
  if (options.extraFilter) numbers = numbers.filter((n) => n > 0);
  numbers
    .keyBy((n) => n % 5)
    .process(new Count())
    .uid(options.countUid);
  return e;
}

t.test('uid() gives operators stable ids: two builds of the job agree, also when other operators change', async (t) => {
  const first = planOf(counted({ extraFilter: false, countUid: 'count' }));
  const again = planOf(counted({ extraFilter: false, countUid: 'count' }));
  const changed = planOf(counted({ extraFilter: true, countUid: 'count' }));
  const renamed = planOf(counted({ extraFilter: false, countUid: 'count-v2' }));
  t.not(first.jid, again.jid, 'each build is a new job id');
  t.same(again.nodes.map((n) => n.id), first.nodes.map((n) => n.id), 'the same job builds the same vertex ids');
  t.same(changed.nodes.map((n) => n.id), first.nodes.map((n) => n.id), 'a filter added in between keeps the ids of the operators with uids');
  t.equal(renamed.nodes[0]!.id, first.nodes[0]!.id, 'the source keeps its id');
  t.not(renamed.nodes[1]!.id, first.nodes[1]!.id, 'a different uid is a different operator');

  const operatorIds = (e: StreamExecutionEnvironment): string[] => e.plan().jobGraph.vertices.flatMap((v) => v.operatorIds);
  const ids = operatorIds(counted({ extraFilter: false, countUid: 'count' }));
  const withFilter = operatorIds(counted({ extraFilter: true, countUid: 'count' }));
  t.equal(withFilter.length, ids.length + 1);
  t.same(ids.filter((id) => withFilter.includes(id)), ids, 'every operator with a uid, chained ones included, keeps its id');
});

t.test('two operators with the same uid are refused', async (t) => {
  const e = env(1);
  e.fromSequence(1, 10).map((n) => n).uid('same').filter(() => true).uid('same');
  t.throws(() => e.getExecutionPlan(), /the uid 'same' is used by both 'Map' and 'Filter'/);
});

t.test('a chained vertex runs as one task: its functions see the chain as their task name', async (t) => {
  class TaskName extends RichMapFunction<number, string> {
    map(): string {
      return this.getRuntimeContext().getTaskName();
    }
  }
  const e = env(2);
  const names = await e.fromSequence(1, 20).map(new TaskName()).filter(() => true).executeAndCollect();
  t.equal(names.length, 20);
  for (const name of new Set(names)) t.match(name, /^Source: Sequence Source -> Map -> Filter\b/);
});
