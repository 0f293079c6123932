import t from 'tap';
import { encodeStateFileInSlices, readStateFile, writeStateFile, STATE_FILE_FORMAT, STATE_FILE_VERSION, type TaskStateFile } from '../../../src/actors/task/state-files.js';
import type { KeyedStateSnapshot } from '../../../src/state/index.js';

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

t.test('a corrupt embedded key group is reported with the file and the state', async (t) => {
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
  await t.rejects(readStateFile(path), /v-0.*key group 3 of state 'counts' is not valid CBOR/);
});
