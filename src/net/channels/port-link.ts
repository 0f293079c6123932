/**
 * Channels between two slot workers of one TaskManager, multiplexed over one MessagePort per
 * pair of workers. Each batch is CBOR-encoded once and its buffer transferred, not copied;
 * credits travel back over the same port.
 */
import type { MessagePort } from 'node:worker_threads';
import { CreditedSender, ReceiverQueue, type ChannelLink, type InputChannel, type OutputChannel } from './channel.js';
import { decodeMessage, encodeMessage, type ChannelMessage } from './message.js';

type LinkMessage = { readonly t: 'data'; readonly ch: string; readonly bytes: Uint8Array } | { readonly t: 'credit'; readonly ch: string; readonly n: number };

export class PortLink implements ChannelLink {
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
      // The encoder writes every message into a buffer it shares between messages (batches
      // queued on a ZeroMQ socket may still point into it), so the batch is copied once into a
      // buffer of its own, which is then handed over rather than copied again. Never transfer
      // the encoder's buffer (Buffer#slice is a view, not a copy): that would empty every other
      // batch still pointing into it.
      const owned = new Uint8Array(encodeMessage(message));
      this.port.postMessage({ t: 'data', ch: id, bytes: owned } satisfies LinkMessage, [owned.buffer]);
    });
    this.senders.set(id, sender);
    return sender.asOutput(id);
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
