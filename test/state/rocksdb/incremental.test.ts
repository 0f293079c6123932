/**
 * Incremental checkpoints of the RocksDB backend, at the backend's level: a checkpoint after a
 * small change writes a small fraction of what the first one wrote, referencing the rest; its
 * files restore at the same key groups (linked) and at others (rows copied), timers included;
 * the same local copy gives a canonical savepoint; the heap backend refuses the files.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import t from 'tap';
import { assignToKeyGroup } from '../../../src/state/key-groups.js';
import {
  DeferredKeyedSnapshot,
  HeapKeyedStateBackend,
  KeyGroupRange,
  ListStateDescriptor,
  RocksDBKeyedStateBackend,
  ValueStateDescriptor,
  type IncrementalUpload,
  type KeyedStateBackend,
} from '../../../src/state/index.js';

const MAX_PARALLELISM = 128;
const KEYS = 20_000;
const folder = mkdtempSync(join(tmpdir(), 'runnel-rocksdb-incremental-'));
t.teardown(() => rmSync(folder, { recursive: true, force: true, maxRetries: 20, retryDelay: 50 }));
let n = 0;
let jobs = 0;

function rocks(range = KeyGroupRange.of(0, MAX_PARALLELISM - 1)): RocksDBKeyedStateBackend {
  const backend = new RocksDBKeyedStateBackend({
    keyGroupRange: range,
    maxParallelism: MAX_PARALLELISM,
    directory: join(folder, `db-${n++}`),
    residentKeys: 5_000,
    incremental: true,
  });
  t.teardown(() => backend.dispose());
  return backend;
}

const text = new ValueStateDescriptor<string>('text');
const seen = new ListStateDescriptor<number>('seen');
/** 200 characters that RocksDB's compression does not shrink much, different for each key. */
const padOf = (k: number): string => [0, 1, 2, 3].map((i) => createHash('sha256').update(`${k}/${i}`).digest('hex')).join('').slice(0, 200);

/** A job's checkpoint folder of its own for each test. */
let jobDir = '';
t.beforeEach(() => {
  jobDir = join(folder, `job-${jobs++}`);
});

/** Checkpoint `checkpointId` of the subtask `name`. */
function checkpoint(backend: KeyedStateBackend, checkpointId: number, name = 'op-0'): Promise<IncrementalUpload> {
  const snapshot = backend.snapshot();
  if (!(snapshot instanceof DeferredKeyedSnapshot) || snapshot.upload === undefined) throw new Error('not an incremental snapshot');
  // The coordinator creates the checkpoint's folder before the barrier goes out.
  mkdirSync(join(jobDir, `chk-${checkpointId}`), { recursive: true });
  return snapshot.upload({ checkpointId, checkpointDir: join(jobDir, `chk-${checkpointId}`), sharedDir: join(jobDir, 'shared'), name });
}

/** Every key's text, and how many keys differ from `expected`. */
function wrongKeys(backend: KeyedStateBackend, expected: (k: number) => string | undefined, keys: Iterable<number>): number {
  let wrong = 0;
  for (const k of keys) {
    backend.setCurrentKey(k);
    if (backend.getState(text).value() !== expected(k)) wrong++;
  }
  return wrong;
}

const all = Array.from({ length: KEYS }, (_, k) => k);
const changed = (k: number): boolean => k % 100 === 7;
const after = (k: number): string => (changed(k) ? `changed ${k}` : `${k} ${padOf(k)}`);

t.test('a checkpoint after 1% of the keys changed writes a small fraction of the first, and its files restore', async (t) => {
  const backend = rocks();
  for (const k of all) {
    backend.setCurrentKey(k);
    backend.getState(text).update(`${k} ${padOf(k)}`);
  }
  backend.setCurrentKey(3);
  backend.getInternalTimerService<null>('timers').registerEventTimeTimer(42);

  const first = await checkpoint(backend, 1);
  t.same(first.reusedSharedFiles, [], 'the first checkpoint has nothing to reuse');
  t.ok(first.sharedFiles.length > 0, `it uploaded ${first.sharedFiles.length} SST file(s)`);
  t.ok(first.bytesWritten > KEYS * 200, `it wrote the whole state: ${first.bytesWritten} bytes`);
  backend.notifyCheckpointComplete(1);

  for (const k of all) {
    if (!changed(k)) continue;
    backend.setCurrentKey(k);
    backend.getState(text).update(after(k));
  }
  const second = await checkpoint(backend, 2);
  t.ok(second.bytesWritten < first.bytesWritten / 10, `the second wrote ${second.bytesWritten} bytes, under a tenth of the first's ${first.bytesWritten}`);
  t.same(second.reusedSharedFiles, first.sharedFiles, 'and references the first one\'s SST files');
  t.ok(second.sharedFiles.length > second.reusedSharedFiles.length, 'plus what changed, uploaded');
  t.same(second.handle.states.map((s) => s.name), ['text'], 'the handle names the states by id');
  const inShared = readdirSync(join(jobDir, 'shared'));
  t.equal(inShared.length, second.sharedFiles.length, 'every upload lies in the shared folder');
  t.ok(
    second.handle.privateFiles.every((f) => f.path.startsWith(join(jobDir, 'chk-2')) && statSync(f.path).isFile()),
    'the mutable files lie in the checkpoint\'s own folder',
  );

  const same = rocks();
  same.restore([second.handle]);
  t.equal(wrongKeys(same, after, all), 0, 'the same key groups restore every value');
  t.equal(same.getInternalTimerService<null>('timers').numEventTimeTimers(), 1, 'and the timers');
  same.setCurrentKey(1);
  same.getListState(seen).add(1);
  const again = await checkpoint(same, 3);
  t.same([...again.reusedSharedFiles].sort(), [...second.sharedFiles].sort(), 'the restored backend reuses the files it restored');

  const low = rocks(KeyGroupRange.of(0, 63));
  const high = rocks(KeyGroupRange.of(64, 127));
  low.restore([second.handle]);
  high.restore([second.handle]);
  const lowKeys = all.filter((k) => low.keyGroupRange.contains(assignToKeyGroup(k, MAX_PARALLELISM)));
  const highKeys = all.filter((k) => !lowKeys.includes(k));
  t.ok(lowKeys.length > 0 && highKeys.length > 0, `the keys split ${lowKeys.length}/${highKeys.length}`);
  t.equal(wrongKeys(low, after, lowKeys), 0, 'the lower half restores its keys from the files');
  t.equal(wrongKeys(high, after, highKeys), 0, 'and the upper half its own');
  t.equal(low.numKeyValueStateEntries('text'), lowKeys.length, 'and none of the other half');
  t.equal(
    low.getInternalTimerService<null>('timers').numEventTimeTimers() + high.getInternalTimerService<null>('timers').numEventTimeTimers(),
    1,
    'the timer goes to one half',
  );

  // Back: the two halves' files restore into one backend again.
  const lowUpload = await checkpoint(low, 4, 'op-0');
  const highUpload = await checkpoint(high, 4, 'op-1');
  const whole = rocks();
  whole.restore([lowUpload.handle, highUpload.handle]);
  t.equal(wrongKeys(whole, after, all), 0, 'both halves restore into one backend');
});

t.test('states registered before the restore take the numbers of the files\' rows', async (t) => {
  const before = rocks();
  before.setCurrentKey('k');
  before.getState(text).update('v');
  before.getListState(seen).add(7);
  const upload = await checkpoint(before, 1);

  const restored = rocks();
  // Registered in the other order, as an operator's open() may do before the restore.
  restored.getListState(seen);
  restored.getState(new ValueStateDescriptor<number>('other'));
  restored.getState(text);
  restored.restore([upload.handle]);
  restored.setCurrentKey('k');
  t.equal(restored.getState(text).value(), 'v');
  t.same(restored.getListState(seen).get(), [7]);
  t.equal(restored.getState(new ValueStateDescriptor<number>('other')).value(), undefined);
});

t.test('a savepoint of an incremental backend is canonical and restores on the heap; the files do not', async (t) => {
  const backend = rocks();
  for (const k of all.slice(0, 100)) {
    backend.setCurrentKey(k);
    backend.getState(text).update(`v${k}`);
  }
  const savepoint = backend.snapshot() as DeferredKeyedSnapshot;
  const canonical = await savepoint.materialize();
  const heap = new HeapKeyedStateBackend(KeyGroupRange.of(0, MAX_PARALLELISM - 1), MAX_PARALLELISM);
  heap.restore([canonical]);
  t.equal(wrongKeys(heap, (k) => `v${k}`, all.slice(0, 100)), 0, 'the heap restores the savepoint');

  const upload = await checkpoint(backend, 1);
  t.throws(() => new HeapKeyedStateBackend(KeyGroupRange.of(0, MAX_PARALLELISM - 1), MAX_PARALLELISM).restore([upload.handle]), {
    name: 'StateRestoreError',
    message: /RocksDB incremental checkpoint, which only the rocksdb state backend restores.*savepoint/,
  });
});

t.test('after an aborted checkpoint that reused files, the next one uploads everything again', async (t) => {
  const backend = rocks();
  for (const k of all.slice(0, 1000)) {
    backend.setCurrentKey(k);
    backend.getState(text).update(`v${k} ${padOf(k)}`);
  }
  await checkpoint(backend, 1);
  backend.notifyCheckpointComplete(1);
  const reusing = await checkpoint(backend, 2);
  t.ok(reusing.reusedSharedFiles.length > 0, 'the second reuses');
  backend.notifyCheckpointAborted(2);
  const fresh = await checkpoint(backend, 3);
  t.same(fresh.reusedSharedFiles, [], 'the third reuses nothing');
  t.ok(fresh.bytesWritten >= 1000 * 200, 'and writes the state in full');
});
