/**
 * Builds a task's operator chain from the job's own StreamGraph: one operator per node of the
 * vertex, each with an Output that calls the chained operators directly and writes to the
 * record writers of the edges that leave the chain.
 */
import type { JobVertex } from '../../api/job-graph.js';
import type { StreamGraph, StreamNode } from '../../api/stream-graph.js';
import type { SourceSplit } from '../../connectors/index.js';
import type { RecordWriter } from '../../net/channels/index.js';
import type { Input, Output, StreamOperator } from '../../operators/operator.js';
import { SourceOperator, type SourceCoordinatorLink } from '../../operators/source.js';
import { StreamFilter, StreamMap, type FusableStep } from '../../operators/basic.js';

export interface ChainedOperator {
  readonly node: StreamNode;
  readonly operator: StreamOperator;
  readonly output: Output;
}

interface Targets {
  readonly inputs: Input[];
  readonly writers: RecordWriter[];
}

/** Sends each record to every target; watermarks only when they advance. */
class ChainOutput implements Output {
  private watermark = Number.NEGATIVE_INFINITY;
  private idle = false;
  constructor(
    private readonly main: Targets,
    private readonly side: ReadonlyMap<string, Targets>,
  ) {}

  collect(value: unknown, timestamp: number | undefined): void {
    const { inputs, writers } = this.main;
    for (let i = 0; i < inputs.length; i++) inputs[i]!.processElement(value, timestamp);
    for (let i = 0; i < writers.length; i++) writers[i]!.emit(value, timestamp);
  }

  collectSide(tag: string, value: unknown, timestamp: number | undefined): void {
    const targets = this.side.get(tag);
    if (targets === undefined) return;
    for (const input of targets.inputs) input.processElement(value, timestamp);
    for (const writer of targets.writers) writer.emit(value, timestamp);
  }

  emitWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    for (const targets of [this.main, ...this.side.values()]) {
      for (const input of targets.inputs) input.processWatermark(watermark);
      for (const writer of targets.writers) writer.broadcastEvent({ kind: 'watermark', watermark });
    }
  }

  emitWatermarkStatus(idle: boolean): void {
    if (idle === this.idle) return;
    this.idle = idle;
    for (const targets of [this.main, ...this.side.values()]) {
      for (const input of targets.inputs) input.processWatermarkStatus?.(idle);
      for (const writer of targets.writers) writer.broadcastEvent({ kind: 'status', idle });
    }
  }
}

/** The common case: exactly one chained operator follows, nothing leaves the chain. */
class DirectOutput implements Output {
  private watermark = Number.NEGATIVE_INFINITY;
  constructor(readonly next: Input) {}
  collect(value: unknown, timestamp: number | undefined): void {
    this.next.processElement(value, timestamp);
  }
  collectSide(): void {}
  emitWatermark(watermark: number): void {
    if (watermark <= this.watermark) return;
    this.watermark = watermark;
    this.next.processWatermark(watermark);
  }
  emitWatermarkStatus(idle: boolean): void {
    this.next.processWatermarkStatus?.(idle);
  }
}

export function buildChain(
  vertex: JobVertex,
  graph: StreamGraph,
  writerFor: (edgeId: string) => RecordWriter | undefined,
  sourceLink: () => SourceCoordinatorLink,
): ChainedOperator[] {
  const members = new Set(vertex.nodeIds);
  const operators = new Map<number, StreamOperator>();
  for (const id of vertex.nodeIds) {
    const node = graph.nodes.get(id);
    if (node === undefined) throw new Error(`the job's graph has no node ${id}: the job built a different graph in this slot`);
    const t = node.transformation;
    operators.set(id, t.kind === 'source' ? new SourceOperator(t.source as never, sourceLink) : t.factory());
  }
  const targetsOf = new Map<number, { main: Targets; side: Map<string, Targets> }>();
  for (const id of vertex.nodeIds) {
    const node = graph.nodes.get(id)!;
    const main: Targets = { inputs: [], writers: [] };
    const side = new Map<string, Targets>();
    for (const edge of node.outEdges) {
      let targets = main;
      if (edge.sideOutputTag !== undefined) {
        targets = side.get(edge.sideOutputTag) ?? { inputs: [], writers: [] };
        side.set(edge.sideOutputTag, targets);
      }
      if (members.has(edge.target.id)) {
        const target = operators.get(edge.target.id)!;
        targets.inputs.push(target.inputs[edge.typeNumber === 2 ? 1 : 0]!);
      } else {
        const writer = writerFor(edge.id);
        if (writer !== undefined) targets.writers.push(writer);
      }
    }
    targetsOf.set(id, { main, side });
  }
  const runs = fusedRuns(vertex, graph, operators, members);
  // Records enter a run through its fused input; watermarks and end of input still reach
  // every operator of the run through their own outputs.
  const entry = new Map<Input, FusedInput>();
  for (const run of runs) entry.set(run.first, new FusedInput(run.first));
  if (entry.size > 0) {
    for (const { main, side } of targetsOf.values()) {
      for (const targets of [main, ...side.values()]) {
        for (let i = 0; i < targets.inputs.length; i++) targets.inputs[i] = entry.get(targets.inputs[i]!) ?? targets.inputs[i]!;
      }
    }
  }
  const outputs = new Map<number, Output>();
  for (const id of vertex.nodeIds) {
    const { main, side } = targetsOf.get(id)!;
    const direct = side.size === 0 && main.writers.length === 0 && main.inputs.length === 1;
    outputs.set(id, direct ? new DirectOutput(main.inputs[0]!) : new ChainOutput(main, side));
  }
  for (const run of runs) {
    const fused = fuse(run.steps, outputs.get(run.tail)!);
    if (fused !== undefined) entry.get(run.first)!.processElement = fused;
  }
  return vertex.nodeIds.map((id) => ({ node: graph.nodes.get(id)!, operator: operators.get(id)!, output: outputs.get(id)! }));
}

/** A run of chained stateless maps and filters with plain functions, fused into one function. */
interface FusedRun {
  readonly first: Input;
  readonly steps: FusableStep[];
  /** The node whose output receives what leaves the run. */
  readonly tail: number;
}

function fusableOf(operator: StreamOperator | undefined): FusableStep | undefined {
  return operator instanceof StreamMap || operator instanceof StreamFilter ? operator.fusable() : undefined;
}

/**
 * Maximal runs of fusable operators in the chain where each one's only output is the next one.
 * A run of one operator still gains: its fused function has call sites of its own.
 */
function fusedRuns(vertex: JobVertex, graph: StreamGraph, operators: ReadonlyMap<number, StreamOperator>, members: ReadonlySet<number>): FusedRun[] {
  /** The chained node that is `id`'s only downstream, through a plain main edge into input 1. */
  const soleNext = (id: number): number | undefined => {
    const edges = graph.nodes.get(id)!.outEdges;
    if (edges.length !== 1) return undefined;
    const edge = edges[0]!;
    if (edge.sideOutputTag !== undefined || edge.typeNumber === 2 || !members.has(edge.target.id)) return undefined;
    return edge.target.id;
  };
  const inRun = new Set<number>();
  const runs: FusedRun[] = [];
  // A run starts at a fusable node that no fusable predecessor feeds as its sole next.
  const fedByFusable = new Set<number>();
  for (const id of vertex.nodeIds) {
    const next = soleNext(id);
    if (next !== undefined && fusableOf(operators.get(id)) !== undefined) fedByFusable.add(next);
  }
  for (const id of vertex.nodeIds) {
    if (inRun.has(id) || fedByFusable.has(id)) continue;
    const firstStep = fusableOf(operators.get(id));
    if (firstStep === undefined) continue;
    const steps = [firstStep];
    let tail = id;
    inRun.add(id);
    for (;;) {
      const next = soleNext(tail);
      if (next === undefined || inRun.has(next)) break;
      const step = fusableOf(operators.get(next));
      if (step === undefined) break;
      steps.push(step);
      inRun.add(next);
      tail = next;
    }
    runs.push({ first: operators.get(id)!.inputs[0]!, steps, tail });
  }
  return runs;
}

/** The input a fused run is entered through: records take the fused function, the rest the first operator. */
class FusedInput implements Input {
  processElement: (value: unknown, timestamp: number | undefined) => void;
  constructor(private readonly first: Input) {
    this.processElement = (value, timestamp) => first.processElement(value, timestamp);
  }
  processWatermark(watermark: number): void {
    this.first.processWatermark(watermark);
  }
  processWatermarkStatus(idle: boolean): void {
    this.first.processWatermarkStatus?.(idle);
  }
  endInput(): void {
    this.first.endInput();
  }
}

/**
 * One function per run, compiled on its own so that its call sites (the user functions, the
 * run's downstream) stay monomorphic and V8 can inline them, as in a hand-written loop. The
 * user functions and the downstream are parameters, never source text.
 */
function fuse(steps: readonly FusableStep[], out: Output): ((value: unknown, timestamp: number | undefined) => void) | undefined {
  const lines = steps.map((s, i) => (s.kind === 'map' ? `value = f${i}(value);` : `if (!f${i}(value)) return;`));
  const direct = out instanceof DirectOutput;
  lines.push(direct ? 'next.processElement(value, timestamp);' : 'next.collect(value, timestamp);');
  const params = steps.map((_, i) => `f${i}`);
  let factory: (...args: unknown[]) => (value: unknown, timestamp: number | undefined) => void;
  try {
    factory = new Function(...params, 'next', `'use strict';\nreturn function fusedRun(value, timestamp) {\n  ${lines.join('\n  ')}\n};`) as typeof factory;
  } catch {
    // Code generation from strings is disallowed here: records take the operators one by one.
    return undefined;
  }
  return factory(...steps.map((s) => s.fn), direct ? out.next : out);
}

export type { SourceSplit };
