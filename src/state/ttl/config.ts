/**
 * Flink's `StateTtlConfig`: how long keyed state lives after its last access, what counts as an
 * access, whether expired values may still be read, and how expired values are cleaned up.
 * Built once with `StateTtlConfig.newBuilder(ttlMs)...build()` and attached to a descriptor with
 * `descriptor.enableTimeToLive(config)`. Time is processing time (the task's wall clock), as in
 * Flink; durations are milliseconds, as everywhere in Runnel's API.
 *
 * Cleanup happens in three places, each configured here and carried out elsewhere: on read
 * (always: an expired value read is removed), in full snapshots (`cleanupFullSnapshot`: expired
 * entries are left out of checkpoints and savepoints), and in the background — incrementally on
 * the heap backend (`cleanupIncrementally`), and where the RocksDB backend writes keys back
 * (`cleanupInRocksdbCompactFilter`). Background cleanup is on by default with Flink's defaults
 * (5 entries per state access on the heap; the time re-read every 1000 entries on RocksDB).
 */
import { StateTtlConfigError } from '../errors.js';

/** When the last-access timestamp is set, and so when the time-to-live starts again. */
export type TtlUpdateType = 'Disabled' | 'OnCreateAndWrite' | 'OnReadAndWrite';
/** Whether a value past its time-to-live, but not cleaned up yet, can still be read. */
export type TtlStateVisibility = 'ReturnExpiredIfNotCleanedUp' | 'NeverReturnExpired';
/** The time scale of the time-to-live: processing time only, as in Flink. */
export type TtlTimeCharacteristic = 'ProcessingTime';

const UPDATE_TYPES: readonly TtlUpdateType[] = ['Disabled', 'OnCreateAndWrite', 'OnReadAndWrite'];
const VISIBILITIES: readonly TtlStateVisibility[] = ['ReturnExpiredIfNotCleanedUp', 'NeverReturnExpired'];

/** Heap backend: check entries of a state a few at a time, on each access to it (and per record). */
export class IncrementalCleanupStrategy {
  /** Flink's default when background cleanup is on and no strategy is set. */
  static readonly DEFAULT = new IncrementalCleanupStrategy(5, false);

  constructor(
    private readonly cleanupSize: number,
    private readonly everyRecord: boolean,
  ) {}

  /** How many entries each state access (and each record, if so set) checks. */
  getCleanupSize(): number {
    return this.cleanupSize;
  }

  /** Whether every record processed (every key selected) also runs a cleanup step. */
  runCleanupForEveryRecord(): boolean {
    return this.everyRecord;
  }
}

/** RocksDB backend: drop expired values where keys are written back (its compaction filter). */
export class RocksdbCompactFilterCleanupStrategy {
  /** Flink's default when background cleanup is on and no strategy is set. */
  static readonly DEFAULT = new RocksdbCompactFilterCleanupStrategy(1000);

  constructor(private readonly queryTimeAfterNumEntries: number) {}

  /** How many entries the filter checks with one reading of the clock. */
  getQueryTimeAfterNumEntries(): number {
    return this.queryTimeAfterNumEntries;
  }
}

/** Which cleanups are on. Cleanup on read is always on and not listed. */
export class CleanupStrategies {
  constructor(
    private readonly fullSnapshot: boolean,
    private readonly incremental: IncrementalCleanupStrategy | undefined,
    private readonly rocksdbCompactFilter: RocksdbCompactFilterCleanupStrategy | undefined,
    private readonly cleanupInBackground: boolean,
  ) {}

  inFullSnapshot(): boolean {
    return this.fullSnapshot;
  }

  isCleanupInBackground(): boolean {
    return this.cleanupInBackground;
  }

  /** The strategy set, else the default while background cleanup is on, else undefined. */
  getIncrementalCleanupStrategy(): IncrementalCleanupStrategy | undefined {
    return this.incremental ?? (this.cleanupInBackground ? IncrementalCleanupStrategy.DEFAULT : undefined);
  }

  inRocksdbCompactFilter(): boolean {
    return this.getRocksdbCompactFilterCleanupStrategy() !== undefined;
  }

  /** The strategy set, else the default while background cleanup is on, else undefined. */
  getRocksdbCompactFilterCleanupStrategy(): RocksdbCompactFilterCleanupStrategy | undefined {
    return this.rocksdbCompactFilter ?? (this.cleanupInBackground ? RocksdbCompactFilterCleanupStrategy.DEFAULT : undefined);
  }
}

/** An immutable time-to-live configuration; see the module comment. */
export class StateTtlConfig {
  /** Flink's enum values, so `StateTtlConfig.UpdateType.OnReadAndWrite` reads as in Java. */
  static readonly UpdateType = { Disabled: 'Disabled', OnCreateAndWrite: 'OnCreateAndWrite', OnReadAndWrite: 'OnReadAndWrite' } as const;
  static readonly StateVisibility = { ReturnExpiredIfNotCleanedUp: 'ReturnExpiredIfNotCleanedUp', NeverReturnExpired: 'NeverReturnExpired' } as const;
  static readonly TtlTimeCharacteristic = { ProcessingTime: 'ProcessingTime' } as const;

  /** What a descriptor has until `enableTimeToLive`: state never expires. */
  static readonly DISABLED: StateTtlConfig = new StateTtlConfig('Disabled', 'NeverReturnExpired', Number.MAX_SAFE_INTEGER, new CleanupStrategies(false, undefined, undefined, false));

  private constructor(
    private readonly updateType: TtlUpdateType,
    private readonly stateVisibility: TtlStateVisibility,
    private readonly ttl: number,
    private readonly cleanupStrategies: CleanupStrategies,
  ) {}

  /** A builder for a time-to-live of `ttlMs` milliseconds (a positive number). */
  static newBuilder(ttlMs: number): StateTtlConfigBuilder {
    return new StateTtlConfigBuilder(ttlMs);
  }

  /** For the builder only. */
  static create(updateType: TtlUpdateType, stateVisibility: TtlStateVisibility, ttlMs: number, cleanupStrategies: CleanupStrategies): StateTtlConfig {
    return new StateTtlConfig(updateType, stateVisibility, ttlMs, cleanupStrategies);
  }

  getUpdateType(): TtlUpdateType {
    return this.updateType;
  }

  getStateVisibility(): TtlStateVisibility {
    return this.stateVisibility;
  }

  /** The time-to-live in milliseconds. */
  getTtl(): number {
    return this.ttl;
  }

  getTtlTimeCharacteristic(): TtlTimeCharacteristic {
    return 'ProcessingTime';
  }

  /** False only for an update type of `Disabled` (what `DISABLED` is). */
  isEnabled(): boolean {
    return this.updateType !== 'Disabled';
  }

  getCleanupStrategies(): CleanupStrategies {
    return this.cleanupStrategies;
  }

  toString(): string {
    return `StateTtlConfig{updateType=${this.updateType}, stateVisibility=${this.stateVisibility}, ttlTimeCharacteristic=ProcessingTime, ttl=${this.ttl} ms}`;
  }
}

/** Flink's `StateTtlConfig.Builder`. Every setter checks its argument at once. */
export class StateTtlConfigBuilder {
  private updateType: TtlUpdateType = 'OnCreateAndWrite';
  private stateVisibility: TtlStateVisibility = 'NeverReturnExpired';
  private ttl: number;
  private fullSnapshot = false;
  private incremental: IncrementalCleanupStrategy | undefined;
  private rocksdbCompactFilter: RocksdbCompactFilterCleanupStrategy | undefined;
  private cleanupInBackground = true;

  constructor(ttlMs: number) {
    this.ttl = checkTtl(ttlMs, 'StateTtlConfig.newBuilder(ttlMs)');
  }

  /** Replaces the time-to-live given to `newBuilder`. */
  setTtl(ttlMs: number): this {
    this.ttl = checkTtl(ttlMs, 'setTtl(ttlMs)');
    return this;
  }

  /** `OnCreateAndWrite` (the default): writes restart the time-to-live; `OnReadAndWrite`: reads too. */
  setUpdateType(updateType: TtlUpdateType): this {
    if (!UPDATE_TYPES.includes(updateType)) {
      throw new StateTtlConfigError(`setUpdateType got ${String(updateType)}: use 'OnCreateAndWrite' or 'OnReadAndWrite' (or 'Disabled' for no time-to-live).`, 'setUpdateType', updateType);
    }
    this.updateType = updateType;
    return this;
  }

  updateTtlOnCreateAndWrite(): this {
    return this.setUpdateType('OnCreateAndWrite');
  }

  updateTtlOnReadAndWrite(): this {
    return this.setUpdateType('OnReadAndWrite');
  }

  /** `NeverReturnExpired` (the default), or `ReturnExpiredIfNotCleanedUp`. */
  setStateVisibility(stateVisibility: TtlStateVisibility): this {
    if (!VISIBILITIES.includes(stateVisibility)) {
      throw new StateTtlConfigError(
        `setStateVisibility got ${String(stateVisibility)}: use 'NeverReturnExpired' or 'ReturnExpiredIfNotCleanedUp'.`,
        'setStateVisibility',
        stateVisibility,
      );
    }
    this.stateVisibility = stateVisibility;
    return this;
  }

  neverReturnExpired(): this {
    return this.setStateVisibility('NeverReturnExpired');
  }

  returnExpiredIfNotCleanedUp(): this {
    return this.setStateVisibility('ReturnExpiredIfNotCleanedUp');
  }

  /** Processing time is the only time scale; here for Flink's API. */
  setTtlTimeCharacteristic(characteristic: TtlTimeCharacteristic): this {
    if (characteristic !== 'ProcessingTime') {
      throw new StateTtlConfigError(`setTtlTimeCharacteristic got ${String(characteristic)}: state time-to-live runs on processing time only ('ProcessingTime').`, 'setTtlTimeCharacteristic', characteristic);
    }
    return this;
  }

  useProcessingTime(): this {
    return this;
  }

  /** Leaves expired entries out of checkpoints and savepoints (the running state keeps them). */
  cleanupFullSnapshot(): this {
    this.fullSnapshot = true;
    return this;
  }

  /**
   * Heap backend: every access to the state checks `cleanupSize` more of its entries, going
   * round all of them over time, and drops the expired ones; with `runCleanupForEveryRecord`, so
   * does every record the operator processes. No effect on the RocksDB backend.
   */
  cleanupIncrementally(cleanupSize: number, runCleanupForEveryRecord: boolean): this {
    if (!Number.isInteger(cleanupSize) || cleanupSize <= 0) {
      throw new StateTtlConfigError(
        `cleanupIncrementally(cleanupSize) needs a positive integer number of entries to check per access, got ${String(cleanupSize)}: Flink's default is 5.`,
        'cleanupIncrementally(cleanupSize)',
        cleanupSize,
      );
    }
    if (typeof runCleanupForEveryRecord !== 'boolean') {
      throw new StateTtlConfigError(
        `cleanupIncrementally(cleanupSize, runCleanupForEveryRecord) needs true or false as its second argument, got ${String(runCleanupForEveryRecord)}.`,
        'cleanupIncrementally(runCleanupForEveryRecord)',
        runCleanupForEveryRecord,
      );
    }
    this.incremental = new IncrementalCleanupStrategy(cleanupSize, runCleanupForEveryRecord);
    return this;
  }

  /**
   * RocksDB backend: expired values are dropped where it writes keys back, reading the clock
   * once per `queryTimeAfterNumEntries` entries. No effect on the heap backend.
   */
  cleanupInRocksdbCompactFilter(queryTimeAfterNumEntries: number): this {
    if (!Number.isInteger(queryTimeAfterNumEntries) || queryTimeAfterNumEntries <= 0) {
      throw new StateTtlConfigError(
        `cleanupInRocksdbCompactFilter(queryTimeAfterNumEntries) needs a positive integer, got ${String(queryTimeAfterNumEntries)}: Flink's default is 1000.`,
        'cleanupInRocksdbCompactFilter(queryTimeAfterNumEntries)',
        queryTimeAfterNumEntries,
      );
    }
    this.rocksdbCompactFilter = new RocksdbCompactFilterCleanupStrategy(queryTimeAfterNumEntries);
    return this;
  }

  /**
   * Turns off the default background cleanups. One set explicitly (`cleanupIncrementally`,
   * `cleanupInRocksdbCompactFilter`) stays on; cleanup on read and in full snapshots are not
   * background cleanups.
   */
  disableCleanupInBackground(): this {
    this.cleanupInBackground = false;
    return this;
  }

  build(): StateTtlConfig {
    return StateTtlConfig.create(
      this.updateType,
      this.stateVisibility,
      this.ttl,
      new CleanupStrategies(this.fullSnapshot, this.incremental, this.rocksdbCompactFilter, this.cleanupInBackground),
    );
  }
}

function checkTtl(ttlMs: number, option: string): number {
  if (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0) {
    throw new StateTtlConfigError(
      `${option} needs the time-to-live in milliseconds as a positive finite number, got ${String(ttlMs)}: e.g. StateTtlConfig.newBuilder(60_000) for one minute.`,
      option,
      ttlMs,
    );
  }
  return ttlMs;
}
