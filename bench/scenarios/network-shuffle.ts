/**
 * network-shuffle: record batches between two processes over the data plane's ZeroMQ link
 * (src/net/channels/zmq-link.ts), as a keyed exchange between TaskManagers moves them: the
 * parent's RecordWriter spreads bid records over 4 channels by key, batches of 512 leave
 * CBOR-encoded under credit-based flow control, and the child's input channels take each
 * batch and return its credit.
 *
 * Baseline, in the same run: the same records, batched and CBOR-encoded the same way, sent as
 * raw ZeroMQ Dealer -> Router frames (each send awaited) and decoded and counted by the child —
 * the bytes on the wire without channels, credits or the record writer.
 */
import { Dealer } from 'zeromq';
import { withChild, type ChildHandle } from '../child.js';
import type { Scenario } from '../harness.js';
import { BATCH_SIZE, RecordWriter, ZmqDataPlane, encodeMessage } from '../../src/net/channels/index.js';
import { medianRound, timeOneWay, versus, type OneWayResult } from './measure.js';
import type { ShuffleDone, ShuffleReady } from './network-shuffle.child.js';

const CHILD = new URL('./network-shuffle.child.ts', import.meta.url);
const CHANNELS = 4;

interface Bid {
  auction: number;
  bidder: number;
  price: number;
  channel: string;
}
const bid = (n: number): Bid => ({ auction: n % 1000, bidder: n % 9973, price: (n * 7919) % 100_000, channel: 'web' });

let round = 0;

async function linkRound(child: ChildHandle<ShuffleReady>, plane: ZmqDataPlane, records: number): Promise<OneWayResult> {
  const ids = Array.from({ length: CHANNELS }, (_, i) => `bench/${++round}/c${i}`);
  await child.request('expect', { n: records, channels: ids });
  const link = plane.link(child.ready.endpoint);
  const writer = new RecordWriter(
    ids.map((id) => link.output(id)),
    { select: (b) => (b as Bid).auction % CHANNELS },
  );
  const [result, done] = await timeOneWay(records, child.nextEvent<ShuffleDone>('done', 120_000), async () => {
    let n = 0;
    while (n < records) {
      // As a task's step: emit while every channel has credit, then wait until they drain.
      const end = Math.min(records, n + BATCH_SIZE * CHANNELS);
      for (; n < end; n++) writer.emit(bid(n), undefined);
      if (!writer.writable) await new Promise<void>((resolve) => writer.whenWritable(resolve));
    }
    writer.flushAll();
  });
  if (done.received !== records) throw new Error(`network-shuffle: the child counted ${done.received} of ${records}`);
  return result;
}

async function rawRound(child: ChildHandle<ShuffleReady>, dealer: Dealer, records: number): Promise<OneWayResult> {
  await child.request('expect', { n: records });
  const id = Buffer.from('raw');
  const header = Buffer.from([1, 1]);
  const [result, done] = await timeOneWay(records, child.nextEvent<ShuffleDone>('done', 120_000), async () => {
    const batches: Bid[][] = Array.from({ length: CHANNELS }, () => []);
    for (let n = 0; n < records; n++) {
      const b = bid(n);
      const batch = batches[b.auction % CHANNELS]!;
      batch.push(b);
      if (batch.length === BATCH_SIZE) {
        await dealer.send([header, id, encodeMessage({ kind: 'records', values: batch, timestamps: null }) as Buffer]);
        batches[b.auction % CHANNELS] = [];
      }
    }
    for (const batch of batches) if (batch.length > 0) await dealer.send([header, id, encodeMessage({ kind: 'records', values: batch, timestamps: null }) as Buffer]);
  });
  if (done.received !== records) throw new Error(`network-shuffle baseline: the child counted ${done.received} of ${records}`);
  return result;
}

export const networkShuffle: Scenario = {
  name: 'network-shuffle',
  description: `bid records by key over ${CHANNELS} data-plane channels (RecordWriter -> ZeroMQ link with credits -> input channels) between two processes, vs the same CBOR batches as raw Dealer->Router frames`,
  async run({ quick }) {
    const records = quick ? 500_000 : 2_000_000;
    const rounds = quick ? 3 : 5;
    const baseline = await withChild<ShuffleReady, OneWayResult>(CHILD, ['raw'], async (child) => {
      const dealer = new Dealer({ linger: 0, sendHighWaterMark: 0 });
      try {
        dealer.connect(child.ready.endpoint);
        await rawRound(child, dealer, 100_000);
        return await medianRound(rounds, () => rawRound(child, dealer, records));
      } finally {
        dealer.close();
      }
    });
    const measured = await withChild<ShuffleReady, OneWayResult & { creditsIn: number }>(CHILD, ['link'], async (child) => {
      const plane = await ZmqDataPlane.bind({ host: '127.0.0.1' });
      try {
        await linkRound(child, plane, 100_000);
        const m = await medianRound(rounds, () => linkRound(child, plane, records));
        return { ...m, creditsIn: plane.stats().creditsIn };
      } finally {
        await plane.close();
      }
    });
    return versus(measured, 'raw-zmq-batches', baseline, {
      batchSize: BATCH_SIZE,
      channels: CHANNELS,
      parentCpuSeconds: measured.parentCpuSeconds,
      childCpuSeconds: measured.childCpuSeconds,
    });
  },
};
