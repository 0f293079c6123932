/**
 * Partitioners: which downstream subtask(s) a record goes to. The spec is plain data and
 * travels in the JobGraph; the selector is built in the task from the spec plus, for key-based
 * partitioning, the live key selector or partitioner function of the job's own graph.
 */
import { assignToKeyGroup, computeOperatorIndexForKeyGroup } from '../state/index.js';

export type PartitionerSpec =
  | { readonly type: 'forward' }
  | { readonly type: 'rebalance' }
  | { readonly type: 'rescale' }
  | { readonly type: 'shuffle' }
  | { readonly type: 'broadcast' }
  | { readonly type: 'global' }
  | { readonly type: 'hash' }
  | { readonly type: 'custom' };

/** Flink's names for the plan's ship strategies. */
export function shipStrategy(spec: PartitionerSpec): string {
  switch (spec.type) {
    case 'forward':
      return 'FORWARD';
    case 'rebalance':
      return 'REBALANCE';
    case 'rescale':
      return 'RESCALE';
    case 'shuffle':
      return 'SHUFFLE';
    case 'broadcast':
      return 'BROADCAST';
    case 'global':
      return 'GLOBAL';
    case 'hash':
      return 'HASH';
    case 'custom':
      return 'CUSTOM';
  }
}

/** Forward and rescale connect each upstream subtask to a subset of the downstream ones. */
export function isPointwise(spec: PartitionerSpec): boolean {
  return spec.type === 'forward' || spec.type === 'rescale';
}

/**
 * The downstream subtasks an upstream subtask of a pointwise edge sends to, in order (Flink's
 * POINTWISE pattern): equal parallelism pairs i with i; otherwise ranges are spread evenly.
 */
export function pointwiseTargets(upstreamIndex: number, upstream: number, downstream: number): number[] {
  if (upstream === downstream) return [upstreamIndex];
  if (upstream < downstream) {
    const start = Math.floor((upstreamIndex * downstream) / upstream);
    const end = Math.floor(((upstreamIndex + 1) * downstream) / upstream);
    return Array.from({ length: end - start }, (_, i) => start + i);
  }
  return [Math.floor((upstreamIndex * downstream) / upstream)];
}

/** Chooses among `channels` outgoing channels; -1 means every channel. */
export interface ChannelSelector {
  select(value: unknown): number;
}

export const BROADCAST = -1;

export function createSelector(
  spec: PartitionerSpec,
  channels: number,
  options: {
    readonly subtaskIndex: number;
    readonly maxParallelism: number;
    readonly keySelector?: ((value: unknown) => unknown) | undefined;
    readonly customPartitioner?: ((key: unknown, n: number) => number) | undefined;
  },
): ChannelSelector {
  switch (spec.type) {
    case 'forward':
    case 'global':
      return { select: () => 0 };
    case 'broadcast':
      return { select: () => BROADCAST };
    case 'rebalance':
    case 'rescale': {
      // Start where the subtask index points so parallel senders do not all hit channel 0 first.
      let next = options.subtaskIndex % channels;
      return {
        select: () => {
          const c = next;
          next = next + 1 === channels ? 0 : next + 1;
          return c;
        },
      };
    }
    case 'shuffle':
      return { select: () => Math.floor(Math.random() * channels) };
    case 'hash': {
      const key = requireFn(options.keySelector, 'a hash partitioner needs the key selector');
      const max = options.maxParallelism;
      return { select: (v) => computeOperatorIndexForKeyGroup(max, channels, assignToKeyGroup(key(v), max)) };
    }
    case 'custom': {
      const key = requireFn(options.keySelector, 'a custom partitioner needs its key selector');
      const partition = requireFn(options.customPartitioner, 'a custom partitioner needs its function');
      return {
        select: (v) => {
          const c = partition(key(v), channels);
          if (!Number.isInteger(c) || c < 0 || c >= channels) {
            throw new RangeError(`the custom partitioner returned ${c}; it must be an integer from 0 to ${channels - 1}`);
          }
          return c;
        },
      };
    }
  }
}

function requireFn<F>(fn: F | undefined, message: string): F {
  if (fn === undefined) throw new Error(message);
  return fn;
}
