/**
 * StreamExecutionEnvironment: where a job is built and from where it is run.
 *
 * A job file builds its pipeline and awaits `env.execute()`. Run directly, execute() starts an
 * embedded mini-cluster. Inside a slot worker the same file runs again to rebuild the operators
 * (code cannot travel as data): there execute() hands the built graph to the worker and never
 * returns, so code after it does not run twice.
 */
import { randomBytes } from 'node:crypto';
import { CollectionSource, DataGeneratorSource, NumberSequenceSource, SocketTextSource, TextLineFileSource, type Source } from '../connectors/index.js';
import { CheckpointingOptions, Configuration, StateBackendOptions, CoreOptions, ExecutionOptions, PipelineOptions, loadConfiguration, readRestartStrategy } from '../config/index.js';
import { SingleOutputStreamOperator } from './datastream.js';
import { buildJobGraph, jobPlan, type ExecutionSettings, type JobGraph, type StateBackendSettings } from './job-graph.js';
import { buildStreamGraph, type StreamGraph } from './stream-graph.js';
import type { Transformation } from './transformation.js';
import type { WatermarkStrategy } from './watermarks.js';

export const RuntimeExecutionMode = { STREAMING: 'STREAMING', BATCH: 'BATCH', AUTOMATIC: 'AUTOMATIC' } as const;
export type RuntimeExecutionMode = (typeof RuntimeExecutionMode)[keyof typeof RuntimeExecutionMode];

export const CheckpointingMode = { EXACTLY_ONCE: 'EXACTLY_ONCE', AT_LEAST_ONCE: 'AT_LEAST_ONCE' } as const;
export type CheckpointingMode = (typeof CheckpointingMode)[keyof typeof CheckpointingMode];

/** What execute() resolves to. */
export class JobExecutionResult {
  constructor(
    private readonly jobId: string,
    private readonly netRuntimeMs: number,
    private readonly accumulators: Readonly<Record<string, unknown>> = {},
  ) {}
  getJobID(): string {
    return this.jobId;
  }
  /** Milliseconds from submission to the end of the job. */
  getNetRuntime(): number {
    return this.netRuntimeMs;
  }
  getAccumulatorResult<T>(name: string): T | undefined {
    return this.accumulators[name] as T | undefined;
  }
}

/** A built job, ready to hand to a cluster. */
export interface JobPlan {
  readonly streamGraph: StreamGraph;
  readonly jobGraph: JobGraph;
  readonly configuration: Configuration;
}

/**
 * Decides what execute() does. The default runs the job on a mini-cluster; a slot worker and
 * the JobManager's graph extraction install their own.
 */
export interface JobExecutor {
  execute(plan: JobPlan): Promise<JobExecutionResult & { readonly collected?: unknown[] }>;
}

const EXECUTOR = Symbol.for('runnel.jobExecutor');
type GlobalWithExecutor = typeof globalThis & { [EXECUTOR]?: JobExecutor | (() => Promise<JobExecutor>) };

/** Installs what execute() does in this thread (the mini-cluster, a slot worker, plan extraction). */
export function setJobExecutor(executor: JobExecutor | (() => Promise<JobExecutor>) | undefined): void {
  (globalThis as GlobalWithExecutor)[EXECUTOR] = executor;
}

async function currentExecutor(): Promise<JobExecutor> {
  const installed = (globalThis as GlobalWithExecutor)[EXECUTOR];
  if (installed === undefined) {
    const { MiniClusterExecutor } = await import('../minicluster/index.js');
    return new MiniClusterExecutor();
  }
  return typeof installed === 'function' ? installed() : installed;
}

const CLIENT_CONFIGURATION = Symbol.for('runnel.clientConfiguration');
type GlobalWithConfiguration = typeof globalThis & { [CLIENT_CONFIGURATION]?: Configuration };

/**
 * The configuration environments of this thread start from, instead of conf/config.yaml: the
 * CLI sets it so that `-D` and `-p` reach the job it runs.
 */
export function setClientConfiguration(configuration: Configuration | undefined): void {
  (globalThis as GlobalWithConfiguration)[CLIENT_CONFIGURATION] = configuration;
}

export class StreamExecutionEnvironment {
  private readonly transformations: Transformation[] = [];
  private nextId = 0;
  private parallelism: number;
  private maxParallelism: number;
  private runtimeMode: RuntimeExecutionMode;
  private checkpointInterval: number | undefined;
  private checkpointMode: CheckpointingMode = 'EXACTLY_ONCE';
  private bufferTimeout: number;

  private constructor(readonly configuration: Configuration) {
    this.parallelism = configuration.get(CoreOptions.DEFAULT_PARALLELISM);
    this.maxParallelism = configuration.get(PipelineOptions.MAX_PARALLELISM);
    this.runtimeMode = configuration.get(ExecutionOptions.RUNTIME_MODE) as RuntimeExecutionMode;
    this.bufferTimeout = configuration.get(ExecutionOptions.BUFFER_TIMEOUT);
  }

  /** The environment of the current context, configured from conf/config.yaml (RUNNEL_CONF_DIR). */
  static getExecutionEnvironment(configuration?: Configuration): StreamExecutionEnvironment {
    const client = (globalThis as GlobalWithConfiguration)[CLIENT_CONFIGURATION];
    return new StreamExecutionEnvironment(configuration ?? client ?? loadConfiguration({ onWarning: (m) => process.emitWarning(m) }));
  }

  setParallelism(parallelism: number): this {
    this.parallelism = positive(parallelism, 'parallelism');
    return this;
  }
  getParallelism(): number {
    return this.parallelism;
  }
  setMaxParallelism(maxParallelism: number): this {
    this.maxParallelism = positive(maxParallelism, 'max parallelism');
    return this;
  }
  getMaxParallelism(): number {
    return this.maxParallelism;
  }
  setRuntimeMode(mode: RuntimeExecutionMode): this {
    this.runtimeMode = mode;
    return this;
  }
  setBufferTimeout(ms: number): this {
    this.bufferTimeout = Math.max(0, ms);
    return this;
  }
  /** Checkpoints every `intervalMs` (they take effect with the checkpointing issue). */
  enableCheckpointing(intervalMs: number, mode: CheckpointingMode = 'EXACTLY_ONCE'): this {
    this.checkpointInterval = positive(intervalMs, 'checkpoint interval');
    this.checkpointMode = mode;
    return this;
  }
  getCheckpointInterval(): number | undefined {
    return this.checkpointInterval;
  }
  getCheckpointingMode(): CheckpointingMode {
    return this.checkpointMode;
  }

  // ---- sources ----------------------------------------------------------------------------

  fromElements<T>(...elements: T[]): SingleOutputStreamOperator<T> {
    return this.fromCollection(elements);
  }

  /** The elements in order, from a non-parallel source. */
  fromCollection<T>(elements: Iterable<T>): SingleOutputStreamOperator<T> {
    const items = [...elements];
    return this.addSource(new CollectionSource(items), 'Collection Source', true, 1);
  }

  /** The numbers from..to (inclusive), split across the parallel instances. */
  fromSequence(from: number, to: number): SingleOutputStreamOperator<number> {
    return this.addSource(new NumberSequenceSource(from, to), 'Sequence Source', true);
  }

  /** The lines of a file, or of every file in a folder. */
  readTextFile(path: string): SingleOutputStreamOperator<string> {
    return this.addSource(new TextLineFileSource(path), `Read Text File: ${path}`, true);
  }

  /** Lines from a TCP server, from a non-parallel source; ends when the server closes. */
  socketTextStream(hostname: string, port: number, delimiter = '\n', maxRetry = 0): SingleOutputStreamOperator<string> {
    return this.addSource(new SocketTextSource(hostname, port, delimiter, maxRetry), 'Socket Stream', false, 1);
  }

  /** A FLIP-27 source; a watermark strategy other than noWatermarks() applies in each source task. */
  fromSource<T>(source: Source<T, unknown, unknown>, watermarkStrategy: WatermarkStrategy<T> | undefined, sourceName: string): SingleOutputStreamOperator<T> {
    const stream = this.addSource(source, sourceName, source.getBoundedness() === 'BOUNDED');
    if (watermarkStrategy === undefined || (watermarkStrategy.generation.kind === 'none' && watermarkStrategy.timestampAssigner === undefined)) return stream;
    return stream.assignTimestampsAndWatermarks(watermarkStrategy);
  }

  /** A generated stream: `generator(i)` for i in 0..count-1, at most `ratePerSecond` in total. */
  fromGenerator<T>(generator: (index: number) => T, count: number, ratePerSecond?: number): SingleOutputStreamOperator<T> {
    return this.addSource(new DataGeneratorSource(generator, count, ratePerSecond), 'Data Generator', Number.isFinite(count));
  }

  private addSource<T>(source: Source<T, unknown, unknown>, name: string, bounded: boolean, fixedParallelism?: number): SingleOutputStreamOperator<T> {
    const t = this.register({
      kind: 'source',
      id: 0,
      name,
      uid: undefined,
      parallelism: fixedParallelism,
      maxParallelism: undefined,
      fixedParallelism: fixedParallelism !== undefined,
      source: source as Source<unknown, unknown, unknown>,
      bounded,
    });
    return new SingleOutputStreamOperator<T>(this, t);
  }

  // ---- building and running ----------------------------------------------------------------

  /** @internal Records a transformation and gives it the next id. */
  register<T extends Transformation>(t: T): T {
    const withId = { ...t, id: ++this.nextId };
    this.transformations.push(withId);
    return withId;
  }

  /** The effective runtime mode: AUTOMATIC is BATCH when every source is bounded. */
  effectiveRuntimeMode(): 'STREAMING' | 'BATCH' {
    if (this.runtimeMode !== 'AUTOMATIC') return this.runtimeMode;
    const sources = this.transformations.filter((t) => t.kind === 'source');
    return sources.length > 0 && sources.every((t) => t.kind === 'source' && t.bounded) ? 'BATCH' : 'STREAMING';
  }

  /** Builds the StreamGraph and JobGraph without running anything. */
  plan(jobName = 'Runnel Streaming Job', jobId = randomBytes(16).toString('hex')): JobPlan {
    if (this.transformations.length === 0) {
      throw new Error('No operators defined in the job: add a source and an operation before calling execute().');
    }
    const streamGraph = buildStreamGraph(jobName, this.transformations, { parallelism: this.parallelism, maxParallelism: this.maxParallelism });
    const checkpointIntervalMs = this.checkpointInterval ?? this.configuration.getOptional(CheckpointingOptions.INTERVAL) ?? 0;
    const settings: ExecutionSettings = {
      runtimeMode: this.effectiveRuntimeMode(),
      bufferTimeoutMs: this.bufferTimeout,
      maxParallelism: this.maxParallelism,
      parallelism: this.parallelism,
      autoWatermarkIntervalMs: this.configuration.get(PipelineOptions.AUTO_WATERMARK_INTERVAL),
      restartStrategy: readRestartStrategy(this.configuration, checkpointIntervalMs > 0),
      checkpointing: {
        intervalMs: checkpointIntervalMs,
        mode: this.checkpointInterval !== undefined ? this.checkpointMode : (this.configuration.get(CheckpointingOptions.MODE) as CheckpointingMode),
        timeoutMs: this.configuration.get(CheckpointingOptions.TIMEOUT),
        minPauseMs: this.configuration.get(CheckpointingOptions.MIN_PAUSE),
        numRetained: this.configuration.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS),
        tolerableFailures: this.configuration.get(CheckpointingOptions.TOLERABLE_FAILED_CHECKPOINTS),
        dir: this.configuration.getOptional(CheckpointingOptions.CHECKPOINTS_DIRECTORY) ?? null,
        savepointDir: this.configuration.getOptional(CheckpointingOptions.SAVEPOINT_DIRECTORY) ?? null,
      },
      stateBackend: {
        type: this.configuration.get(StateBackendOptions.STATE_BACKEND) as StateBackendSettings['type'],
        incremental: this.configuration.get(StateBackendOptions.INCREMENTAL),
        localDir: this.configuration.getOptional(StateBackendOptions.ROCKSDB_LOCAL_DIRECTORIES) ?? null,
        residentKeys: this.configuration.get(StateBackendOptions.ROCKSDB_RESIDENT_KEYS),
        timerService: this.configuration.get(StateBackendOptions.ROCKSDB_TIMER_SERVICE_FACTORY) as StateBackendSettings['timerService'],
      },
    };
    return { streamGraph, jobGraph: buildJobGraph(streamGraph, jobId, settings), configuration: this.configuration };
  }

  /** The job's plan as JSON, in the shape of Flink's plan REST response. */
  getExecutionPlan(jobName?: string): string {
    return JSON.stringify(jobPlan(this.plan(jobName).jobGraph), null, 2);
  }

  async execute(jobName?: string): Promise<JobExecutionResult> {
    const plan = this.plan(jobName);
    const executor = await currentExecutor();
    return executor.execute(plan);
  }

  /** @internal execute() for executeAndCollect: the collected values come back with the result. */
  async executeCollecting(jobName?: string): Promise<unknown[]> {
    const result = await (await currentExecutor()).execute(this.plan(jobName));
    return result.collected ?? [];
  }
}

function positive(n: number, what: string): number {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
  return n;
}
