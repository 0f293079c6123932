/**
 * Child process of raw-zmq.ts. `pull`: binds a Pull socket, decodes and counts CBOR frames, and
 * emits `done` once it has received the number announced with the `expect` request. `router`:
 * binds a Router socket and answers every CBOR request with one CBOR reply.
 */
import { Pull, Router } from 'zeromq';
import { decode, encode } from 'cbor-x';
import { serveChild } from '../child.js';

export interface RawReady {
  endpoint: string;
}

/** Payload of the `done` event of `pull` mode. */
export interface PullDone {
  /** `process.hrtime.bigint()` at the last receipt, as a decimal string (CLOCK_MONOTONIC, comparable across processes). */
  endNs: string;
  /** This process's CPU usage since the `expect` request. */
  cpu: NodeJS.CpuUsage;
  received: number;
  malformed: number;
}

function isPing(v: unknown): v is { type: 'ping'; seq: number } {
  return typeof v === 'object' && v !== null && (v as { type?: unknown }).type === 'ping';
}

serveChild<RawReady>(async (ctx) => {
  const mode = ctx.args[0];
  if (mode === 'pull') {
    const sock = new Pull({ linger: 0 });
    await sock.bind('tcp://127.0.0.1:*');
    let expected = 0;
    let received = 0;
    let malformed = 0;
    let cpu0 = process.cpuUsage();
    void (async () => {
      for await (const [frame] of sock) {
        if (frame === undefined) continue;
        const msg: unknown = decode(frame);
        if (isPing(msg)) received++;
        else malformed++;
        if (received === expected) {
          const endNs = process.hrtime.bigint();
          const done: PullDone = { endNs: endNs.toString(), cpu: process.cpuUsage(cpu0), received, malformed };
          ctx.emit('done', done);
        }
      }
    })();
    return {
      ready: { endpoint: sock.lastEndpoint ?? '' },
      handlers: {
        expect: (p) => {
          expected = Number(p.n);
          received = 0;
          malformed = 0;
          cpu0 = process.cpuUsage();
          return {};
        },
      },
    };
  }
  if (mode === 'router') {
    const sock = new Router({ linger: 0 });
    await sock.bind('tcp://127.0.0.1:*');
    void (async () => {
      for await (const [identity, frame] of sock) {
        if (identity === undefined || frame === undefined) continue;
        const msg: unknown = decode(frame);
        const seq = isPing(msg) ? msg.seq : -1;
        await sock.send([identity, encode({ type: 'pong', seq })]);
      }
    })();
    return { ready: { endpoint: sock.lastEndpoint ?? '' } };
  }
  throw new Error(`raw-zmq.child: unknown mode '${String(mode)}' (pull | router)`);
});
