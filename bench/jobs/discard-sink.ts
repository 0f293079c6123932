/** A sink that only counts, and remembers when its first and last record arrived. */
import type { Sink, SinkWriter } from '../../src/index.js';

export interface SinkTiming {
  count: number;
  firstNs: bigint;
  lastNs: bigint;
}

export const sinkTimings: SinkTiming[] = [];

export class DiscardSink<T> implements Sink<T> {
  /** `onEnd` runs in the sink's own thread once its input has ended. */
  constructor(private readonly onEnd?: (timing: SinkTiming) => void) {}

  createWriter(): SinkWriter<T> {
    const timing: SinkTiming = { count: 0, firstNs: 0n, lastNs: 0n };
    sinkTimings.push(timing);
    return {
      write: () => {
        if (timing.count++ === 0) timing.firstNs = process.hrtime.bigint();
      },
      flush: (endOfInput: boolean) => {
        timing.lastNs = process.hrtime.bigint();
        if (endOfInput) this.onEnd?.(timing);
      },
      close: () => {},
    };
  }
}
