/**
 * connect(): two streams of different types into one operator, with co-map, co-flat-map and
 * co-process functions, and the keyed join of two streams with state.
 */
import t from 'tap';
import {
  CoProcessFunction,
  KeyedCoProcessFunction,
  ListStateDescriptor,
  OutputTag,
  RichCoMapFunction,
  ValueStateDescriptor,
  type CoFlatMapFunction,
  type CoMapFunction,
  type Collector,
  type KeyedContext,
  type ListState,
  type ProcessContext,
  type ValueState,
} from '../../src/index.js';
import { env } from '../helpers/jobs.js';

const numbers = Array.from({ length: 50 }, (_, i) => i);
const words = ['apple', 'banana', 'cherry', 'date', 'elderberry'];

for (const p of [1, 3]) {
  t.test(`connect().map(f1, f2) maps each input with its own function at parallelism ${p}`, async (t) => {
    const e = env(p);
    const out = await e
      .fromCollection(numbers)
      .connect(e.fromCollection(words))
      .map(
        (n) => `n:${n * 2}`,
        (w) => `w:${w.length}`,
      )
      .executeAndCollect();
    t.same(out.sort(), [...numbers.map((n) => `n:${n * 2}`), ...words.map((w) => `w:${w.length}`)].sort());
  });

  t.test(`connect().map() takes a CoMapFunction object, and a RichCoMapFunction runs per parallel instance at parallelism ${p}`, async (t) => {
    const e = env(p);
    const plain: CoMapFunction<number, string, string> = {
      map1: (n) => `number ${n}`,
      map2: (w) => `word ${w}`,
    };
    const first = await e.fromCollection(numbers).connect(e.fromCollection(words)).map(plain).executeAndCollect();
    t.same(first.sort(), [...numbers.map((n) => `number ${n}`), ...words.map((w) => `word ${w}`)].sort());

    class Where extends RichCoMapFunction<number, string, [string, number]> {
      map1(n: number): [string, number] {
        return [`n${n}`, this.getRuntimeContext().getIndexOfThisSubtask()];
      }
      map2(w: string): [string, number] {
        return [`w${w}`, this.getRuntimeContext().getIndexOfThisSubtask()];
      }
    }
    const e2 = env(p);
    const second = await e2.fromSequence(0, 599).connect(e2.fromSequence(1000, 1599).map(String)).map(new Where()).executeAndCollect();
    t.equal(second.length, 1200);
    t.same([...new Set(second.map(([, s]) => s))].sort(), Array.from({ length: p }, (_, i) => i), 'every parallel instance mapped records');
  });

  t.test(`connect().flatMap() emits any number of records per input, as two functions or an object, at parallelism ${p}`, async (t) => {
    const e = env(p);
    const twoFunctions = await e
      .fromCollection(numbers)
      .connect(e.fromCollection(words))
      .flatMap(
        (n: number, out: Collector<string>) => {
          for (let i = 0; i < n % 3; i++) out.collect(`n${n}`);
        },
        (w: string, out: Collector<string>) => {
          for (const c of w.slice(0, 2)) out.collect(c);
        },
      )
      .executeAndCollect();
    const expected = [...numbers.flatMap((n) => Array.from({ length: n % 3 }, () => `n${n}`)), ...words.flatMap((w) => [...w.slice(0, 2)])];
    t.same(twoFunctions.sort(), expected.sort());

    const split: CoFlatMapFunction<number, string, string> = {
      flatMap1: (n, out) => {
        if (n % 10 === 0) out.collect(`tens ${n}`);
      },
      flatMap2: (w, out) => {
        out.collect(w.toUpperCase());
        out.collect(w);
      },
    };
    const e2 = env(p);
    const object = await e2.fromCollection(numbers).connect(e2.fromCollection(words)).flatMap(split).executeAndCollect();
    t.same(object.sort(), [...[0, 10, 20, 30, 40].map((n) => `tens ${n}`), ...words, ...words.map((w) => w.toUpperCase())].sort());
  });

  t.test(`a CoProcessFunction sees both inputs, with side outputs, at parallelism ${p}`, async (t) => {
    const rejects = new OutputTag<string>('rejects');
    class Merge extends CoProcessFunction<number, string, string> {
      processElement1(n: number, ctx: ProcessContext, out: Collector<string>): void {
        if (n < 0) ctx.output(rejects, `negative ${n}`);
        else out.collect(`number ${n}`);
      }
      processElement2(w: string, ctx: ProcessContext, out: Collector<string>): void {
        if (w.length > 5) ctx.output(rejects, `long ${w}`);
        else out.collect(`word ${w}`);
      }
    }
    const e = env(p);
    const merged = e
      .fromCollection([3, -1, 4, -1, 5])
      .connect(e.fromCollection(words))
      .process(new Merge());
    const out = await merged.union(merged.getSideOutput(rejects)).executeAndCollect();
    t.same(
      out.sort(),
      ['number 3', 'number 4', 'number 5', 'negative -1', 'negative -1', 'word apple', 'word date', 'long banana', 'long cherry', 'long elderberry'].sort(),
    );
  });

  t.test(`connect().keyBy(k1, k2).process() joins two keyed streams through keyed state at parallelism ${p}`, async (t) => {
    interface Order {
      readonly id: number;
      readonly sku: string;
      readonly quantity: number;
    }
    interface Price {
      readonly product: string;
      readonly cents: number;
    }
    interface Enriched {
      readonly id: number;
      readonly sku: string;
      readonly total: number;
      readonly key: string;
    }
    // Orders may arrive before their product's price: they wait in list state until it comes.
    class Enrich extends KeyedCoProcessFunction<string, Order, Price, Enriched> {
      private price!: ValueState<number>;
      private waiting!: ListState<Order>;
      override open(): void {
        this.price = this.getRuntimeContext().getState(new ValueStateDescriptor<number>('price'));
        this.waiting = this.getRuntimeContext().getListState(new ListStateDescriptor<Order>('waiting'));
      }
      processElement1(order: Order, ctx: KeyedContext<string>, out: Collector<Enriched>): void {
        const cents = this.price.value();
        if (cents === undefined) this.waiting.add(order);
        else out.collect({ id: order.id, sku: order.sku, total: order.quantity * cents, key: ctx.getCurrentKey() });
      }
      processElement2(price: Price, ctx: KeyedContext<string>, out: Collector<Enriched>): void {
        this.price.update(price.cents);
        for (const order of this.waiting.get()) out.collect({ id: order.id, sku: order.sku, total: order.quantity * price.cents, key: ctx.getCurrentKey() });
        this.waiting.clear();
      }
    }
    const products = ['ant', 'bee', 'cat', 'dog', 'eel', 'fox', 'gnu', 'hen'];
    const cents = (sku: string): number => 100 + products.indexOf(sku) * 7;
    const orders: Order[] = Array.from({ length: 300 }, (_, i) => ({ id: i, sku: products[(i * 5) % products.length]!, quantity: 1 + (i % 4) }));
    const prices: Price[] = products.map((product) => ({ product, cents: cents(product) }));

    const e = env(p);
    const out = await e
      .fromCollection(orders)
      .rebalance()
      .map((o) => o)
      .connect(e.fromCollection(prices))
      .keyBy(
        (o) => o.sku,
        (pr) => pr.product,
      )
      .process(new Enrich())
      .executeAndCollect();

    t.equal(out.length, orders.length, 'every order enriched exactly once');
    const byId = new Map(out.map((r) => [r.id, r]));
    t.equal(byId.size, orders.length, 'no order twice');
    for (const o of orders) {
      const r = byId.get(o.id)!;
      if (r.total !== o.quantity * cents(o.sku) || r.key !== o.sku) {
        t.fail(`order ${o.id} (${o.sku} x${o.quantity}) was enriched as ${JSON.stringify(r)}`);
        return;
      }
    }
    t.pass("every order carries its own product's price and key");
  });
}

t.test('a KeyedCoProcessFunction on connected streams that are not keyed is refused when the job is built', async (t) => {
  class Nothing extends KeyedCoProcessFunction<string, number, string, string> {
    processElement1(): void {}
    processElement2(): void {}
  }
  const e = env(1);
  t.throws(() => e.fromElements(1).connect(e.fromElements('a')).process(new Nothing()), /needs both inputs keyed.*keyBy\(key1, key2\)/);
});

t.test('a keyed co-process function keeps the state of one key apart for both inputs', async (t) => {
  class Count extends KeyedCoProcessFunction<number, number, number, string> {
    private seen!: ValueState<number>;
    override open(): void {
      this.seen = this.getRuntimeContext().getState(new ValueStateDescriptor('seen', 0));
    }
    processElement1(_n: number, ctx: KeyedContext<number>, out: Collector<string>): void {
      this.bump(ctx.getCurrentKey(), out);
    }
    processElement2(_n: number, ctx: KeyedContext<number>, out: Collector<string>): void {
      this.bump(ctx.getCurrentKey(), out);
    }
    private bump(key: number, out: Collector<string>): void {
      this.seen.update(this.seen.value()! + 1);
      if (this.seen.value() === 20) out.collect(`key ${key} complete`);
    }
  }
  // Key k gets 10 records from each side: 20 in all, whatever the interleaving.
  const e = env(3);
  const out = await e
    .fromSequence(0, 49)
    .connect(e.fromSequence(100, 149))
    .keyBy(
      (n) => n % 5,
      (n) => n % 5,
    )
    .process(new Count())
    .executeAndCollect();
  t.same(out.sort(), [0, 1, 2, 3, 4].map((k) => `key ${k} complete`));
});
