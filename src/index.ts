/**
 * Runnel's public API: what `import { ... } from 'runnel'` gives a job.
 */
export { StreamExecutionEnvironment, RuntimeExecutionMode, CheckpointingMode, JobExecutionResult } from './api/environment.js';
export { DataStream, SingleOutputStreamOperator, KeyedStream, ConnectedStreams, BroadcastStream, BroadcastConnectedStream, DataStreamSink } from './api/datastream.js';
export * from './api/functions.js';
export { WatermarkStrategy } from './api/watermarks.js';
export * from './api/windowing/index.js';
export { JobExecutionException } from './api/errors.js';
export { ParameterTool } from './api/params.js';
export {
  ValueStateDescriptor,
  ListStateDescriptor,
  MapStateDescriptor,
  ReducingStateDescriptor,
  AggregatingStateDescriptor,
  StateTtlConfig,
} from './state/index.js';
export type { ValueState, ListState, MapState, ReducingState, AggregatingState, AggregateFunction, KeyedStateStore } from './state/index.js';
export type { StateTtlConfigBuilder, TtlStateVisibility, TtlUpdateType } from './state/index.js';
export * from './connectors/index.js';
