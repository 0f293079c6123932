/**
 * Turns a JobGraph and the allocated slots into task deployments: which slot runs each
 * subtask, and the data channels of every task with the location of their other ends.
 * Pure functions: the JobMaster calls them, tests check them directly.
 */
import { randomBytes } from 'node:crypto';
import type { JobEdge, JobGraph, JobVertex } from '../../api/job-graph.js';
import { isPointwise, pointwiseTargets } from '../../operators/partitioners.js';
import type { CheckpointMetadata } from '../checkpoint/storage.js';
import type { ChannelEndpoint, DataEndpoint, SlotLocation, TaskDeployment } from '../task/deployment.js';

export interface AllocatedSlot {
  readonly resourceId: string;
  readonly taskExecutor: string;
  readonly slot: number;
}

/** Slot sharing: subtask i of every vertex runs in the i-th slot, so a job needs max-parallelism slots. */
export function slotsNeeded(job: JobGraph): number {
  return Math.max(...job.vertices.map((v) => v.parallelism));
}

function sources(edge: JobEdge, upstream: number, downstream: number, subtask: number): number[] {
  if (!isPointwise(edge.partitioner)) return Array.from({ length: upstream }, (_, j) => j);
  const result: number[] = [];
  for (let j = 0; j < upstream; j++) if (pointwiseTargets(j, upstream, downstream).includes(subtask)) result.push(j);
  return result;
}

function targets(edge: JobEdge, upstream: number, downstream: number, subtask: number): number[] {
  return isPointwise(edge.partitioner) ? pointwiseTargets(subtask, upstream, downstream) : Array.from({ length: downstream }, (_, j) => j);
}

export interface PlannedTask {
  readonly vertex: JobVertex;
  readonly slot: AllocatedSlot;
  readonly deployment: TaskDeployment;
}

/**
 * Plans every subtask's deployment. `dataEndpoints` are the slots' data sockets as their
 * TaskExecutors reported them: each deployment carries those of its channels' peers on other
 * TaskManagers, so its slot can connect to them.
 */
export function planDeployments(
  job: JobGraph,
  slots: readonly AllocatedSlot[],
  attemptNumber: number,
  dataEndpoints: readonly DataEndpoint[] = [],
  restoreFrom?: CheckpointMetadata,
): PlannedTask[] {
  const endpointOf = new Map(dataEndpoints.map((e) => [`${e.taskManager}#${e.slot}`, e]));
  const vertices = new Map(job.vertices.map((v) => [v.id, v]));
  const location = (subtask: number): SlotLocation => ({ taskManager: slots[subtask]!.resourceId, slot: slots[subtask]!.slot });
  const channel = (edge: JobEdge, from: number, to: number, peer: SlotLocation): ChannelEndpoint => ({
    id: `${job.jobId}/${attemptNumber}/${edge.id}[${from}->${to}]`,
    peer,
  });
  const planned: PlannedTask[] = [];
  for (const vertex of job.vertices) {
    for (let i = 0; i < vertex.parallelism; i++) {
      const inputs = job.edges
        .filter((e) => e.targetVertex === vertex.id)
        .map((e) => {
          const upstream = vertices.get(e.sourceVertex)!.parallelism;
          return { edgeId: e.id, input: e.typeNumber === 2 ? 1 : 0, channels: sources(e, upstream, vertex.parallelism, i).map((j) => channel(e, j, i, location(j))) };
        });
      const outputs = job.edges
        .filter((e) => e.sourceVertex === vertex.id)
        .map((e) => {
          const downstream = vertices.get(e.targetVertex)!.parallelism;
          return { edgeId: e.id, channels: targets(e, vertex.parallelism, downstream, i).map((j) => channel(e, i, j, location(j))) };
        });
      const remote = new Map<string, DataEndpoint>();
      for (const { channels } of [...inputs, ...outputs]) {
        for (const { peer } of channels) {
          if (peer.taskManager === slots[i]!.resourceId) continue;
          const endpoint = endpointOf.get(`${peer.taskManager}#${peer.slot}`);
          if (endpoint !== undefined) remote.set(`${peer.taskManager}#${peer.slot}`, endpoint);
        }
      }
      planned.push({
        vertex,
        slot: slots[i]!,
        deployment: {
          jobId: job.jobId,
          vertexId: vertex.id,
          taskName: `${vertex.name} (${i + 1}/${vertex.parallelism})`,
          subtaskIndex: i,
          parallelism: vertex.parallelism,
          attemptNumber,
          executionId: randomBytes(16).toString('hex'),
          inputs,
          outputs,
          ...(remote.size > 0 ? { dataEndpoints: [...remote.values()] } : {}),
          ...restoreOf(restoreFrom, vertex.id),
        },
      });
    }
  }
  return planned;
}

/** A vertex's state files in the checkpoint restored from; none when the vertex had no state there. */
function restoreOf(restoreFrom: CheckpointMetadata | undefined, vertexId: string): { restore?: { checkpointId: number; files: Array<string | null> } } {
  const vertex = restoreFrom?.vertices[vertexId];
  if (restoreFrom === undefined || vertex === undefined || vertex.files.every((f) => f === null)) return {};
  return { restore: { checkpointId: restoreFrom.checkpointId, files: [...vertex.files] } };
}
