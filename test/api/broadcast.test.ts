/**
 * The broadcast state pattern: a rules stream broadcast to every parallel instance of an
 * operator that also reads a keyed or a non-keyed stream.
 */
import { createServer, type AddressInfo, type Server } from 'node:net';
import t, { type Test } from 'tap';
import {
  BroadcastProcessFunction,
  KeyedBroadcastProcessFunction,
  MapStateDescriptor,
  ValueStateDescriptor,
  type BroadcastContext,
  type BroadcastReadOnlyContext,
  type Collector,
  type KeyedBroadcastContext,
  type KeyedReadOnlyContext,
} from '../../src/index.js';
import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../../src/state/index.js';
import { env } from '../helpers/jobs.js';

interface Rule {
  readonly color: string;
  readonly min: number;
}
interface Item {
  readonly id: number;
  readonly color: string;
  readonly size: number;
}

const COLORS = ['red', 'green', 'blue', 'cyan', 'plum', 'gold', 'teal'];
// Every color but the last has a rule: items of that one never get a verdict.
const RULES: Rule[] = COLORS.slice(0, -1).map((color, i) => ({ color, min: 5 + i * 4 }));
const ITEMS: Item[] = Array.from({ length: 350 }, (_, id) => ({ id, color: COLORS[(id * 3) % COLORS.length]!, size: (id * 13) % 40 }));
const verdict = (item: Item, min: number): string => `${item.id} ${item.size >= min ? 'pass' : 'fail'}`;
const expectedVerdicts = (): string[] =>
  ITEMS.filter((i) => RULES.some((r) => r.color === i.color)).map((i) => verdict(i, RULES.find((r) => r.color === i.color)!.min));

const rulesDescriptor = new MapStateDescriptor<string, number>('rules');

type Out =
  | { readonly kind: 'verdict'; readonly text: string }
  | { readonly kind: 'seen'; readonly subtask: number; readonly color: string }
  | { readonly kind: 'visit'; readonly subtask: number; readonly visited: string[]; readonly holding: string[] }
  | { readonly kind: 'writable'; readonly methods: string[] };

/**
 * A TCP server for a socket source: it sends `lines` only once `ready` resolves, then closes
 * (which ends the source). Resolves with its port.
 */
async function gatedServer(t: Test, lines: readonly string[], ready: Promise<void>): Promise<number> {
  const server: Server = createServer((socket) => {
    void ready.then(() => socket.end(lines.map((l) => `${l}\n`).join('')));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return (server.address() as AddressInfo).port;
}

/** Resolves once `count` reaches `n` (items are processed in this thread: slots run inline). */
function gate(n: number): { readonly opened: Promise<void>; arrive(): void } {
  let seen = 0;
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return {
    opened,
    arrive: () => {
      if (++seen === n) open();
    },
  };
}

for (const p of [1, 3]) {
  t.test(`a KeyedBroadcastProcessFunction gives every instance every rule and reaches every key's state at parallelism ${p}`, async (t) => {
    const allItems = gate(ITEMS.length);
    const pendingDescriptor = new ValueStateDescriptor<Item[]>('pending');

    class Judge extends KeyedBroadcastProcessFunction<string, Item, Rule, Out> {
      /** The keys this instance holds pending items for: what applyToKeyedState must visit. */
      private readonly holding = new Set<string>();

      processElement(item: Item, ctx: KeyedReadOnlyContext<string>, out: Collector<Out>): void {
        const rules = ctx.getBroadcastState(rulesDescriptor);
        const min = rules.get(item.color);
        if (min !== undefined) out.collect({ kind: 'verdict', text: verdict(item, min) });
        else {
          const pending = this.getRuntimeContext().getState(pendingDescriptor);
          pending.update([...(pending.value() ?? []), item]);
          this.holding.add(ctx.getCurrentKey());
        }
        allItems.arrive();
      }

      processBroadcastElement(rule: Rule, ctx: KeyedBroadcastContext, out: Collector<Out>): void {
        ctx.getBroadcastState(rulesDescriptor).put(rule.color, rule.min);
        const subtask = this.getRuntimeContext().getIndexOfThisSubtask();
        out.collect({ kind: 'seen', subtask, color: rule.color });
        const visited: string[] = [];
        const holding = [...this.holding].sort();
        ctx.applyToKeyedState(pendingDescriptor, (key, state) => {
          visited.push(String(key));
          if (key !== rule.color) return;
          for (const item of state.value() ?? []) out.collect({ kind: 'verdict', text: verdict(item, rule.min) });
          state.clear();
          this.holding.delete(rule.color);
        });
        out.collect({ kind: 'visit', subtask, visited: visited.sort(), holding });
      }
    }

    // The rules come only after every item has been processed.
    const port = await gatedServer(t, RULES.map((r) => JSON.stringify(r)), allItems.opened);
    const e = env(p);
    const rules = e.socketTextStream('127.0.0.1', port).map((line) => JSON.parse(line) as Rule);
    const out = await e
      .fromCollection(ITEMS)
      .keyBy((item) => item.color)
      .connect(rules.broadcast(rulesDescriptor))
      .process(new Judge())
      .executeAndCollect();

    t.same(
      out.flatMap((o) => (o.kind === 'verdict' ? [o.text] : [])).sort(),
      expectedVerdicts().sort(),
      'every item with a rule judged once by its color’s rule',
    );
    for (let subtask = 0; subtask < p; subtask++) {
      const seen = out.flatMap((o) => (o.kind === 'seen' && o.subtask === subtask ? [o.color] : []));
      t.same(seen.sort(), RULES.map((r) => r.color).sort(), `instance ${subtask} saw every rule once`);
    }
    const visits = out.flatMap((o) => (o.kind === 'visit' ? [o] : []));
    t.equal(visits.length, RULES.length * p, 'one sweep per rule per instance');
    for (const v of visits) t.same(v.visited, v.holding, `instance ${v.subtask} visited exactly the keys it holds state for`);
    // The rules came after every item, so the first sweep of each instance found all its keys.
    for (let subtask = 0; subtask < p; subtask++) {
      const first = visits.find((v) => v.subtask === subtask)!;
      const mine = COLORS.filter((c) => computeOperatorIndexForKeyGroup(128, p, assignToKeyGroup(c, 128)) === subtask).sort();
      t.same(first.visited, mine, `instance ${subtask}'s first sweep visits every key it owns`);
    }
  });

  t.test(`a BroadcastProcessFunction on a non-keyed stream judges every record by rules every instance receives at parallelism ${p}`, async (t) => {
    class Judge extends BroadcastProcessFunction<Item, Rule, Out> {
      // Records that came before their rule wait here: a non-keyed function's own memory.
      private readonly waiting: Item[] = [];

      processElement(item: Item, ctx: BroadcastReadOnlyContext, out: Collector<Out>): void {
        const min = ctx.getBroadcastState(rulesDescriptor).get(item.color);
        if (min === undefined) this.waiting.push(item);
        else out.collect({ kind: 'verdict', text: verdict(item, min) });
      }

      processBroadcastElement(rule: Rule, ctx: BroadcastContext, out: Collector<Out>): void {
        const state = ctx.getBroadcastState(rulesDescriptor);
        state.put(rule.color, rule.min);
        out.collect({ kind: 'seen', subtask: this.getRuntimeContext().getIndexOfThisSubtask(), color: rule.color });
        for (let i = this.waiting.length - 1; i >= 0; i--) {
          const item = this.waiting[i]!;
          if (item.color !== rule.color) continue;
          out.collect({ kind: 'verdict', text: verdict(item, rule.min) });
          this.waiting.splice(i, 1);
        }
      }
    }
    const e = env(p);
    const out = await e
      .fromCollection(ITEMS)
      .rebalance()
      .map((i) => i)
      .connect(e.fromCollection(RULES).broadcast(rulesDescriptor))
      .process(new Judge())
      .executeAndCollect();
    t.same(out.flatMap((o) => (o.kind === 'verdict' ? [o.text] : [])).sort(), expectedVerdicts().sort());
    for (let subtask = 0; subtask < p; subtask++) {
      const seen = out.flatMap((o) => (o.kind === 'seen' && o.subtask === subtask ? [o.color] : []));
      t.same(seen.sort(), RULES.map((r) => r.color).sort(), `instance ${subtask} saw every rule once`);
    }
  });
}

t.test('processElement sees the broadcast state read-only: it can read every entry but has no way to write', async (t) => {
  // The items wait for the rule: a socket source sends them once both instances have it.
  const allRules = gate(2);
  class Peek extends KeyedBroadcastProcessFunction<string, Item, Rule, Out> {
    processElement(item: Item, ctx: KeyedReadOnlyContext<string>, out: Collector<Out>): void {
      const state = ctx.getBroadcastState(rulesDescriptor);
      const methods = ['put', 'putAll', 'remove', 'clear'].filter((m) => typeof (state as unknown as Record<string, unknown>)[m] === 'function');
      out.collect({ kind: 'writable', methods });
      const entries = [...state.entries()].map(([k, v]) => `${k}=${v}`).join(',');
      out.collect({ kind: 'verdict', text: `${item.id}:${state.contains('red')}:${entries}` });
    }
    processBroadcastElement(rule: Rule, ctx: KeyedBroadcastContext): void {
      ctx.getBroadcastState(rulesDescriptor).put(rule.color, rule.min);
      allRules.arrive();
    }
  }
  const port = await gatedServer(t, ['1', '2'], allRules.opened);
  const e = env(2);
  const items = e.socketTextStream('127.0.0.1', port).map((id): Item => ({ id: Number(id), color: 'red', size: 1 }));
  const out = await items
    .keyBy((i) => i.color)
    .connect(e.fromElements<Rule>({ color: 'red', min: 3 }).broadcast(rulesDescriptor))
    .process(new Peek())
    .executeAndCollect();
  t.same(
    out.filter((o) => o.kind === 'writable'),
    [
      { kind: 'writable', methods: [] },
      { kind: 'writable', methods: [] },
    ],
    'no write methods on the read-only side',
  );
  t.same(
    out.flatMap((o) => (o.kind === 'verdict' ? [o.text] : [])).sort(),
    ['1:true:red=3', '2:true:red=3'],
    'get, contains and entries read the broadcast rule',
  );
});

t.test('asking for a broadcast state that was not passed to broadcast() fails the job naming the known ones', async (t) => {
  class Wrong extends BroadcastProcessFunction<number, number, number> {
    processElement(n: number, ctx: BroadcastReadOnlyContext, out: Collector<number>): void {
      ctx.getBroadcastState(new MapStateDescriptor<string, number>('other'));
      out.collect(n);
    }
    processBroadcastElement(): void {}
  }
  const e = env(1);
  const err = await e
    .fromElements(1, 2)
    .connect(e.fromElements(3).broadcast(rulesDescriptor))
    .process(new Wrong())
    .executeAndCollect()
    .then(() => undefined, (x: unknown) => x);
  t.match(String((err as Error | undefined)?.cause), /no broadcast state 'other'.*known: rules/);
});

t.test('a KeyedBroadcastProcessFunction needs a keyed stream, refused when the job is built', async (t) => {
  class Keyed extends KeyedBroadcastProcessFunction<string, number, number, number> {
    processElement(): void {}
    processBroadcastElement(): void {}
  }
  const e = env(1);
  t.throws(() => e.fromElements(1).connect(e.fromElements(2).broadcast(rulesDescriptor)).process(new Keyed()), /needs a keyed stream/);
});
