/** Windows: assigners, triggers, evictors, window functions and the windowed streams. */
export { AllWindowedStream, WindowedStream } from './windowed-stream.js';
export {
  EventTimeSessionWindows,
  GlobalWindows,
  MergingWindowAssigner,
  ProcessingTimeSessionWindows,
  SlidingEventTimeWindows,
  SlidingProcessingTimeWindows,
  TumblingEventTimeWindows,
  TumblingProcessingTimeWindows,
  WindowAssigner,
} from './assigners.js';
export type { SessionWindowTimeGapExtractor, WindowAssignerContext } from './assigners.js';
export {
  ContinuousEventTimeTrigger,
  CountTrigger,
  EndOfStreamTrigger,
  EventTimeTrigger,
  NeverTrigger,
  ProcessingTimeTrigger,
  PurgingTrigger,
  Trigger,
  TriggerResult,
} from './triggers.js';
export type { OnMergeContext, TriggerContext } from './triggers.js';
export { CountEvictor, TimeEvictor, TimestampedValue } from './evictors.js';
export type { Evictor, EvictorContext } from './evictors.js';
export { ProcessAllWindowFunction, ProcessWindowFunction } from './functions.js';
export type { ProcessWindowContext } from './functions.js';
export { GlobalWindow, MAX_WINDOW_TIMESTAMP, TimeWindow, Window } from './windows.js';
export type { MergeCallback, WindowSerializer } from './windows.js';
export { InvalidWindowError, MissingTimestampError, WindowStateError } from './errors.js';
