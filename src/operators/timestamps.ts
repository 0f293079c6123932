/**
 * assignTimestampsAndWatermarks: gives each record its event-time timestamp and generates
 * watermarks from the timestamps seen — periodically, every `pipeline.auto-watermark-interval`,
 * as Flink's bounded-out-of-orderness generator does (watermark = largest timestamp - bound - 1).
 * With an idleness timeout, a stream that has had no record for that long is marked idle, so
 * its stale watermark does not hold back the operators it feeds, until a record arrives again.
 *
 * Watermarks from upstream are dropped (this operator is the stream's source of event time),
 * except the final one at the end of input, which must reach every window and timer.
 */
import type { Cancellable } from '../actors/system/clock.js';
import type { TimestampAssigner, WatermarkStrategy } from '../api/watermarks.js';
import { OneInputOperator } from './base.js';
import type { OperatorSetup } from './operator.js';

export class TimestampsAndWatermarksOperator extends OneInputOperator {
  private readonly assigner: TimestampAssigner<unknown> | undefined;
  private maxTimestamp = Number.NEGATIVE_INFINITY;
  private emitted = Number.NEGATIVE_INFINITY;
  private records = 0;
  private recordsAtLastTick = 0;
  private silentSince = 0;
  private idle = false;
  private timer: Cancellable | undefined;
  private setup!: OperatorSetup;

  constructor(private readonly strategy: WatermarkStrategy<unknown>) {
    super();
    this.assigner = strategy.timestampAssigner;
  }

  override open(setup: OperatorSetup): void {
    super.open(setup);
    this.setup = setup;
    this.silentSince = setup.processingTime.now();
    // BATCH: event time is perfect; the only watermark is the final one at the end of input.
    if (this.strategy.generation.kind !== 'none' && setup.runtimeMode === 'STREAMING') this.scheduleTick();
  }

  processElement(value: unknown, timestamp: number | undefined): void {
    const ts = this.assigner === undefined ? timestamp : this.assigner(value, timestamp);
    if (ts !== undefined && ts > this.maxTimestamp) this.maxTimestamp = ts;
    this.records++;
    if (this.idle) {
      this.idle = false;
      this.output.emitWatermarkStatus(false);
    }
    this.output.collect(value, ts);
  }

  override processWatermark(watermark: number): void {
    if (watermark === Number.POSITIVE_INFINITY) {
      this.emitted = watermark;
      this.output.emitWatermark(watermark);
    }
  }

  override processWatermarkStatus(): void {
    // Idleness of this stream is decided here, from its own records.
  }

  private scheduleTick(): void {
    const interval = Math.max(1, this.setup.autoWatermarkIntervalMs);
    this.timer = this.setup.processingTime.schedule(this.setup.processingTime.now() + interval, () => {
      this.tick();
      if (this.emitted !== Number.POSITIVE_INFINITY) this.scheduleTick();
    });
  }

  private tick(): void {
    const generation = this.strategy.generation;
    if (generation.kind === 'bounded-out-of-orderness' && this.maxTimestamp !== Number.NEGATIVE_INFINITY) {
      const watermark = this.maxTimestamp - generation.maxOutOfOrdernessMs - 1;
      if (watermark > this.emitted) {
        this.emitted = watermark;
        this.output.emitWatermark(watermark);
      }
    }
    const now = this.setup.processingTime.now();
    if (this.records !== this.recordsAtLastTick) {
      this.recordsAtLastTick = this.records;
      this.silentSince = now;
    } else if (!this.idle && this.strategy.idlenessMs !== undefined && now - this.silentSince >= this.strategy.idlenessMs) {
      this.idle = true;
      this.output.emitWatermarkStatus(true);
    }
  }

  override close(): void {
    this.timer?.cancel();
    this.timer = undefined;
  }
}
