/**
 * The registry of benchmark scenarios, in the order `npm run bench` runs them.
 * To add one: export a `Scenario` from a file in this folder and append it here.
 */
import type { Scenario } from '../harness.js';
import { rawPipe, rawRoundTrip } from './raw-zmq.js';
import { rpcAsk, rpcTell } from './rpc.js';
import { batchAggregation, keyedAggregation, keyedShuffle, pipelineChained, windowTumbling } from './dataflow.js';
import { networkShuffle } from './network-shuffle.js';
import { checkpointing } from './checkpointing.js';
import { keyedAggregationRocksdb, keyedAggregationRocksdbLarge } from './keyed-aggregation-rocksdb.js';
import { windowTimersRocksdb } from './window-timers-rocksdb.js';

export const scenarios: Scenario[] = [rawPipe, rawRoundTrip, rpcTell, rpcAsk, pipelineChained, keyedAggregation, keyedShuffle, networkShuffle, windowTumbling, batchAggregation, checkpointing, keyedAggregationRocksdb, keyedAggregationRocksdbLarge, windowTimersRocksdb];
