/**
 * Channels between two slot workers of one TaskManager, multiplexed over one MessagePort per
 * pair of workers. Each batch is CBOR-encoded once and its buffer transferred, not copied;
 * credits travel back over the same port.
 */
import type { MessagePort } from 'node:worker_threads';
import { CreditedSender, ReceiverQueue, type InputChannel, type OutputChannel } from './channel.js';
import { decodeMessage, encodeMessage, type ChannelMessage } from './message.js';

type LinkMessage = { readonly t: 'data'; readonly ch: string; readonly bytes: Uint8Array } | { readonly t: 'credit'; readonly ch: string; readonly n: number };

export class PortLink {
  private readonly senders = new Map<string, CreditedSender>();
  private readonly receivers = new Map<string, ReceiverQueue>();
  /** Data for channels whose receiving task is not deployed yet. */
  private readonly early = new Map<string, ChannelMessage[]>();

  constructor(
    private readonly port: MessagePort,
    private readonly onError: (error: Error) => void,
  ) {
    port.on('message', (m: LinkMessage) => this.onMessage(m));
  }

  output(id: string): OutputChannel {
    const sender = new CreditedSender((message) => {
      const bytes = encodeMessage(message);
      // A fresh buffer per message, so it can be handed over instead of copied.
      const owned = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength ? bytes : bytes.slice();
      this.port.postMessage({ t: 'data', ch: id, bytes: owned } satisfies LinkMessage, [owned.buffer as ArrayBuffer]);
    });
    this.senders.set(id, sender);
    return {
      id,
      send: (m) => sender.send(m),
      get backlog() {
        return sender.backlog;
      },
      onWritable: (cb) => sender.onWritable(cb),
    };
  }

  input(id: string): InputChannel {
    const queue = new ReceiverQueue(() => this.port.postMessage({ t: 'credit', ch: id, n: 1 } satisfies LinkMessage));
    this.receivers.set(id, queue);
    for (const m of this.early.get(id) ?? []) queue.push(m);
    this.early.delete(id);
    return {
      id,
      take: () => queue.take(),
      get queued() {
        return queue.queued;
      },
      release: () => queue.release(),
      setListener: (l) => queue.setListener(l),
    };
  }

  close(): void {
    this.port.close();
  }

  private onMessage(m: LinkMessage): void {
    try {
      if (m.t === 'credit') {
        this.senders.get(m.ch)?.addCredits(m.n);
        return;
      }
      const message = decodeMessage(m.bytes);
      const queue = this.receivers.get(m.ch);
      if (queue !== undefined) queue.push(message);
      else {
        let list = this.early.get(m.ch);
        if (list === undefined) this.early.set(m.ch, (list = []));
        list.push(message);
      }
    } catch (err) {
      this.onError(err instanceof Error ? err : new Error(String(err)));
    }
  }
}
