/**
 * sum/min/max/minBy/maxBy on a keyed stream, as reduce functions. A field is an index (tuples
 * as arrays) or a property name (objects); without one the record itself is the number.
 * As in Flink: sum/min/max change only that field of the first record seen for the key;
 * minBy/maxBy keep the whole record holding the extreme value (the first one on ties).
 */
export type FieldRef = number | string;
export type AggregationKind = 'sum' | 'min' | 'max' | 'minBy' | 'maxBy';

function getter(field: FieldRef | undefined): (record: unknown) => number {
  if (field === undefined) return (r) => r as number;
  return (r) => {
    const v = (r as Record<string | number, unknown>)[field];
    if (typeof v !== 'number') throw new TypeError(`field ${JSON.stringify(field)} of ${JSON.stringify(r)} is not a number`);
    return v;
  };
}

function withField(record: unknown, field: FieldRef | undefined, value: number): unknown {
  if (field === undefined) return value;
  if (Array.isArray(record)) {
    const copy = record.slice();
    copy[field as number] = value;
    return copy;
  }
  return { ...(record as Record<string, unknown>), [field]: value };
}

export function aggregation(kind: AggregationKind, field: FieldRef | undefined): (acc: unknown, next: unknown) => unknown {
  const get = getter(field);
  switch (kind) {
    case 'sum':
      return (acc, next) => withField(acc, field, get(acc) + get(next));
    case 'min':
      return (acc, next) => (get(next) < get(acc) ? withField(acc, field, get(next)) : acc);
    case 'max':
      return (acc, next) => (get(next) > get(acc) ? withField(acc, field, get(next)) : acc);
    case 'minBy':
      return (acc, next) => (get(next) < get(acc) ? next : acc);
    case 'maxBy':
      return (acc, next) => (get(next) > get(acc) ? next : acc);
  }
}
