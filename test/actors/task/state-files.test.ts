import t from 'tap';
import { encodeStateFileInSlices, readStateFile, stateFileChunks, writeStateFile, STATE_FILE_FORMAT, STATE_FILE_VERSION, type TaskStateFile } from '../../../src/actors/task/state-files.js';
import type { OperatorSnapshot } from '../../../src/operators/operator.js';
import { DeferredKeyedSnapshot, type KeyedStateSnapshot } from '../../../src/state/index.js';

t.test('a large keyed state is encoded a slice at a time, pausing between slices, and reads back the same', async (t) => {
  // 128 key groups of 2,000 entries with ~100-byte values: about 30 MB of entries.
  const keyGroups = Array.from({ length: 128 }, (_, keyGroup) => ({
    keyGroup,
    entries: Array.from({ length: 2_000 }, (_, i) => [`key-${keyGroup}-${i}`, null, { name: 'x'.repeat(90), n: i }] as const),
  }));
  const state: TaskStateFile = {
    format: STATE_FILE_FORMAT,
    version: STATE_FILE_VERSION,
    checkpointId: 7,
    vertexId: 'v',
    subtaskIndex: 0,
    parallelism: 1,
    operators: {
      op: {
        keyed: { version: 1, maxParallelism: 128, keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 }, states: [{ name: 's', kind: 'VALUE', keyGroups }], timers: [] },
        splits: [{ id: 'split-0', position: 42 }],
      },
    },
  };
  let pauses = 0;
  const bytes = await encodeStateFileInSlices(state, async () => void pauses++);
  t.ok(pauses >= 10, `paused ${pauses} times while encoding ${bytes.byteLength} bytes`);
  const path = await writeStateFile(t.testdir(), 'v-0', bytes);
  const back = await readStateFile(path);
  t.same((back.operators['op']!.keyed as KeyedStateSnapshot).states[0]!.keyGroups, keyGroups);
  t.same(back.operators['op']!.splits, [{ id: 'split-0', position: 42 }]);

});

t.test('chunked encoding reads back whatever the sizes of its headers', async (t) => {
  // 300 key groups (a two-byte array count); embedded entries from a few bytes to over 256
  // (one- and two-byte lengths); one operator without keyed state next to one with.
  const keyGroups = Array.from({ length: 300 }, (_, keyGroup) => ({
    keyGroup,
    entries: Array.from({ length: keyGroup % 40 }, (_, i) => [i, { window: keyGroup }, 'v'.repeat(i)] as const),
  }));
  const state: TaskStateFile = {
    format: STATE_FILE_FORMAT,
    version: STATE_FILE_VERSION,
    checkpointId: 3,
    vertexId: 'w',
    subtaskIndex: 1,
    parallelism: 2,
    operators: {
      keyedOp: { keyed: { version: 1, maxParallelism: 512, keyGroupRange: { startKeyGroup: 0, endKeyGroup: 299 }, states: [{ name: 'l', kind: 'LIST', keyGroups }], timers: [] } },
      sourceOp: { splits: Array.from({ length: 30 }, (_, i) => ({ id: `s${i}` })) },
    },
  };
  const chunks = await encodeStateFileInSlices(state, async () => {});
  const back = await readStateFile(await writeStateFile(t.testdir(), 'w-1', chunks));
  t.same(back, state);
});

t.test('a corrupt embedded key group is reported with the file and the state when it is read', async (t) => {
  const { Tag } = await import('cbor-x');
  const { encode } = await import('../../../src/net/index.js');
  const broken = new Uint8Array(
    encode({
      format: STATE_FILE_FORMAT,
      version: STATE_FILE_VERSION,
      checkpointId: 1,
      vertexId: 'v',
      subtaskIndex: 0,
      parallelism: 1,
      operators: { op: { keyed: { version: 1, maxParallelism: 128, keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 }, states: [{ name: 'counts', kind: 'VALUE', keyGroups: [{ keyGroup: 3, entries: new Tag(new Uint8Array([0x9f]), 24) }] }], timers: [] } } },
    }),
  );
  const path = await writeStateFile(t.testdir(), 'v-0', broken);
  // Key groups are decoded when the restore reads them.
  const file = await readStateFile(path);
  t.throws(() => (file.operators['op']!.keyed as KeyedStateSnapshot).states[0]!.keyGroups[0]!.entries, { name: 'StateFileError', message: /v-0.*key group 3 of state 'counts' is not valid CBOR/ });
});

t.test('a deferred snapshot is read a key group at a time as the file is written, then discarded', async (t) => {
  const written: number[] = [];
  let chunksTaken = 0;
  let discarded = 0;
  const groups = [3, 40, 99];
  const deferred = new DeferredKeyedSnapshot(
    async () => ({
      version: 1,
      maxParallelism: 128,
      keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 },
      states: [{ name: 'a', kind: 'VALUE' as const }, { name: 'b', kind: 'LIST' as const, ttl: true }],
      timers: [],
      keyGroups: async function* (index: number) {
        for (const keyGroup of groups) {
          // What was read before has gone out as chunks before the next group is read.
          written.push(chunksTaken);
          yield { keyGroup, entries: [[`k${keyGroup}`, null, index === 0 ? keyGroup : [[keyGroup, 5]]] as const] };
        }
      },
    }),
    () => void discarded++,
  );
  const state: TaskStateFile<OperatorSnapshot> = {
    format: STATE_FILE_FORMAT,
    version: STATE_FILE_VERSION,
    checkpointId: 3,
    vertexId: 'v',
    subtaskIndex: 0,
    parallelism: 1,
    operators: { op: { keyed: deferred } },
  };
  const chunks: Uint8Array[] = [];
  for await (const chunk of stateFileChunks(state, async () => {})) {
    chunks.push(chunk);
    chunksTaken++;
  }
  t.ok(written.every((taken, i) => i === 0 || taken > written[i - 1]!), `each key group was read after the previous one was written (${written.join(', ')})`);
  t.equal(discarded, 1, 'the snapshot is discarded once written');
  const back = await readStateFile(await writeStateFile(t.testdir(), 'v-0', { chunks, byteLength: chunks.reduce((n, c) => n + c.byteLength, 0) }));
  const keyed = back.operators['op']!.keyed as KeyedStateSnapshot;
  t.same(keyed.states.map((s) => [s.name, s.ttl, s.keyGroups.map((g) => g.keyGroup)]), [['a', undefined, groups], ['b', true, groups]]);
  t.same(keyed.states[1]!.keyGroups[0]!.entries, [['k3', null, [[3, 5]]]]);
});
