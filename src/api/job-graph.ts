/**
 * JobGraph: the StreamGraph with operators chained into vertices — what the JobManager
 * schedules. It is plain data (it travels to the JobManager and into the REST plan); the
 * operators themselves are rebuilt in each slot from the job's own code by node id.
 *
 * Two operators chain when the edge between them is forward, their parallelism is equal, the
 * downstream one has no other input, and neither refuses chaining — Flink's rule.
 */
import type { RestartStrategySpec } from '../config/index.js';
import { createHash } from 'node:crypto';
import { shipStrategy, type PartitionerSpec } from '../operators/partitioners.js';
import type { StreamEdge, StreamGraph, StreamNode } from './stream-graph.js';

export interface JobVertex {
  /** The chain head's operator id: 32 hex characters. */
  readonly id: string;
  readonly name: string;
  readonly parallelism: number;
  readonly maxParallelism: number;
  /** Stream node ids of the chain, head first, in topological order. */
  readonly nodeIds: number[];
  /** Operator ids of the chain, in the same order (what state is mapped by). */
  readonly operatorIds: string[];
  readonly isSource: boolean;
}

export interface JobEdge {
  readonly id: string;
  readonly sourceVertex: string;
  readonly targetVertex: string;
  readonly sourceNode: number;
  readonly targetNode: number;
  readonly typeNumber: 0 | 1 | 2;
  readonly partitioner: PartitionerSpec;
  readonly sideOutputTag: string | null;
}

export interface ExecutionSettings {
  readonly runtimeMode: 'STREAMING' | 'BATCH';
  readonly bufferTimeoutMs: number;
  readonly maxParallelism: number;
  readonly parallelism: number;
  readonly autoWatermarkIntervalMs: number;
  /** What the JobMaster does when a task fails. */
  readonly restartStrategy: RestartStrategySpec;
  readonly checkpointing: CheckpointingSettings;
  /** Where keyed state lives (`state.backend.*`). */
  readonly stateBackend: StateBackendSettings;
}

export interface StateBackendSettings {
  readonly type: 'hashmap' | 'rocksdb';
  /** `state.backend.incremental`. */
  readonly incremental: boolean;
  /** `state.backend.rocksdb.localdir`; null: a folder under the system's temp folder. */
  readonly localDir: string | null;
  /** `state.backend.rocksdb.resident-keys`. */
  readonly residentKeys: number;
  /** `state.backend.rocksdb.timer-service.factory`; absent: ROCKSDB. */
  readonly timerService?: 'ROCKSDB' | 'HEAP';
}

/** How the job checkpoints (`execution.checkpointing.*`); `intervalMs` 0: it does not. */
export interface CheckpointingSettings {
  readonly intervalMs: number;
  readonly mode: 'EXACTLY_ONCE' | 'AT_LEAST_ONCE';
  readonly timeoutMs: number;
  readonly minPauseMs: number;
  readonly numRetained: number;
  readonly tolerableFailures: number;
  /** `execution.checkpointing.dir`; null: checkpoints go under the system's temp folder. */
  readonly dir: string | null;
  /** `execution.checkpointing.savepoint-dir`: where savepoints go when no folder is given. */
  readonly savepointDir: string | null;
}

export interface JobGraph {
  readonly jobId: string;
  readonly jobName: string;
  readonly vertices: JobVertex[];
  readonly edges: JobEdge[];
  readonly settings: ExecutionSettings;
  /** A hash of the graph's structure: a slot that rebuilds the job checks it gets the same one. */
  readonly fingerprint: string;
}

function chainable(edge: StreamEdge): boolean {
  return (
    edge.target.inEdges.length === 1 &&
    edge.partitioner.type === 'forward' &&
    edge.source.parallelism === edge.target.parallelism &&
    edge.target.chaining === 'ALWAYS' &&
    edge.source.chaining !== 'NEVER'
  );
}

export function buildJobGraph(graph: StreamGraph, jobId: string, settings: ExecutionSettings): JobGraph {
  const headOf = new Map<number, StreamNode>();
  const chains = new Map<number, StreamNode[]>();
  for (const node of graph.nodes.values()) {
    const inbound = node.inEdges.length === 1 && chainable(node.inEdges[0]!) ? node.inEdges[0]! : undefined;
    const head = inbound === undefined ? node : headOf.get(inbound.source.id)!;
    headOf.set(node.id, head);
    if (head === node) chains.set(node.id, [node]);
    else chains.get(head.id)!.push(node);
  }
  const vertices: JobVertex[] = [];
  for (const [headId, nodes] of chains) {
    const head = graph.nodes.get(headId)!;
    vertices.push({
      id: head.operatorId,
      name: nodes.map((n) => n.operatorName).join(' -> '),
      parallelism: head.parallelism,
      maxParallelism: head.maxParallelism,
      nodeIds: nodes.map((n) => n.id),
      operatorIds: nodes.map((n) => n.operatorId),
      isSource: head.kind === 'source',
    });
  }
  const edges: JobEdge[] = [];
  for (const node of graph.nodes.values()) {
    for (const e of node.outEdges) {
      const from = headOf.get(e.source.id)!;
      const to = headOf.get(e.target.id)!;
      if (from === to) continue;
      edges.push({
        id: e.id,
        sourceVertex: from.operatorId,
        targetVertex: to.operatorId,
        sourceNode: e.source.id,
        targetNode: e.target.id,
        typeNumber: e.typeNumber,
        partitioner: e.partitioner,
        sideOutputTag: e.sideOutputTag ?? null,
      });
    }
  }
  const fingerprint = createHash('sha256')
    .update(JSON.stringify({ v: vertices.map((v) => [v.id, v.nodeIds, v.parallelism]), e: edges.map((e) => [e.id, e.partitioner.type]) }))
    .digest('hex')
    .slice(0, 32);
  return { jobId, jobName: graph.jobName, vertices, edges, settings, fingerprint };
}

/** The plan in the shape of Flink's `GET /jobs/:jobid/plan` (also what `runnel info` prints). */
export function jobPlan(job: JobGraph): {
  jid: string;
  name: string;
  type: string;
  nodes: Array<{
    id: string;
    parallelism: number;
    operator: string;
    operator_strategy: string;
    description: string;
    inputs?: Array<{ num: number; id: string; ship_strategy: string; exchange: string }>;
    optimizer_properties: Record<string, never>;
  }>;
} {
  return {
    jid: job.jobId,
    name: job.jobName,
    type: job.settings.runtimeMode,
    nodes: job.vertices.map((v) => {
      const inputs = job.edges
        .filter((e) => e.targetVertex === v.id)
        .map((e, num) => ({
          num,
          id: e.sourceVertex,
          ship_strategy: shipStrategy(e.partitioner),
          exchange: job.settings.runtimeMode === 'BATCH' ? 'blocking' : 'pipelined_bounded',
        }));
      return {
        id: v.id,
        parallelism: v.parallelism,
        operator: '',
        operator_strategy: '',
        description: v.name,
        ...(inputs.length > 0 ? { inputs } : {}),
        optimizer_properties: {},
      };
    }),
  };
}
