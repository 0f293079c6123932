/** Errors of windowing: each a flat class with its `name` set and the facts as fields. */

/**
 * An event-time window assigner got a record without a timestamp. Flink marks a missing
 * timestamp with Long.MIN_VALUE; Runnel's records simply have none.
 */
export class MissingTimestampError extends Error {
  override readonly name: string = 'MissingTimestampError';

  constructor(readonly assigner: string) {
    super(
      'Record has no timestamp (= no timestamp marker). Is the window assigner meant to be a processing-time one ' +
        `(not ${assigner}), or did you forget to call 'DataStream.assignTimestampsAndWatermarks(...)'?`,
    );
  }
}

/** A window definition that cannot work: bad sizes, a trigger that cannot merge on a merging assigner. */
export class InvalidWindowError extends Error {
  override readonly name: string = 'InvalidWindowError';
}

/**
 * Window state used in a way it does not allow: a merge that would move a window's end before
 * the current time, a trigger asked to merge that cannot, state that does not merge.
 */
export class WindowStateError extends Error {
  override readonly name: string = 'WindowStateError';
}
