/**
 * StreamGraph: the physical operators of a job and the edges between them, derived from the
 * transformations. Virtual transformations (partitioning, union, side outputs) disappear here:
 * they only decide the partitioner and side-output tag of each edge.
 */
import { createHash } from 'node:crypto';
import type { PartitionerSpec } from '../operators/partitioners.js';
import { isPhysical, type ChainingStrategy, type PhysicalTransformation, type Transformation } from './transformation.js';

export interface StreamNode {
  readonly id: number;
  readonly name: string;
  readonly operatorName: string;
  readonly uid: string | undefined;
  /** 32 hex characters: the stable identity state is mapped by. */
  operatorId: string;
  readonly kind: 'source' | 'operator' | 'sink';
  readonly parallelism: number;
  readonly maxParallelism: number;
  readonly chaining: ChainingStrategy;
  readonly transformation: PhysicalTransformation;
  readonly inEdges: StreamEdge[];
  readonly outEdges: StreamEdge[];
}

export interface StreamEdge {
  readonly id: string;
  readonly source: StreamNode;
  readonly target: StreamNode;
  /** 0 for a one-input target, 1 or 2 for the inputs of a two-input target. */
  readonly typeNumber: 0 | 1 | 2;
  readonly partitioner: PartitionerSpec;
  readonly sideOutputTag: string | undefined;
  /** For hash and custom partitioning: the key of a record on this edge. */
  readonly keySelector: ((value: unknown) => unknown) | undefined;
  readonly customPartitioner: ((key: unknown, n: number) => number) | undefined;
}

export interface StreamGraph {
  readonly jobName: string;
  readonly nodes: ReadonlyMap<number, StreamNode>;
}

export interface GraphDefaults {
  readonly parallelism: number;
  readonly maxParallelism: number;
}

interface ResolvedInput {
  readonly node: StreamNode;
  partitioner: PartitionerSpec | undefined;
  keySelector: ((value: unknown) => unknown) | undefined;
  customPartitioner: ((key: unknown, n: number) => number) | undefined;
  sideOutputTag: string | undefined;
}

/** Builds the StreamGraph; transformations must be in creation (= topological) order. */
export function buildStreamGraph(jobName: string, transformations: readonly Transformation[], defaults: GraphDefaults): StreamGraph {
  const nodes = new Map<number, StreamNode>();
  const byTransformation = new Map<number, StreamNode>();

  const resolve = (t: Transformation): ResolvedInput[] => {
    switch (t.kind) {
      case 'partition':
        return resolve(t.input).map((r) => ({
          ...r,
          partitioner: t.partitioner,
          keySelector: t.keySelector ?? r.keySelector,
          customPartitioner: t.customPartitioner ?? r.customPartitioner,
        }));
      case 'union':
        return t.inputs.flatMap(resolve);
      case 'side-output':
        return resolve(t.input).map((r) => ({ ...r, sideOutputTag: t.tag }));
      default: {
        const node = byTransformation.get(t.id);
        if (node === undefined) throw new Error(`transformation ${t.id} (${t.name}) is used before it was defined`);
        return [{ node, partitioner: undefined, keySelector: undefined, customPartitioner: undefined, sideOutputTag: undefined }];
      }
    }
  };

  for (const t of transformations) {
    if (!isPhysical(t)) continue;
    const parallelism = t.parallelism ?? defaults.parallelism;
    const maxParallelism = t.maxParallelism ?? defaults.maxParallelism;
    if (parallelism > maxParallelism) {
      throw new Error(`'${t.name}' has parallelism ${parallelism}, more than its max parallelism ${maxParallelism}; raise pipeline.max-parallelism`);
    }
    const node: StreamNode = {
      id: t.id,
      name: t.name,
      operatorName: t.kind === 'source' ? `Source: ${t.name}` : t.kind === 'sink' ? `Sink: ${t.name}` : t.name,
      uid: t.uid,
      operatorId: '',
      kind: t.kind === 'source' ? 'source' : t.kind === 'sink' ? 'sink' : 'operator',
      parallelism,
      maxParallelism,
      chaining: t.kind === 'source' ? 'HEAD' : t.kind === 'sink' ? 'ALWAYS' : t.chaining,
      transformation: t,
      inEdges: [],
      outEdges: [],
    };
    const inputs: Array<[Transformation, 0 | 1 | 2]> =
      t.kind === 'source' ? [] : t.kind === 'two-input' ? [[t.input1, 1], [t.input2, 2]] : [[t.input, 0]];
    for (const [input, typeNumber] of inputs) {
      for (const r of resolve(input)) {
        let partitioner: PartitionerSpec = r.partitioner ?? (r.node.parallelism === parallelism ? { type: 'forward' } : { type: 'rebalance' });
        if (partitioner.type === 'forward' && r.node.parallelism !== parallelism) {
          if (r.partitioner !== undefined) {
            throw new Error(
              `forward() from '${r.node.name}' (parallelism ${r.node.parallelism}) to '${t.name}' (parallelism ${parallelism}) would change the parallelism; use rebalance() or rescale()`,
            );
          }
          partitioner = { type: 'rebalance' };
        }
        const edge: StreamEdge = {
          id: `${r.node.id}->${node.id}#${typeNumber}${r.sideOutputTag === undefined ? '' : `@${r.sideOutputTag}`}`,
          source: r.node,
          target: node,
          typeNumber,
          partitioner,
          sideOutputTag: r.sideOutputTag,
          keySelector: r.keySelector,
          customPartitioner: r.customPartitioner,
        };
        r.node.outEdges.push(edge);
        node.inEdges.push(edge);
      }
    }
    nodes.set(node.id, node);
    byTransformation.set(t.id, node);
  }
  assignOperatorIds(nodes);
  return { jobName, nodes };
}

function assignOperatorIds(nodes: Map<number, StreamNode>): void {
  const seen = new Map<string, StreamNode>();
  for (const node of nodes.values()) {
    const basis =
      node.uid !== undefined
        ? `uid:${node.uid}`
        : `auto:${node.kind}:${node.transformation.kind}:${node.name}:${node.inEdges.map((e) => `${e.source.operatorId}/${e.typeNumber}`).join(',')}:${node.id}`;
    node.operatorId = createHash('sha256').update(basis).digest('hex').slice(0, 32);
    const clash = seen.get(node.operatorId);
    if (clash !== undefined) throw new Error(`the uid '${node.uid}' is used by both '${clash.name}' and '${node.name}'; uids must be unique`);
    seen.set(node.operatorId, node);
  }
}
