/**
 * Child process of network-shuffle.ts: the receiving TaskManager slot. `link`: a ZmqDataPlane
 * whose input channels count the records of every batch and return its credit, as a task's
 * input gate does. `raw`: a bare ZeroMQ Router that decodes each CBOR batch and counts it (the
 * baseline: the same bytes, no channels, no credits). Both emit `done` at the announced count.
 */
import { Router } from 'zeromq';
import { decode } from 'cbor-x';
import { ZmqDataPlane, type InputChannel } from '../../src/net/channels/index.js';
import { serveChild } from '../child.js';
import type { OneWayDone } from './measure.js';

export interface ShuffleReady {
  endpoint: string;
}

export interface ShuffleDone extends OneWayDone {
  received: number;
}

serveChild<ShuffleReady>(async (ctx) => {
  let expected = 0;
  let received = 0;
  let cpu0 = process.cpuUsage();
  const count = (n: number): void => {
    received += n;
    if (received === expected) {
      const done: ShuffleDone = { endNs: process.hrtime.bigint().toString(), cpu: process.cpuUsage(cpu0), received };
      ctx.emit('done', done);
    }
  };
  const expect = (p: Record<string, unknown>): void => {
    expected = Number(p['n']);
    received = 0;
    cpu0 = process.cpuUsage();
  };

  if (ctx.args[0] === 'raw') {
    const router = new Router({ linger: 0, receiveHighWaterMark: 0 });
    await router.bind('tcp://127.0.0.1:*');
    void (async () => {
      for await (const frames of router) {
        const batch = decode(frames[3]!) as [number, unknown[], unknown];
        count(batch[1].length);
      }
    })();
    return { ready: { endpoint: router.lastEndpoint ?? '' }, handlers: { expect: (p) => (expect(p), {}) } };
  }

  const plane = await ZmqDataPlane.bind({ host: '127.0.0.1' });
  const drain = (input: InputChannel): void => {
    for (let m = input.take(); m !== undefined; m = input.take()) {
      if (m.kind === 'records') count(m.values.length);
      input.release();
    }
  };
  return {
    ready: { endpoint: plane.endpoint },
    handlers: {
      expect: (p) => {
        expect(p);
        for (const id of p['channels'] as string[]) {
          const input = plane.input(id);
          input.setListener(() => drain(input));
        }
        return {};
      },
    },
  };
});
