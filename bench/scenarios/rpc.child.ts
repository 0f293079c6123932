/**
 * Child process of rpc.ts: an actor system on ZeroMQ (127.0.0.1, a free port) hosting the
 * bench counter as `counter`. Emits `done` (IPC) when the counter reaches the target armed by
 * its `expect` message, with the time of that last message and this process's CPU since then.
 */
import { ActorSystem } from '../../src/actors/system/index.js';
import { ZmqTransport } from '../../src/net/index.js';
import { serveChild } from '../child.js';
import { COUNTER_NAME, CounterActor, type CounterDone, type RpcReady } from './rpc-actors.js';

serveChild<RpcReady>(async (ctx) => {
  const system = await ActorSystem.start({ transport: new ZmqTransport({ host: '127.0.0.1', port: 0 }) });
  let cpu0 = process.cpuUsage();
  system.spawn(
    COUNTER_NAME,
    () =>
      new CounterActor({
        onExpect: () => {
          cpu0 = process.cpuUsage();
        },
        onTarget: (counted, outOfOrder) => {
          const endNs = process.hrtime.bigint();
          const done: CounterDone = { endNs: endNs.toString(), cpu: process.cpuUsage(cpu0), counted, outOfOrder };
          ctx.emit('done', done);
        },
      }),
  );
  return { ready: { endpoint: system.endpoint } };
});
