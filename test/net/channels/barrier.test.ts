/**
 * Checkpoint barriers on the data plane: the codec, every channel type, and barrier alignment
 * in the input gate (exactly once blocks, at least once does not, a newer barrier aborts an
 * older alignment, an ended channel counts as aligned).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MessageChannel } from 'node:worker_threads';
import t, { type Test } from 'tap';
import {
  decodeMessage,
  encodeMessage,
  FileInputChannel,
  FileOutputChannel,
  InputGate,
  LocalChannel,
  PortLink,
  ZmqDataPlane,
  type BarrierInfo,
  type ChannelMessage,
  type GateEvent,
  type InputChannel,
  type OutputChannel,
} from '../../../src/net/channels/index.js';
import { encode } from '../../../src/net/index.js';
import { eventually } from '../../helpers/process.js';

const barrier = (checkpointId: number, kind: BarrierInfo['kind'] = 'CHECKPOINT'): ChannelMessage => ({
  kind: 'barrier',
  barrier: { checkpointId, timestamp: 1_700_000_000_000 + checkpointId, kind, targetDir: `/tmp/chk-${checkpointId}`, traceContext: '' },
});
const batch = (...values: unknown[]): ChannelMessage => ({ kind: 'records', values, timestamps: null });
const script: ChannelMessage[] = [batch(1, 2), barrier(7), batch(3), { kind: 'watermark', watermark: 5 }, barrier(8, 'SAVEPOINT'), { kind: 'end' }];

function collect(input: InputChannel): ChannelMessage[] {
  const got: ChannelMessage[] = [];
  const take = (): void => {
    for (let m = input.take(); m !== undefined; m = input.take()) {
      got.push(m);
      input.release();
    }
  };
  input.setListener(take);
  take();
  return got;
}

async function roundTrip(t: Test, out: OutputChannel, input: InputChannel): Promise<void> {
  const got = collect(input);
  for (const m of script) out.send(m);
  await eventually(() => (got.length === script.length ? true : undefined), 5000, 'every message');
  t.same(got, script, 'barriers arrive whole, in order with records and events');
}

t.test('the codec round-trips a barrier and rejects a malformed one', async (t) => {
  const final: ChannelMessage = { kind: 'barrier', barrier: { checkpointId: 3, timestamp: 0, kind: 'CHECKPOINT', targetDir: '/x', traceContext: '', final: true } };
  for (const m of [barrier(1), barrier(2, 'SAVEPOINT'), final, { kind: 'endOfData' } as const]) t.same(decodeMessage(encodeMessage(m)), m);
  t.throws(() => decodeMessage(encode([4, 'one', 0, 'CHECKPOINT', '/x', ''])), /malformed checkpoint barrier/);
  t.throws(() => decodeMessage(encode([4, 1, 0, 'SNAPSHOT', '/x', ''])), /malformed checkpoint barrier/);
  t.throws(() => decodeMessage(encode([4, 1, 0, 'CHECKPOINT', '/x', '', 'yes'])), /malformed checkpoint barrier/);
});

t.test('a local channel carries barriers in order', async (t) => {
  const channel = new LocalChannel('c');
  await roundTrip(t, channel, channel);
});

t.test('a port link carries barriers in order', async (t) => {
  const { port1, port2 } = new MessageChannel();
  const fail = (err: Error): void => void t.fail(err.message);
  const a = new PortLink(port1, fail);
  const b = new PortLink(port2, fail);
  t.teardown(() => {
    a.close();
    b.close();
  });
  await roundTrip(t, a.output('c'), b.input('c'));
});

t.test('a BATCH exchange file carries barriers in order', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'runnel-barrier-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const out = new FileOutputChannel('c', join(dir, 'c'));
  for (const m of script) out.send(m);
  await new Promise<void>((resolve) => out.onWritable(resolve));
  const input = new FileInputChannel('c', join(dir, 'c'), (err) => t.fail(err.message));
  const got = collect(input);
  await eventually(() => (got.length === script.length ? true : undefined), 5000, 'every message');
  t.same(got, script);
});

t.test('the ZeroMQ link carries barriers in order', async (t) => {
  const a = await ZmqDataPlane.bind({ host: '127.0.0.1' });
  const b = await ZmqDataPlane.bind({ host: '127.0.0.1' });
  t.teardown(async () => {
    await a.close();
    await b.close();
  });
  await roundTrip(t, a.link(b.endpoint).output('job/0/e[0->1]'), b.input('job/0/e[0->1]'));
});

// ---- alignment ---------------------------------------------------------------------------------

/** A gate over scripted local channels; `run` polls until nothing is left and logs what came out. */
function gateOf(names: string[], mode: 'EXACTLY_ONCE' | 'AT_LEAST_ONCE' = 'EXACTLY_ONCE') {
  const channels = names.map((n) => new LocalChannel(n));
  let time = 0;
  const gate = new InputGate(
    channels.map((channel) => ({ channel, input: 0 })),
    1,
    () => {},
    { mode, now: () => time },
  );
  const log: string[] = [];
  const describe = (e: GateEvent): string | undefined => {
    switch (e.kind) {
      case 'records':
        e.channel.release();
        return `${e.channel.id}:${e.message.values.join(',')}`;
      case 'barrier':
        return `barrier ${e.barrier.checkpointId} (${e.alignmentMs} ms)`;
      case 'barrier-aborted':
        return `aborted ${e.checkpointId}`;
      case 'watermark':
        return `watermark ${e.watermark}`;
      case 'end-of-input':
        return 'end-of-input';
      case 'status':
      case 'nothing':
        return undefined;
    }
  };
  const run = (): string[] => {
    const out: string[] = [];
    for (let guard = 0; guard < 100 && gate.hasData; guard++) {
      const d = describe(gate.poll());
      if (d !== undefined) out.push(d);
    }
    log.push(...out);
    return out;
  };
  const send = (i: number, ...messages: ChannelMessage[]): void => {
    for (const m of messages) channels[i]!.send(m);
  };
  return { gate, run, send, tick: (ms: number) => (time += ms), channels };
}

t.test('exactly once: a channel that delivered the barrier is blocked until every channel has', async (t) => {
  const g = gateOf(['a', 'b']);
  g.send(0, batch('a1'), barrier(1), batch('a2'), { kind: 'watermark', watermark: 10 });
  g.send(1, batch('b1'), batch('b2'));
  t.same(g.run(), ['a:a1', 'b:b1', 'b:b2'], 'a is blocked after its barrier: neither its records nor its watermark pass');
  t.equal(g.gate.hasData, false, 'data queued only on a blocked channel is not data to process');
  t.equal(g.channels[0]!.queued, 2, 'a still holds what came after its barrier, in order');
  t.equal(g.gate.aligning, 1);
  g.tick(25);
  g.send(1, barrier(1), batch('b3'));
  t.same(g.run(), ['barrier 1 (25 ms)', 'a:a2', 'b:b3'], 'the barrier completes first, then both channels go on in order');
  t.equal(g.gate.aligning, undefined);
});

t.test('at least once: nothing is blocked, the barrier comes with the last one', async (t) => {
  const g = gateOf(['a', 'b'], 'AT_LEAST_ONCE');
  g.send(0, batch('a1'), barrier(1), batch('a2'));
  g.send(1, batch('b1'), batch('b2'));
  t.same(g.run(), ['a:a1', 'b:b1', 'b:b2', 'a:a2'], 'a goes on after its barrier');
  g.send(1, barrier(1), batch('b3'));
  t.same(g.run(), ['barrier 1 (0 ms)', 'b:b3']);
});

t.test('a newer barrier aborts an older alignment, and the older one is ignored afterwards', async (t) => {
  const g = gateOf(['a', 'b', 'c']);
  g.send(0, barrier(1), batch('a1'), barrier(2));
  g.send(1, barrier(2), batch('b1'));
  const out = g.run();
  t.same(out.slice(0, 2), ['aborted 1', 'a:a1'], 'checkpoint 2 reaching b aborts 1 and unblocks a');
  t.same(out.slice(2), [], 'a and b are now blocked at barrier 2');
  g.send(2, barrier(1), batch('c1'), barrier(2), batch('c2'));
  t.same(g.run(), ['c:c1', 'barrier 2 (0 ms)', 'b:b1', 'c:c2'], "c's stale barrier 1 is dropped, barrier 2 aligns");
});

t.test('a channel that ends counts as having delivered the barrier', async (t) => {
  const g = gateOf(['a', 'b']);
  g.send(0, barrier(3), batch('a1'));
  g.send(1, batch('b1'), { kind: 'end' });
  t.same(g.run(), ['b:b1', 'barrier 3 (0 ms)', 'a:a1']);
  g.send(0, barrier(4));
  t.same(g.run(), ['barrier 4 (0 ms)'], 'with one channel left, a barrier there is aligned at once');
});

t.test('aborting the pending alignment from outside unblocks its channels', async (t) => {
  const g = gateOf(['a', 'b']);
  g.send(0, barrier(5), batch('a1'));
  t.same(g.run(), []);
  t.equal(g.gate.abort(5), true);
  t.same(g.run(), ['a:a1']);
  g.send(1, barrier(5), batch('b1'));
  t.same(g.run(), ['b:b1'], 'the rest of the aborted checkpoint is ignored');
});

t.test('after endOfData a channel still delivers barriers; its input ends, the gate closes with the end', async (t) => {
  const g = gateOf(['a', 'b']);
  g.send(0, { kind: 'watermark', watermark: 100 }, { kind: 'endOfData' });
  g.send(1, { kind: 'watermark', watermark: 50 });
  t.same(g.run(), ['watermark 50'], "a's data ended: its watermark no longer holds b's back");
  g.send(1, { kind: 'watermark', watermark: 60 }, { kind: 'endOfData' });
  t.same(g.run(), ['watermark 60', 'end-of-input']);
  t.equal(g.gate.finished, true, 'every channel\'s data has ended');
  t.equal(g.gate.closed, false, 'but the channels are open');
  g.send(0, barrier(2));
  t.same(g.run(), [], 'a channel whose data ended is still aligned: b has not delivered barrier 2');
  g.send(1, barrier(2), { kind: 'end' });
  g.send(0, { kind: 'end' });
  t.same(g.run(), ['barrier 2 (0 ms)'], 'no second end-of-input');
  t.equal(g.gate.closed, true);
});
