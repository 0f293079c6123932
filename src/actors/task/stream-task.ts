/**
 * A task: one parallel instance of a vertex's operator chain, running in a slot worker.
 *
 * It works in steps that the worker schedules: a step handles a bounded number of input batches
 * (or source polls), synchronously, record by record through the chain, and only while every
 * outgoing channel has room — otherwise it waits until the channels drain (backpressure).
 */
import type { JobGraph } from '../../api/job-graph.js';
import type { StreamGraph } from '../../api/stream-graph.js';
import { randomUUID } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { SourceSplit } from '../../connectors/index.js';
import { InputGate, RecordWriter, type BarrierInfo, type InputChannel, type OutputChannel } from '../../net/channels/index.js';
import type { OperatorSetup, ProcessingTimeService } from '../../operators/operator.js';
import { createSelector } from '../../operators/partitioners.js';
import { CollectSinkOperator } from '../../operators/sink.js';
import { SourceOperator } from '../../operators/source.js';
import { toWireError, type WireError } from '../system/errors.js';
import { buildChain, type ChainedOperator } from './chain.js';
import type { ExecutionState, FromWorker, SlotLocation, TaskDeployment, TaskMetrics } from './deployment.js';
import { readRestoredState } from './state-files.js';
import { HeapKeyedStateBackend, RocksDBKeyedStateBackend, type KeyedStateBackend, type KeyGroupRange } from '../../state/index.js';
import { TaskCheckpoints } from './task-checkpoints.js';
import { TaskTimer } from './task-timer.js';

/** What a task needs from the worker it runs in. */
export interface TaskHost {
  schedule(task: StreamTask): void;
  outputChannel(job: JobGraph, endpointId: string, peer: SlotLocation): OutputChannel;
  inputChannel(job: JobGraph, endpointId: string, peer: SlotLocation): InputChannel;
  report(message: FromWorker): void;
  readonly processingTime: ProcessingTimeService;
}

const BATCHES_PER_STEP = 16;
const SOURCE_RECORDS_PER_STEP = 4096;

export class StreamTask {
  state: ExecutionState = 'DEPLOYING';
  private chain: ChainedOperator[] = [];
  private writers: RecordWriter[] = [];
  private gate: InputGate | undefined;
  private source: SourceOperator | undefined;
  private waitingForOutput = false;
  private flusher: NodeJS.Timeout | undefined;
  private numRecordsIn = 0;
  /** Busy, idle and back-pressured time, switched per step. */
  private readonly timer = new TaskTimer();
  private readonly pendingSplits: Array<() => void> = [];
  /** While a checkpoint waits for a sink's flush: no records, timers or triggers run. */
  private paused = false;
  /** Set once the task's input (or source) has ended: see finishTask. */
  private dataEnded = false;
  /** A source told to drain (stop --drain): it ends its data now and waits for the savepoint. */
  private draining = false;
  /**
   * At the end of its data, waiting for the final checkpoint (see finishTask): its id once the
   * task took part in it, whether it completed, whether the task is finishing now.
   */
  private awaitingFinal: { checkpointId: number | undefined; completed: boolean; finishing: boolean; readonly finish: () => Promise<void> } | undefined;
  private readonly deferred: Array<() => void> = [];
  private readonly checkpoints: TaskCheckpoints;
  /**
   * The head operator's RocksDB backend with its inputs' key selectors: each input batch's keys
   * are read from RocksDB in one go before the batch runs.
   */
  /** The keyed backends of the chain's operators, told of completed and aborted checkpoints. */
  private readonly keyedBackends: KeyedStateBackend[] = [];
  private prefetcher: { backend: RocksDBKeyedStateBackend; keySelectors: readonly (((value: unknown) => unknown) | undefined)[] } | undefined;

  /**
   * The worker's clock, with every callback (a timer firing) run as part of this task: not
   * after the task has ended, and a user function throwing in it fails the task instead of
   * escaping to the thread.
   */
  private readonly processingTime: ProcessingTimeService = {
    now: () => this.host.processingTime.now(),
    schedule: (at, callback) => this.host.processingTime.schedule(at, () => this.onProcessingTime(callback)),
  };

  constructor(
    readonly deployment: TaskDeployment,
    private readonly job: JobGraph,
    private readonly graph: StreamGraph,
    private readonly host: TaskHost,
  ) {
    this.checkpoints = new TaskCheckpoints({
      deployment: this.deployment,
      chain: () => this.chain,
      writers: () => this.writers,
      running: () => this.state === 'RUNNING',
      report: (message) => this.host.report(message),
      pause: () => {
        this.paused = true;
      },
      resume: () => this.resume(),
      fail: (error) => void this.fail(error),
      now: () => Date.now(),
    });
  }

  get executionId(): string {
    return this.deployment.executionId;
  }

  async start(): Promise<void> {
    try {
      this.transition('INITIALIZING');
      const d = this.deployment;
      const vertex = this.job.vertices.find((v) => v.id === d.vertexId);
      if (vertex === undefined) throw new Error(`vertex ${d.vertexId} is not part of job ${d.jobId}`);
      // Read before anything starts: a missing or corrupt file fails the task here.
      const restored = d.restore === undefined ? undefined : await readRestoredState(d.restore, d.subtaskIndex, d.parallelism);
      if (this.state !== 'INITIALIZING') return;
      const writers = new Map<string, RecordWriter>();
      for (const out of d.outputs) {
        const edge = this.job.edges.find((e) => e.id === out.edgeId)!;
        const streamEdge = this.graph.nodes.get(edge.sourceNode)!.outEdges.find((e) => e.id === edge.id)!;
        const channels = out.channels.map((c) => this.host.outputChannel(this.job, c.id, c.peer));
        const selector = createSelector(edge.partitioner, channels.length, {
          subtaskIndex: d.subtaskIndex,
          maxParallelism: streamEdge.target.maxParallelism,
          keySelector: streamEdge.keySelector,
          customPartitioner: streamEdge.customPartitioner,
        });
        writers.set(edge.id, new RecordWriter(channels, selector));
      }
      this.writers = [...writers.values()];
      this.chain = buildChain(vertex, this.graph, (id) => writers.get(id), () => ({
        sendSplitRequest: () => this.host.report({ type: 'splitRequest', executionId: d.executionId }),
        sendSourceEvent: (event) => this.host.report({ type: 'sourceEvent', executionId: d.executionId, event }),
      }));
      const head = this.chain[0]!.operator;
      if (head instanceof SourceOperator) {
        this.source = head;
      } else {
        const channels = d.inputs.flatMap((i) => i.channels.map((c) => ({ channel: this.host.inputChannel(this.job, c.id, c.peer), input: i.input })));
        this.gate = new InputGate(channels, head.inputs.length, () => this.host.schedule(this), { mode: this.job.settings.checkpointing?.mode ?? 'EXACTLY_ONCE' });
      }
      // Open from the tail, so every operator's downstream is ready before it can emit.
      for (let i = this.chain.length - 1; i >= 0; i--) {
        const c = this.chain[i]!;
        await c.operator.open(this.setup(c));
      }
      if (restored !== undefined) {
        for (const c of this.chain) {
          const state = restored.get(c.node.operatorId);
          if (state !== undefined) await c.operator.initializeState?.(state);
        }
      }
      if (this.state !== 'INITIALIZING') return;
      this.startFlusher();
      this.transition('RUNNING');
      for (const deliver of this.pendingSplits.splice(0)) deliver();
      this.source?.start();
      for (const input of this.gate?.initiallyEnded() ?? []) head.inputs[input]!.endInput();
      if (this.gate?.finished === true) {
        await this.finishTask();
        return;
      }
      this.host.schedule(this);
    } catch (err) {
      await this.fail(err);
    }
  }

  private setup(c: ChainedOperator): OperatorSetup {
    const d = this.deployment;
    const t = c.node.transformation;
    return {
      info: {
        jobId: d.jobId,
        taskName: d.taskName,
        operatorName: c.node.operatorName,
        operatorId: c.node.operatorId,
        subtaskIndex: d.subtaskIndex,
        parallelism: d.parallelism,
        maxParallelism: c.node.maxParallelism,
        attemptNumber: d.attemptNumber,
      },
      output: c.output,
      processingTime: this.processingTime,
      keySelectors: t.kind === 'one-input' ? [t.keySelector] : t.kind === 'two-input' ? [t.keySelector1, t.keySelector2] : [],
      runtimeMode: this.job.settings.runtimeMode,
      checkpointing: this.job.settings.checkpointing.intervalMs > 0 && this.job.settings.runtimeMode === 'STREAMING',
      autoWatermarkIntervalMs: this.job.settings.autoWatermarkIntervalMs,
      createKeyedStateBackend: (range, maxParallelism) => this.createKeyedStateBackend(c, range, maxParallelism),
    };
  }

  /** The backend `state.backend.type` names; over RocksDB, in a folder of its own under the local directory. */
  private createKeyedStateBackend(c: ChainedOperator, range: KeyGroupRange, maxParallelism: number): KeyedStateBackend {
    const backend = this.newKeyedStateBackend(c, range, maxParallelism);
    this.keyedBackends.push(backend);
    return backend;
  }

  private newKeyedStateBackend(c: ChainedOperator, range: KeyGroupRange, maxParallelism: number): KeyedStateBackend {
    const settings = this.job.settings.stateBackend;
    // BATCH jobs keep keyed state on the heap, as Flink's batch execution ignores the backend.
    if (settings?.type !== 'rocksdb' || this.job.settings.runtimeMode === 'BATCH') return new HeapKeyedStateBackend(range, maxParallelism);
    const d = this.deployment;
    const localDir = settings.localDir ?? join(tmpdir(), 'runnel-rocksdb');
    const backend = new RocksDBKeyedStateBackend({
      keyGroupRange: range,
      maxParallelism,
      directory: join(localDir, `job_${d.jobId}_op_${c.node.operatorId}_${d.subtaskIndex}_${d.attemptNumber}_${randomUUID()}`),
      residentKeys: settings.residentKeys,
      incremental: settings.incremental,
      timerService: settings.timerService ?? 'ROCKSDB',
    });
    if (c === this.chain[0]) {
      const t = c.node.transformation;
      this.prefetcher = { backend, keySelectors: t.kind === 'one-input' ? [t.keySelector] : t.kind === 'two-input' ? [t.keySelector1, t.keySelector2] : [] };
    }
    return backend;
  }

  /** Reads the keys of a batch from RocksDB before it runs; a record whose key cannot be computed fails later, in its turn. */
  private prefetch(input: number, values: readonly unknown[]): void {
    const p = this.prefetcher!;
    const selector = p.keySelectors[input];
    if (selector === undefined) return;
    const keys: unknown[] = [];
    for (let i = 0; i < values.length; i++) {
      try {
        keys.push(selector(values[i]));
      } catch {
        // processElement reports it.
      }
    }
    p.backend.prefetch(keys);
  }

  /** One step of work; the worker calls it when the task was scheduled. */
  step(): void {
    if (this.state !== 'RUNNING' || this.paused) return;
    try {
      if (!this.outputWritable()) {
        this.timer.enter('backPressured');
        return;
      }
      this.timer.enter('busy');
      if (this.source !== undefined) {
        if (!this.dataEnded) this.sourceStep(this.source);
      } else {
        this.inputStep(this.gate!);
      }
      if (this.job.settings.bufferTimeoutMs === 0) this.flushOutputs();
    } catch (err) {
      void this.fail(err);
    }
  }

  private onProcessingTime(callback: () => void): void {
    if (this.state !== 'RUNNING' && this.state !== 'INITIALIZING') return;
    if (this.paused) {
      this.deferred.push(() => this.onProcessingTime(callback));
      return;
    }
    try {
      callback();
      if (this.job.settings.bufferTimeoutMs === 0) this.flushOutputs();
    } catch (err) {
      void this.fail(err);
    }
  }

  private outputWritable(): boolean {
    for (const w of this.writers) {
      if (!w.writable) {
        if (!this.waitingForOutput) {
          this.waitingForOutput = true;
          w.whenWritable(() => {
            this.waitingForOutput = false;
            this.host.schedule(this);
          });
        }
        return false;
      }
    }
    return true;
  }

  private sourceStep(source: SourceOperator): void {
    const limit = source.emitted + SOURCE_RECORDS_PER_STEP;
    for (;;) {
      const status = source.poll();
      if (status === 'END_OF_INPUT') {
        // The end of a bounded input: event time is complete.
        this.chain[0]!.output.emitWatermark(Number.POSITIVE_INFINITY);
        void this.finishTask();
        return;
      }
      if (status === 'NOTHING_AVAILABLE') {
        this.timer.enter('idle');
        source.isAvailable().then(
          () => this.host.schedule(this),
          (err: unknown) => void this.fail(err),
        );
        return;
      }
      if (!this.writersWritable()) {
        this.timer.enter('backPressured');
        this.host.schedule(this);
        return;
      }
      if (source.emitted >= limit) {
        this.host.schedule(this);
        return;
      }
    }
  }

  private writersWritable(): boolean {
    for (const w of this.writers) if (!w.writable) return false;
    return true;
  }

  private inputStep(gate: InputGate): void {
    const head = this.chain[0]!.operator;
    for (let n = 0; n < BATCHES_PER_STEP && gate.hasData; ) {
      const event = gate.poll();
      switch (event.kind) {
        case 'records': {
          const input = head.inputs[event.input]!;
          const { values, timestamps } = event.message;
          if (this.prefetcher !== undefined) this.prefetch(event.input, values);
          if (timestamps === null) {
            for (let i = 0; i < values.length; i++) input.processElement(values[i], undefined);
          } else {
            for (let i = 0; i < values.length; i++) input.processElement(values[i], timestamps[i] ?? undefined);
          }
          this.numRecordsIn += values.length;
          event.channel.release();
          n++;
          if (!this.writersWritable()) {
            this.timer.enter('backPressured');
            this.host.schedule(this);
            return;
          }
          break;
        }
        case 'watermark':
          head.inputs[event.input]!.processWatermark(event.watermark);
          break;
        case 'status':
          head.inputs[event.input]!.processWatermarkStatus?.(event.idle);
          break;
        case 'barrier':
          if (this.performCheckpoint(event.barrier, event.alignmentMs)) return;
          break;
        case 'barrier-aborted':
          this.checkpoints.decline(event.checkpointId, event.reason);
          break;
        case 'end-of-input':
          head.inputs[event.input]!.endInput();
          if (gate.finished) {
            void this.finishTask();
            return;
          }
          break;
        case 'nothing':
          break;
      }
    }
    if (gate.hasData) this.host.schedule(this);
    else this.timer.enter('idle');
    // At the end of the data: the last `end` of an input may be what the task waited for.
    if (this.awaitingFinal !== undefined) this.finishIfFinal();
  }

  /**
   * A source task's checkpoint: called from the worker's message loop, so between two steps,
   * never inside a batch.
   */
  triggerCheckpoint(barrier: BarrierInfo): void {
    if (this.paused) {
      this.deferred.push(() => this.triggerCheckpoint(barrier));
      return;
    }
    if (this.state !== 'RUNNING') {
      this.checkpoints.decline(barrier.checkpointId, `task ${this.deployment.taskName} is ${this.state}, not RUNNING`);
      return;
    }
    if (this.source === undefined) {
      this.checkpoints.decline(barrier.checkpointId, `task ${this.deployment.taskName} is not a source task: its checkpoints start with barriers from its inputs`);
      return;
    }
    if (this.awaitingFinal?.finishing === true) {
      this.checkpoints.decline(barrier.checkpointId, `task ${this.deployment.taskName} is finishing: its final checkpoint completed`);
      return;
    }
    try {
      this.performCheckpoint(barrier, 0);
      if (this.job.settings.bufferTimeoutMs === 0) this.flushOutputs();
    } catch (err) {
      void this.fail(err);
    }
  }

  /** True when the task paused for a sink's flush (see TaskCheckpoints.perform). */
  private performCheckpoint(barrier: BarrierInfo, alignmentMs: number): boolean {
    if (this.awaitingFinal !== undefined && barrier.final === true) this.awaitingFinal.checkpointId = barrier.checkpointId;
    return this.checkpoints.perform(barrier, alignmentMs);
  }

  notifyCheckpointComplete(checkpointId: number): void {
    if (this.state !== 'RUNNING') return;
    for (const backend of this.keyedBackends) backend.notifyCheckpointComplete?.(checkpointId);
    this.checkpoints.notifyComplete(checkpointId);
    const waiting = this.awaitingFinal;
    if (waiting !== undefined && waiting.checkpointId !== undefined && checkpointId >= waiting.checkpointId) {
      waiting.completed = true;
      this.finishIfFinal();
    }
  }

  /**
   * The task ends once its final checkpoint completed (its commits begun) and every input
   * channel ended: upstream tasks end their channels after the same checkpoint.
   */
  private finishIfFinal(): void {
    const waiting = this.awaitingFinal;
    if (waiting === undefined || !waiting.completed || waiting.finishing || this.gate?.closed === false) return;
    waiting.finishing = true;
    void waiting.finish();
  }

  /**
   * Stop with --drain, at a source task: no more records are read; event time advances to the
   * end (every window and timer fires downstream) and the task ends its data as at the end of
   * a bounded input, then waits for the final savepoint.
   */
  drain(): void {
    if (this.paused) {
      this.deferred.push(() => this.drain());
      return;
    }
    if (this.state !== 'RUNNING' || this.source === undefined || this.dataEnded) return;
    this.draining = true;
    try {
      this.chain[0]!.output.emitWatermark(Number.POSITIVE_INFINITY);
      void this.finishTask();
    } catch (err) {
      void this.fail(err);
    }
  }

  notifyCheckpointAborted(checkpointId: number): void {
    if (this.state !== 'RUNNING') return;
    // Channels blocked for it carry on.
    if (this.gate?.abort(checkpointId) === true) this.host.schedule(this);
    for (const backend of this.keyedBackends) backend.notifyCheckpointAborted?.(checkpointId);
    this.checkpoints.notifyAborted(checkpointId);
  }

  private resume(): void {
    this.paused = false;
    while (!this.paused && this.deferred.length > 0) this.deferred.shift()!();
    if (!this.paused) this.host.schedule(this);
  }

  /** Records in and out so far and where the time went since the previous call. */
  sampleMetrics(): TaskMetrics {
    return {
      executionId: this.executionId,
      numRecordsIn: this.numRecordsIn,
      numRecordsOut: this.numRecordsOut(),
      ...this.timer.sample(),
    };
  }

  private numRecordsOut(): number {
    let n = 0;
    for (const w of this.writers) n += w.written;
    return n;
  }

  private flushOutputs(): void {
    for (const w of this.writers) w.flushAll();
  }

  private startFlusher(): void {
    const timeout = this.job.settings.bufferTimeoutMs;
    if (timeout > 0 && this.writers.length > 0) {
      this.flusher = setInterval(() => {
        if (this.state === 'RUNNING') this.flushOutputs();
      }, timeout);
    }
  }

  private stopFlusher(): void {
    if (this.flusher !== undefined) clearInterval(this.flusher);
    this.flusher = undefined;
  }

  /**
   * The end of the task's data. Its operators finish; then, without checkpointing, its outputs
   * end and it finishes. With checkpointing (STREAMING), what the operators still hold (a
   * sink's last part file) is committed by a final checkpoint, taken once every task of the
   * job got here: the outputs carry `endOfData` and stay open for its barrier, and the task
   * ends them once it completed (finishIfFinal). The same when draining (stop --drain, whose
   * savepoint is the final checkpoint) and downstream of a task that waits so.
   */
  private async finishTask(): Promise<void> {
    if ((this.state !== 'RUNNING' && this.state !== 'INITIALIZING') || this.dataEnded) return;
    this.dataEnded = true;
    // Nothing else runs while the operators finish: no checkpoint may see them half-finished.
    this.paused = true;
    try {
      // Head first: what an operator emits while finishing reaches the operators after it.
      for (const c of this.chain) await c.operator.finish();
      this.stopFlusher();
      const finish = async (): Promise<void> => {
        try {
          await this.settleCommits();
          await this.endOutputs('end');
          const collected = this.chain.flatMap((c) => (c.operator instanceof CollectSinkOperator ? c.operator.collected : []));
          await this.closeOperators();
          if (this.state !== 'RUNNING' && this.state !== 'INITIALIZING') return;
          this.transition('FINISHED', { collected });
        } catch (err) {
          await this.fail(err);
        }
      };
      const { checkpointing, runtimeMode } = this.job.settings;
      const periodic = checkpointing.intervalMs > 0 && runtimeMode === 'STREAMING';
      if (periodic || this.draining || this.gate?.finalCheckpointAwaited === true) {
        await this.endOutputs('endOfData');
        if (this.state !== 'RUNNING') return;
        this.awaitingFinal = { checkpointId: undefined, completed: false, finishing: false, finish };
        this.host.report({ type: 'endOfData', executionId: this.deployment.executionId });
        this.resume();
        return;
      }
      await finish();
    } catch (err) {
      await this.fail(err);
    }
  }

  /** Sends `endOfData` or `end` on every output, after everything written before. */
  private async endOutputs(kind: 'endOfData' | 'end'): Promise<void> {
    for (const w of this.writers) w.broadcastEvent({ kind });
    await Promise.all(this.writers.map((w) => new Promise<void>((resolve) => w.whenWritable(resolve))));
  }

  /** The commits of completed checkpoints still running finish before the operators close. */
  private settleCommits(): Promise<void> {
    return this.checkpoints.whenCommitted();
  }

  private async closeOperators(): Promise<void> {
    this.stopFlusher();
    let first: unknown;
    for (const c of this.chain) {
      try {
        await c.operator.close();
      } catch (err) {
        first ??= err;
      }
    }
    this.chain = [];
    if (first !== undefined) throw first;
  }

  async cancel(): Promise<void> {
    if (this.state === 'FINISHED' || this.state === 'FAILED' || this.state === 'CANCELED') return;
    this.state = 'CANCELING';
    try {
      await this.closeOperators();
    } catch {
      // Cancelling: errors while closing do not matter any more.
    }
    this.transition('CANCELED');
  }

  async fail(error: unknown): Promise<void> {
    if (this.state === 'FAILED' || this.state === 'CANCELED' || this.state === 'FINISHED') return;
    this.state = 'FAILED';
    try {
      await this.closeOperators();
    } catch {
      // The first error is the one that matters.
    }
    this.report('FAILED', { error: toWireError(error) });
  }

  addSplits(splits: unknown[]): void {
    const deliver = (): void => this.source?.addSplits(splits as SourceSplit[]);
    this.whenRunning(deliver);
  }

  noMoreSplits(): void {
    this.whenRunning(() => this.source?.noMoreSplits());
  }

  sourceEvent(event: unknown): void {
    this.whenRunning(() => this.source?.handleSourceEvent(event));
  }

  private whenRunning(action: () => void): void {
    if (this.state === 'RUNNING') {
      action();
      this.host.schedule(this);
    } else if (this.state === 'INITIALIZING' || this.state === 'DEPLOYING') {
      this.pendingSplits.push(action);
    }
  }

  private transition(state: ExecutionState, extra: { collected?: unknown[]; error?: WireError } = {}): void {
    this.state = state;
    this.report(state, extra);
  }

  private report(state: ExecutionState, extra: { collected?: unknown[]; error?: WireError }): void {
    const numRecordsOut = this.numRecordsOut();
    this.host.report({
      type: 'state',
      executionId: this.executionId,
      state,
      ...(extra.error ? { error: extra.error } : {}),
      ...(extra.collected && extra.collected.length > 0 ? { collected: extra.collected } : {}),
      metrics: { numRecordsIn: this.numRecordsIn, numRecordsOut },
    });
  }
}
