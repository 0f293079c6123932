/**
 * Sources and sinks: the FLIP-27 source interfaces and the sink interfaces, the built-in
 * sources behind `env.fromElements/fromCollection/fromSequence/readTextFile/socketTextStream`
 * and the data generator, and the print and file sinks. Pure code, independent of the runtime
 * that drives it: splits and enumerator state are plain data, readers never block.
 */
export { Boundedness, InputStatus } from './source.js';
export type {
  ReaderOutput,
  Source,
  SourceReader,
  SourceReaderContext,
  SourceSplit,
  SplitEnumerator,
  SplitEnumeratorContext,
} from './source.js';
export type { Committer, CommitterInitContext, Sink, SinkWriter, WriterInitContext } from './sink.js';

export { AvailabilitySignal, systemSourceClock } from './availability.js';
export type { SourceCancellable, SourceClock } from './availability.js';
export { StaticSplitEnumerator, cutRange, splitCountFor, DEFAULT_SPLITS_PER_READER } from './split-enumerator.js';
export type { IndexRange, SplitDiscovery, SplitQueueState } from './split-enumerator.js';
export { SequentialSplitReader, DEFAULT_RECORDS_PER_POLL } from './split-reader.js';
export type { ReaderOptions, SplitProgress } from './split-reader.js';

export { NumberSequenceReader, NumberSequenceSource } from './number-sequence.js';
export type { NumberSequenceEnumState, NumberSequenceSourceOptions, NumberSequenceSplit } from './number-sequence.js';
export { CollectionReader, CollectionSource } from './collection.js';
export type { CollectionEnumState, CollectionSourceOptions, CollectionSplit } from './collection.js';
export { DEFAULT_CHUNK_SIZE, TextLineFileReader, TextLineFileSource, isHiddenFileName, listInputFiles } from './text-file.js';
export type { FileSourceEnumState, FileSourceSplit, TextLineFileSourceOptions } from './text-file.js';
export { DEFAULT_MAX_BUFFERED_LINES, DEFAULT_RETRY_DELAY_MS, SocketTextReader, SocketTextSource } from './socket.js';
export type { SocketEnumState, SocketSplit, SocketTextSourceOptions } from './socket.js';
export { KeyedSequenceReader, KeyedSequenceSource } from './keyed-sequence.js';
export type { KeyedSequenceEnumState, KeyedSequenceEvent, KeyedSequenceSourceOptions, KeyedSequenceSplit } from './keyed-sequence.js';
export { DataGeneratorReader, DataGeneratorSource } from './datagen.js';
export { BURST_MS, MAX_SAVED_MS, TokenBucket } from './token-bucket.js';
export type { DataGeneratorEnumState, DataGeneratorSourceOptions, DataGeneratorSplit, GeneratorFunction } from './datagen.js';

export { PRINT_BUFFER_CHARS, PrintSink, PrintSinkWriter, formatForPrint, printPrefix } from './print-sink.js';
export type { PrintSinkOptions, PrintTarget } from './print-sink.js';
export {
  DEFAULT_MAX_PART_SIZE,
  DefaultRollingPolicy,
  DefaultRollingPolicyBuilder,
  END_OF_INPUT_COMMIT,
  FILE_SINK_BUFFER_BYTES,
  FileSink,
  FileSinkWriter,
  RowFormatBuilder,
  simpleStringEncoder,
} from './file-sink.js';
export type { Encoder, EndOfInputCommit, OutputFileConfig, RollingPolicy } from './file-sink.js';
export { FileCommitter, commitPendingFile, syncFolder } from './file-committer.js';
export type { CommitOutcome, FileSinkCommittable } from './file-committer.js';

export { ConnectorArgumentError, FileSinkError, FileSourceError, SocketSourceError } from './errors.js';
