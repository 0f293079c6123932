/**
 * A task's state file: what one subtask of a vertex wrote for a checkpoint, and how a task
 * picks its share out of the files of its vertex's previous run.
 *
 * Format: one CBOR item (src/net/codec.ts),
 *
 *     { format: 'runnel-task-state', version: 1, checkpointId, vertexId, subtaskIndex,
 *       parallelism, operators: { <operatorId>: OperatorSnapshot } }
 *
 * with an entry only for operators that have state. An OperatorSnapshot holds the canonical
 * keyed snapshot (src/state/snapshot.ts, grouped by key group) or, for an incremental RocksDB
 * checkpoint, the handle on its files (paths relative to the state file's folder), the operator
 * state snapshot (src/state/operator-state.ts), a source reader's splits and a sink's
 * committables.
 *
 * The entries of each key group of keyed state are embedded CBOR items (tag 24), encoded one
 * key group after another with pauses in between (`encodeStateFileInSlices`), so a task with a
 * large state keeps processing records while its snapshot is encoded. The file is then a list
 * of chunks written one after another: the key groups' bytes are never copied into one buffer.
 *
 * Written once per checkpoint at `<targetDir>/<vertexId>-<subtaskIndex>`, under a temporary name
 * first, fsync'd, then renamed, so a reader never sees half a file.
 */
import { randomBytes } from 'node:crypto';
import { open, rename, rm } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { Tag } from 'cbor-x';
import type { FileHandle } from 'node:fs/promises';
import { cborHead, decode, encode } from '../../net/index.js';
import type { OperatorSnapshot, RestoredOperatorState } from '../../operators/operator.js';
import {
  DeferredKeyedSnapshot,
  encodedEntries,
  isIncrementalHandle,
  redistributeOperatorState,
  type IncrementalKeyedStateHandle,
  type KeyedStateHandle,
  type KeyGroupEntries,
  type OperatorStateSnapshot,
} from '../../state/index.js';
import { syncFolder } from '../../util/durable-files.js';
import { StateFileError } from './errors.js';
import { readSpan, readStateFileSkeleton, type SkeletonReadOptions, type StateFileSkeleton } from './state-file-reader.js';
import type { TaskRestore } from './deployment.js';

export const STATE_FILE_FORMAT = 'runnel-task-state';
export const STATE_FILE_VERSION = 2;
/** CBOR's tag for an embedded, separately encoded data item. */
const EMBEDDED_CBOR = 24;
/** About how many bytes of key-group entries are encoded between two pauses. */
const SLICE_BYTES = 1 << 20;

export interface TaskStateFile<S = StoredOperatorSnapshot> {
  readonly format: typeof STATE_FILE_FORMAT;
  readonly version: number;
  readonly checkpointId: number;
  readonly vertexId: string;
  readonly subtaskIndex: number;
  readonly parallelism: number;
  readonly operators: Readonly<Record<string, S>>;
}

/** An operator's snapshot as a state file holds it: keyed state read in full, or an incremental checkpoint's files. */
export type StoredOperatorSnapshot = Omit<OperatorSnapshot, 'keyed'> & { readonly keyed?: KeyedStateHandle };

/** The file name of a subtask's state in a checkpoint's folder. */
export function stateFileName(vertexId: string, subtaskIndex: number): string {
  return `${vertexId}-${subtaskIndex}`;
}

/** A state file's CBOR as consecutive chunks, written in order (see writeStateFile). */
export interface StateFileChunks {
  readonly chunks: readonly Uint8Array[];
  readonly byteLength: number;
}

/**
 * The state file's CBOR as chunks, in the order they are written, keyed state a key group at a
 * time. Entries held in memory (the heap's snapshot) are encoded with a pause (`pause`) after
 * about every {@link SLICE_BYTES}, so that the task's thread goes on processing in between; the
 * heap backend captures what the task is about to change first. A deferred snapshot (RocksDB)
 * is read from its iterators as the chunks are taken, so no more than a key group of it is in
 * memory, and it is discarded at the end. Each state's key groups are an indefinite-length CBOR
 * array: their number is known only once read.
 */
export async function* stateFileChunks(
  state: TaskStateFile<OperatorSnapshot>,
  pause: () => Promise<void> = () => new Promise((resolve) => setImmediate(resolve)),
  folder?: string,
): AsyncGenerator<Uint8Array> {
  let sinceLastPause = 0;
  async function* encoded(groups: Iterable<KeyGroupEntries> | AsyncIterable<KeyGroupEntries>): AsyncGenerator<Container> {
    for await (const group of groups) {
      const bytes = encodedEntries(group);
      yield new Container({ keyGroup: group.keyGroup, entries: new Embedded(bytes) });
      sinceLastPause += bytes.byteLength;
      if (sinceLastPause >= SLICE_BYTES) {
        sinceLastPause = 0;
        await pause();
      }
    }
  }
  const deferred: DeferredKeyedSnapshot[] = [];
  try {
    const operators: Record<string, unknown> = {};
    for (const [id, op] of Object.entries(state.operators)) {
      const keyed = op.keyed;
      if (keyed === undefined) {
        operators[id] = op;
      } else if (isIncrementalHandle(keyed)) {
        if (folder === undefined) throw new Error('An incremental keyed state handle needs the state file\'s folder to be written.');
        operators[id] = { ...op, keyed: relativeHandle(keyed, folder) };
      } else if (keyed instanceof DeferredKeyedSnapshot) {
        deferred.push(keyed);
        // Opened when its turn comes in the file, not before.
        operators[id] = new Container({ ...op, keyed: new Later(async () => {
          const { keyGroups, states, timers, ...header } = await keyed.open();
          return new Container({
            ...header,
            states: new Container(states.map((s, i) => new Container({ ...s, keyGroups: new Streamed(encoded(keyGroups(i))) }))),
            timers: new Container(timers.map((t) => new Container({ name: t.name, eventTime: new Streamed(t.eventTime), processingTime: new Streamed(t.processingTime) }))),
          });
        }) });
      } else {
        const states = keyed.states.map((s) => new Container({ ...s, keyGroups: new Streamed(encoded(s.keyGroups)) }));
        operators[id] = new Container({ ...op, keyed: new Container({ ...keyed, states: new Container(states) }) });
      }
    }
    yield* chunksOf(new Container({ ...state, operators: new Container(operators) }));
  } finally {
    for (const d of deferred) d.discard();
  }
}

/** The state file's CBOR in memory, as chunks (see stateFileChunks). */
export async function encodeStateFileInSlices(
  state: TaskStateFile<OperatorSnapshot>,
  pause?: () => Promise<void>,
  folder?: string,
): Promise<StateFileChunks> {
  const chunks: Uint8Array[] = [];
  let byteLength = 0;
  for await (const chunk of stateFileChunks(state, pause, folder)) {
    chunks.push(chunk);
    byteLength += chunk.byteLength;
  }
  return { chunks, byteLength };
}

/** A map or array whose CBOR header the chunk writer writes itself, then each item's CBOR. */
class Container {
  constructor(readonly value: Readonly<Record<string, unknown>> | readonly unknown[]) {}
}

/** An array of items that come one by one: CBOR's indefinite-length array. */
class Streamed {
  constructor(readonly items: Iterable<unknown> | AsyncIterable<unknown>) {}
}

/** A value made only when the writer reaches it. */
class Later {
  constructor(readonly make: () => Promise<unknown>) {}
}

/** Bytes embedded as they are: tag 24 over a byte string. */
class Embedded {
  constructor(readonly bytes: Uint8Array) {}
}

const INDEFINITE_ARRAY = Uint8Array.of(0x9f);
const BREAK = Uint8Array.of(0xff);

/** The CBOR of `value` as chunks; the same bytes cbor-x writes for the plain value, but for indefinite-length arrays. */
async function* chunksOf(value: unknown): AsyncGenerator<Uint8Array> {
  if (value instanceof Embedded) {
    yield Uint8Array.of(0xd8, EMBEDDED_CBOR);
    yield cborHead(2, value.bytes.byteLength);
    yield value.bytes;
  } else if (value instanceof Container) {
    if (Array.isArray(value.value)) {
      yield cborHead(4, value.value.length);
      for (const item of value.value) yield* chunksOf(item);
    } else {
      const entries = Object.entries(value.value);
      yield cborHead(5, entries.length);
      for (const [key, item] of entries) {
        yield new Uint8Array(encode(key));
        yield* chunksOf(item);
      }
    }
  } else if (value instanceof Streamed) {
    yield INDEFINITE_ARRAY;
    for await (const item of value.items) yield* chunksOf(item);
    yield BREAK;
  } else if (value instanceof Later) {
    yield* chunksOf(await value.make());
  } else {
    yield new Uint8Array(encode(value));
  }
}

/** The handle with its files' paths relative to `folder` (the state file's), so a checkpoint's folder can move with its job's. */
function relativeHandle(handle: IncrementalKeyedStateHandle, folder: string): IncrementalKeyedStateHandle {
  const rel = (f: { name: string; path: string }) => ({ name: f.name, path: relative(folder, f.path) });
  return { ...handle, sharedFiles: handle.sharedFiles.map(rel), privateFiles: handle.privateFiles.map(rel) };
}

/** The handle with its files' paths absolute again, resolved against the state file's folder. */
function absoluteHandle(handle: IncrementalKeyedStateHandle, folder: string, path: string): IncrementalKeyedStateHandle {
  const abs = (f: unknown) => {
    const file = f as { name?: unknown; path?: unknown };
    if (typeof file !== 'object' || file === null || typeof file.path !== 'string') throw new StateFileError(path, 'a file of its incremental keyed state has no path');
    return { ...file, path: isAbsolute(file.path) ? file.path : resolve(folder, file.path) };
  };
  const list = (files: unknown, what: string): unknown[] => {
    if (!Array.isArray(files)) throw new StateFileError(path, `the ${what} of its incremental keyed state are not a list`);
    return files.map(abs);
  };
  return { ...handle, sharedFiles: list(handle.sharedFiles, 'shared files'), privateFiles: list(handle.privateFiles, 'private files') } as IncrementalKeyedStateHandle;
}

/**
 * Makes the key groups' embedded entries readable (see stateFileChunks): each group's `entries`
 * is decoded when read, and not kept. Its bytes are in the skeleton if small, otherwise read
 * from the file then (state-file-reader.ts), so a restore holds the file's skeleton and one key
 * group at a time rather than the whole file. Incremental handles get absolute paths.
 */
function unembed(file: TaskStateFile, path: string, skeleton: StateFileSkeleton): void {
  for (const op of Object.values(file.operators)) {
    if (isIncrementalHandle(op.keyed)) {
      (op as { keyed: KeyedStateHandle }).keyed = absoluteHandle(op.keyed, dirname(path), path);
      continue;
    }
    // Any other shape is left for the backend's restore to report.
    const states = op.keyed?.states as unknown;
    if (!Array.isArray(states)) continue;
    for (const s of states as ({ name?: unknown; keyGroups?: unknown } | null)[]) {
      const groups = s?.keyGroups;
      if (!Array.isArray(groups)) continue;
      for (const group of groups as ({ keyGroup?: unknown; entries?: unknown } | null)[]) {
        const entries = group?.entries;
        if (!(entries instanceof Tag && entries.tag === EMBEDDED_CBOR)) continue;
        const what = `key group ${String(group!.keyGroup)} of state '${String(s!.name)}'`;
        // The skeleton has the bytes, or the index of their span in the file (the reader
        // refuses a tag 24 over anything else here, so a number is always its own).
        const embedded = entries.value as unknown;
        let read: () => Uint8Array;
        if (embedded instanceof Uint8Array) read = () => embedded;
        else if (typeof embedded === 'number' && skeleton.spans[embedded] !== undefined) read = () => readSpan(path, skeleton.identity, skeleton.spans[embedded]!, what);
        else continue;
        Object.defineProperty(group, 'entries', {
          enumerable: true,
          configurable: true,
          get: () => {
            const bytes = read();
            try {
              return decode(bytes) as unknown;
            } catch (err) {
              throw new StateFileError(path, `${what} is not valid CBOR (${(err as Error).message})`, err);
            }
          },
        });
      }
    }
  }
}

/** CBOR bytes of the state, copied out of the encoder's shared buffer. */
export function encodeStateFile(state: TaskStateFile): Uint8Array {
  return new Uint8Array(encode(state));
}

/**
 * Writes `bytes` durably as `<dir>/<name>`, into the existing folder `dir`: a temporary file,
 * fsync, rename, then fsync of the folder so the rename itself survives a crash. Resolves with
 * the file's path.
 */
export async function writeStateFile(dir: string, name: string, bytes: Uint8Array | StateFileChunks): Promise<string> {
  return (await writeStateFileFrom(dir, name, bytes instanceof Uint8Array ? [bytes] : bytes.chunks)).path;
}

/** {@link writeStateFile} from chunks that may come one by one; resolves with the path and the size. */
export async function writeStateFileFrom(dir: string, name: string, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<{ path: string; bytes: number }> {
  // The coordinator made the folder; one that is gone was discarded with its checkpoint, and
  // must not come back with a file in it.
  const path = join(dir, name);
  const temporary = join(dir, `.${name}.${randomBytes(4).toString('hex')}.tmp`);
  let bytes: number;
  try {
    const handle = await open(temporary, 'wx');
    try {
      bytes = await writeChunks(handle, chunks);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
  await syncFolder(dir);
  return { path, bytes };
}

/** Small chunks are gathered into one write; large ones are written as they are. Resolves with the bytes written. */
async function writeChunks(handle: FileHandle, chunks: Iterable<Uint8Array> | AsyncIterable<Uint8Array>): Promise<number> {
  const GATHER = 1 << 16;
  let gathered: Uint8Array[] = [];
  let size = 0;
  let total = 0;
  const flush = async (): Promise<void> => {
    if (size === 0) return;
    await writeAll(handle, Buffer.concat(gathered, size));
    gathered = [];
    size = 0;
  };
  for await (const chunk of chunks) {
    total += chunk.byteLength;
    if (chunk.byteLength >= GATHER) {
      await flush();
      await writeAll(handle, chunk);
    } else {
      gathered.push(chunk);
      size += chunk.byteLength;
      if (size >= GATHER) await flush();
    }
  }
  await flush();
  return total;
}

async function writeAll(handle: FileHandle, bytes: Uint8Array): Promise<void> {
  for (let at = 0; at < bytes.byteLength; ) {
    const { bytesWritten } = await handle.write(bytes, at, bytes.byteLength - at);
    at += bytesWritten;
  }
}

/**
 * Reads and checks one state file; a missing or corrupt one throws a StateFileError naming it.
 * Only its skeleton is read now (state-file-reader.ts): each key group's entries are read from
 * the file when the restore reads them, with an open of their own, so nothing is left to close.
 * `options` (the reader's buffer and inline budget) are for tests.
 */
export async function readStateFile(path: string, options?: SkeletonReadOptions): Promise<TaskStateFile> {
  const skeleton = readStateFileSkeleton(path, options);
  let value: unknown;
  try {
    value = decode(skeleton.cbor);
  } catch (err) {
    throw new StateFileError(path, `it is not valid CBOR (${(err as Error).message})`, err);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new StateFileError(path, 'it does not hold a task state object');
  const file = value as Record<string, unknown>;
  if (file['format'] !== STATE_FILE_FORMAT) throw new StateFileError(path, `it is not a Runnel task state file (format ${String(file['format'])})`);
  if (file['version'] !== STATE_FILE_VERSION) throw new StateFileError(path, `its version ${String(file['version'])} is not supported (expected ${STATE_FILE_VERSION})`);
  const operators = file['operators'];
  if (typeof operators !== 'object' || operators === null || Array.isArray(operators)) throw new StateFileError(path, 'it has no operators');
  for (const [id, snapshot] of Object.entries(operators)) {
    if (typeof snapshot !== 'object' || snapshot === null || Array.isArray(snapshot)) throw new StateFileError(path, `the state of operator ${id} is not an object`);
    const s = snapshot as Record<string, unknown>;
    for (const list of ['splits', 'committables'] as const) {
      if (s[list] !== undefined && !Array.isArray(s[list])) throw new StateFileError(path, `the ${list} of operator ${id} are not an array`);
    }
  }
  unembed(value as TaskStateFile, path, skeleton);
  return value as TaskStateFile;
}

/** Which old subtasks' files a subtask reads first: its own at the same parallelism, else all. */
function filesToRead(restore: TaskRestore, subtaskIndex: number, parallelism: number): number[] {
  const same = restore.files.length === parallelism;
  return restore.files.flatMap((file, i) => (file !== null && (!same || i === subtaskIndex) ? [i] : []));
}

function hasUnionState(file: TaskStateFile): boolean {
  return Object.values(file.operators).some((op) => op.operator?.states.some((s) => s.mode === 'UNION') === true);
}

/**
 * This subtask's restored state per operator id. Keyed state: the keyed snapshots of every file
 * read (the backend keeps the key groups of its own range); at the same parallelism that is the
 * subtask's own file, which holds exactly its key groups. Operator state: redistributed by its
 * mode (redistributeOperatorState); union list state needs every file, so they are all read
 * when the own one has some. Splits and committables: the own file's at the same parallelism,
 * otherwise round-robin over the new subtasks (split k of all, in old subtask order, goes to
 * subtask k mod p; old subtask i's committables to subtask i mod p).
 */
export async function readRestoredState(restore: TaskRestore, subtaskIndex: number, parallelism: number): Promise<Map<string, RestoredOperatorState>> {
  const files: (TaskStateFile | undefined)[] = new Array<TaskStateFile | undefined>(restore.files.length).fill(undefined);
  const load = async (indexes: number[]): Promise<void> => {
    const loaded = await Promise.all(indexes.map((i) => (files[i] === undefined ? readStateFile(restore.files[i]!) : Promise.resolve(files[i]!))));
    indexes.forEach((i, k) => (files[i] = loaded[k]));
  };
  await load(filesToRead(restore, subtaskIndex, parallelism));
  if (files.some((f) => f !== undefined && hasUnionState(f))) await load(restore.files.flatMap((f, i) => (f !== null ? [i] : [])));

  const same = restore.files.length === parallelism;
  const operatorIds = new Set<string>();
  for (const f of files) if (f !== undefined) for (const id of Object.keys(f.operators)) operatorIds.add(id);
  const result = new Map<string, RestoredOperatorState>();
  for (const id of operatorIds) {
    const parts = files.map((f) => f?.operators[id]);
    const keyed: KeyedStateHandle[] = [];
    for (const p of parts) if (p?.keyed !== undefined) keyed.push(p.keyed);
    const operatorSnapshots: (OperatorStateSnapshot | undefined)[] = parts.map((p) => p?.operator);
    const operator = operatorSnapshots.some((s) => s !== undefined) ? redistributeOperatorState(operatorSnapshots, parallelism)[subtaskIndex] : undefined;
    let splits: unknown[];
    let committables: unknown[];
    if (same) {
      splits = [...(parts[subtaskIndex]?.splits ?? [])];
      committables = [...(parts[subtaskIndex]?.committables ?? [])];
    } else {
      splits = parts.flatMap((p) => p?.splits ?? []).filter((_, k) => k % parallelism === subtaskIndex);
      committables = parts.flatMap((p, i) => (i % parallelism === subtaskIndex ? (p?.committables ?? []) : []));
    }
    result.set(id, { checkpointId: restore.checkpointId, keyed, operator, splits, committables });
  }
  return result;
}
