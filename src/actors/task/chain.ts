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
  constructor(private readonly next: Input) {}
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
  return vertex.nodeIds.map((id) => {
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
    const direct = side.size === 0 && main.writers.length === 0 && main.inputs.length === 1;
    const output = direct ? new DirectOutput(main.inputs[0]!) : new ChainOutput(main, side);
    return { node, operator: operators.get(id)!, output };
  });
}

export type { SourceSplit };
