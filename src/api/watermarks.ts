/**
 * WatermarkStrategy with Flink's builder methods. A strategy says how a record's event-time
 * timestamp is found and how watermarks are generated from the timestamps seen; the runtime
 * operator that applies it arrives with event time (the next issue) and reads these settings.
 */
export type TimestampAssigner<T> = (event: T, recordTimestamp: number | undefined) => number;

export type WatermarkGeneration =
  | { readonly kind: 'none' }
  | { readonly kind: 'bounded-out-of-orderness'; readonly maxOutOfOrdernessMs: number };

export class WatermarkStrategy<T> {
  private constructor(
    readonly generation: WatermarkGeneration,
    readonly timestampAssigner: TimestampAssigner<T> | undefined,
    readonly idlenessMs: number | undefined,
  ) {}

  /** No watermarks: event time never advances (processing-time jobs). */
  static noWatermarks<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ kind: 'none' }, undefined, undefined);
  }

  /** Timestamps never go backwards: the watermark trails the largest timestamp by 1 ms. */
  static forMonotonousTimestamps<T>(): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>({ kind: 'bounded-out-of-orderness', maxOutOfOrdernessMs: 0 }, undefined, undefined);
  }

  /** Records may arrive up to `maxOutOfOrdernessMs` late relative to the largest timestamp. */
  static forBoundedOutOfOrderness<T>(maxOutOfOrdernessMs: number): WatermarkStrategy<T> {
    if (!(maxOutOfOrdernessMs >= 0)) throw new RangeError(`the out-of-orderness bound must be >= 0 ms, got ${maxOutOfOrdernessMs}`);
    return new WatermarkStrategy<T>({ kind: 'bounded-out-of-orderness', maxOutOfOrdernessMs }, undefined, undefined);
  }

  withTimestampAssigner(assigner: TimestampAssigner<T>): WatermarkStrategy<T> {
    return new WatermarkStrategy<T>(this.generation, assigner, this.idlenessMs);
  }

  /** A source split that emits nothing for `idlenessMs` stops holding the watermark back. */
  withIdleness(idlenessMs: number): WatermarkStrategy<T> {
    if (!(idlenessMs > 0)) throw new RangeError(`the idle timeout must be > 0 ms, got ${idlenessMs}`);
    return new WatermarkStrategy<T>(this.generation, this.timestampAssigner, idlenessMs);
  }
}
