import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import t from 'tap';
import { Tag } from 'cbor-x';
import { readSpan, readStateFileSkeleton } from '../../../src/actors/task/state-file-reader.js';
import { readStateFile, stateFileChunks, writeStateFile, writeStateFileFrom, STATE_FILE_FORMAT, STATE_FILE_VERSION, type TaskStateFile } from '../../../src/actors/task/state-files.js';
import { decode, encode } from '../../../src/net/index.js';
import type { OperatorSnapshot } from '../../../src/operators/operator.js';
import type { KeyedStateSnapshot, KeyGroupEntries } from '../../../src/state/index.js';

const MiB = 1 << 20;

function stateOf(states: { name: string; keyGroups: KeyGroupEntries[] }[], extra: Partial<OperatorSnapshot> = {}): TaskStateFile<OperatorSnapshot> {
  return {
    format: STATE_FILE_FORMAT,
    version: STATE_FILE_VERSION,
    checkpointId: 5,
    vertexId: 'v',
    subtaskIndex: 0,
    parallelism: 1,
    operators: {
      op: {
        keyed: { version: 1, maxParallelism: 128, keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 }, states: states.map((s) => ({ ...s, kind: 'VALUE' as const })), timers: [] },
        ...extra,
      },
    },
  };
}

/** A key group of `entries` entries with values of `valueBytes` characters, one string shared by all. */
function bigGroup(keyGroup: number, entries: number, valueBytes: number): KeyGroupEntries {
  const value = String.fromCharCode(97 + (keyGroup % 26)).repeat(valueBytes);
  return { keyGroup, entries: Array.from({ length: entries }, (_, i) => [`key-${keyGroup}-${i}`, null, { i, value }] as const) };
}

function keyGroupsOf(file: TaskStateFile, state = 0): readonly KeyGroupEntries[] {
  return (file.operators['op']!.keyed as KeyedStateSnapshot).states[state]!.keyGroups;
}

async function write(dir: string, state: TaskStateFile<OperatorSnapshot>): Promise<string> {
  return (await writeStateFileFrom(dir, 'v-0', stateFileChunks(state, async () => {}))).path;
}

t.test('a file of several large key groups reads back the same, its large groups read from the file', async (t) => {
  const a = [0, 1, 2, 3, 4, 5].map((g) => bigGroup(g, 30, 100_000));
  const b = [7, 8, 9].map((g) => bigGroup(g, 3, 700_000));
  const splits = [{ id: 'split-0', position: 42 }];
  const path = await write(t.testdir(), stateOf([{ name: 'a', keyGroups: a }, { name: 'b', keyGroups: b }], { splits }));

  const skeleton = readStateFileSkeleton(path);
  t.equal(skeleton.spans.length, 9, 'every group of about 2 or 3 MB is a span: none fits the 1 MiB kept inline');
  t.ok(skeleton.cbor.byteLength < 4096, `the skeleton is ${skeleton.cbor.byteLength} bytes of a ${skeleton.stats.fileBytes}-byte file`);

  const back = await readStateFile(path);
  t.same(keyGroupsOf(back, 0), a);
  t.same(keyGroupsOf(back, 1), b);
  t.same(back.operators['op']!.splits, splits);
});

t.test('what the walker makes of a file does not depend on its buffer size', async (t) => {
  // Key groups from a few bytes to a few hundred KiB: heads, keys and groups fall across the
  // buffer's refills wherever its size puts them; with no inline budget every group is a span.
  const groups = Array.from({ length: 40 }, (_, g) => bigGroup(g, (g * 7) % 13, g * 997));
  const state = stateOf([{ name: 's', keyGroups: groups }], { splits: [{ id: 'x'.repeat(10_000) }], committables: [new Uint8Array(20_000).fill(9)] });
  const path = await write(t.testdir(), state);
  const reference = readStateFileSkeleton(path, { bufferBytes: 64 * MiB, inlineBytes: 0 });
  t.equal(reference.spans.length, groups.length, 'with no inline budget, every group is a span');
  for (const bufferBytes of [4096, 4099, 10_000, 65_536, 1 << 18]) {
    const skeleton = readStateFileSkeleton(path, { bufferBytes, inlineBytes: 0 });
    t.same(skeleton.spans, reference.spans, `the same spans with a buffer of ${bufferBytes} bytes`);
    t.same(Buffer.from(skeleton.cbor), Buffer.from(reference.cbor), `the same skeleton with a buffer of ${bufferBytes} bytes`);
    t.equal(skeleton.stats.bufferBytes, bufferBytes);
  }
  const back = await readStateFile(path, { bufferBytes: 4096, inlineBytes: 0 });
  t.same(keyGroupsOf(back), groups);
  t.same(back.operators['op']!.splits, state.operators['op']!.splits);
  t.same(back.operators['op']!.committables, state.operators['op']!.committables);

  // With the default budget, the small groups stay in the skeleton and the rest are spans.
  const mixed = readStateFileSkeleton(path);
  t.ok(mixed.spans.length > 0 && mixed.spans.length < groups.length, `${mixed.spans.length} of ${groups.length} groups are spans`);
  t.same(keyGroupsOf(await readStateFile(path)), groups);
});

t.test('the skeleton of a file with 50 MB of key groups is read without their bytes, and each group is read from the file when its entries are', async (t) => {
  // 50 key groups of about 1.2 MB each.
  const groups = Array.from({ length: 50 }, (_, g) => bigGroup(g, 12, 100_000));
  const path = await write(t.testdir(), stateOf([{ name: 's', keyGroups: groups }]));

  const skeleton = readStateFileSkeleton(path, { bufferBytes: MiB });
  const { fileBytes, bytesRead, bufferBytes } = skeleton.stats;
  t.ok(fileBytes > 50_000_000, `the file has ${fileBytes} bytes`);
  t.equal(skeleton.spans.length, 50, 'every key group is a span');
  t.ok(skeleton.cbor.byteLength < 4096, `the skeleton is ${skeleton.cbor.byteLength} bytes`);
  t.equal(bufferBytes, MiB, 'the walker read through one buffer of 1 MiB');
  t.ok(bytesRead < fileBytes / 20, `the walker read ${bytesRead} bytes of the file, skipping the key groups`);
  const spanned = skeleton.spans.reduce((n, s) => n + s.length, 0);
  t.ok(spanned + skeleton.cbor.byteLength >= fileBytes - 50 * 16, 'the spans and the skeleton make up the file');
  for (const g of [0, 17, 49]) {
    t.same(decode(readSpan(path, skeleton.identity, skeleton.spans[g]!, `key group ${g}`)), groups[g]!.entries, `span ${g} holds key group ${g}'s entries`);
  }

  const before = process.memoryUsage().arrayBuffers;
  const file = await readStateFile(path);
  const grown = process.memoryUsage().arrayBuffers - before;
  t.ok(grown < 16 * MiB, `reading the file kept ${(grown / MiB).toFixed(1)} MiB of buffers, not its ${(fileBytes / MiB).toFixed(0)} MiB`);
  const read = keyGroupsOf(file);
  t.same(read[3]!.entries, groups[3]!.entries, 'a group is read from the file');
  await rm(path);
  t.throws(() => read[4]!.entries, { name: 'StateFileError', file: path, message: /key group 4 of state 's' cannot be read/ }, 'the next group is read only now, from a file that is gone');
});

t.test('key groups are found under an operator id of any length', async (t) => {
  const groups = [bigGroup(1, 2, 1000), bigGroup(2, 2, 1000)];
  const op = stateOf([{ name: 's', keyGroups: groups }]).operators['op'];
  const id = 'operator-'.repeat(30);
  const path = await write(t.testdir(), { ...stateOf([]), operators: { [id]: op! } });
  t.equal(readStateFileSkeleton(path, { inlineBytes: 0 }).spans.length, 2);
  t.same((await readStateFile(path, { inlineBytes: 0 })).operators[id]!.keyed, op!.keyed);
});

t.test('a truncated file, or one with bytes after its item, is a StateFileError naming it', async (t) => {
  const groups = Array.from({ length: 4 }, (_, g) => bigGroup(g, 10, 50_000));
  const dir = t.testdir();
  const whole = await readFile(await write(dir, stateOf([{ name: 's', keyGroups: groups }])));
  const skeleton = readStateFileSkeleton(join(dir, 'v-0'), { inlineBytes: 0 });
  const inGroup = skeleton.spans[2]!.offset + 1000;
  for (const [what, length] of [['in its header', 20], ['in a key group', inGroup], ['in its last byte', whole.byteLength - 1], ['before its first byte', 0]] as const) {
    const path = join(dir, `cut-${length}`);
    await writeFile(path, whole.subarray(0, length));
    await t.rejects(readStateFile(path), { name: 'StateFileError', file: path, message: new RegExp(`state file ${path}: it is not valid CBOR \\(.*truncated`) }, `cut ${what}`);
  }
  const trailing = join(dir, 'trailing');
  await writeFile(trailing, Buffer.concat([whole, Buffer.of(0)]));
  await t.rejects(readStateFile(trailing), { name: 'StateFileError', file: trailing, message: /not valid CBOR \(1 bytes follow its item/ });
  await t.rejects(readStateFile(join(dir, 'missing')), { name: 'StateFileError', message: /it does not exist/ });
});

t.test('malformed CBOR in the skeleton is a StateFileError, not a crash', async (t) => {
  const dir = t.testdir();
  const cases: [string, Uint8Array, RegExp][] = [
    ['a reserved head', Uint8Array.of(0xa1, 0x61, 0x61, 0x1c), /head at byte 3 \(0x1c\) is not well-formed/],
    ['a stray break', Uint8Array.of(0x82, 0x01, 0xff), /a break at byte 2 ends nothing/],
    ['a bad chunk in an indefinite string', Uint8Array.of(0x7f, 0x41, 0x00, 0xff), /not a definite string of its type/],
    ['deep nesting', new Uint8Array(5000).fill(0x81), /nested more than 1000 deep/],
  ];
  for (const [what, bytes, message] of cases) {
    const path = join(dir, what.replaceAll(' ', '-'));
    await writeFile(path, bytes);
    await t.rejects(readStateFile(path), { name: 'StateFileError', file: path, message }, what);
  }
});

t.test('a key group\'s entries must be a byte string under tag 24', async (t) => {
  const state = (entries: unknown) =>
    encode({
      ...stateOf([]),
      operators: { op: { keyed: { version: 1, maxParallelism: 128, keyGroupRange: { startKeyGroup: 0, endKeyGroup: 127 }, states: [{ name: 's', kind: 'VALUE', keyGroups: [{ keyGroup: 3, entries }] }], timers: [] } } },
    });
  // A number there would pass for the reader's placeholder of a key group left in the file.
  const forged = await writeStateFile(t.testdir(), 'v-0', new Uint8Array(state(new Tag(0, 24))));
  await t.rejects(readStateFile(forged), { name: 'StateFileError', message: /tag 24 at byte \d+ does not hold a byte string/ });
  // Elsewhere tag 24 is data like any other, as it was.
  const elsewhere = await writeStateFile(t.testdir(), 'v-1', new Uint8Array(encode({ ...stateOf([]), operators: { op: { splits: [new Tag(7, 24)] } } })));
  t.same((await readStateFile(elsewhere)).operators['op']!.splits, [new Tag(7, 24)]);
});

t.test('a corrupt key group read from the file is reported with the file and the state when it is read', async (t) => {
  const groups = [bigGroup(0, 3, 10_000), bigGroup(1, 3, 10_000)];
  const path = await write(t.testdir(), stateOf([{ name: 'counts', keyGroups: groups }]));
  const skeleton = readStateFileSkeleton(path, { inlineBytes: 0 });
  // Same length, not CBOR: the file keeps its size, and is renamed over, as a writer would.
  const bytes = await readFile(path);
  bytes.fill(0xff, skeleton.spans[1]!.offset, skeleton.spans[1]!.offset + 10);
  await writeFile(`${path}.new`, bytes);
  await rename(`${path}.new`, path);
  const file = await readStateFile(path, { inlineBytes: 0 });
  t.same(keyGroupsOf(file)[0]!.entries, groups[0]!.entries);
  t.throws(() => keyGroupsOf(file)[1]!.entries, { name: 'StateFileError', file: path, message: /key group 1 of state 'counts' is not valid CBOR/ });
});

t.test('a file replaced after its skeleton was read is not read at the old offsets', async (t) => {
  const groups = [bigGroup(0, 3, 10_000)];
  const dir = t.testdir();
  const path = await write(dir, stateOf([{ name: 's', keyGroups: groups }]));
  const file = await readStateFile(path, { inlineBytes: 0 });
  await writeFile(join(dir, 'other'), await readFile(path));
  await rename(join(dir, 'other'), path);
  t.throws(() => keyGroupsOf(file)[0]!.entries, { name: 'StateFileError', file: path, message: /it changed after it was opened for restore, so key group 0 of state 's' is no longer where it was/ });
});

t.test('the walker passes over every kind of CBOR item in the skeleton as cbor-x reads it', async (t) => {
  // Splits of odd items: a float16, undefined, a date, a big integer, a set (2-byte tag), a
  // float64; then what the walker passes over but cbor-x does not read back: indefinite text
  // and byte strings, and a byte string with an 8-byte length in a larger item.
  const splits = Buffer.from('86' + 'f93c00' + 'f7' + 'c11a5f5e1000' + 'c249010000000000000000' + 'd9010283010203' + 'fb3ff8000000000000', 'hex');
  const indefiniteSplits = Buffer.from('83' + '7f61616162ff' + '5f41014102ff' + '5b0000000000000002abcd', 'hex');
  // Keyed state in indefinite-length maps, its key group's entries in the file.
  const entries = [['k', null, 'v'.repeat(70_000)]];
  const embedded = cbor(entries);
  const keyed = Buffer.concat([
    Buffer.from('bf', 'hex'), cbor('version'), cbor(1), cbor('maxParallelism'), cbor(128), cbor('keyGroupRange'), cbor({ startKeyGroup: 0, endKeyGroup: 127 }),
    cbor('states'), Buffer.from('9f', 'hex'),
    Buffer.from('bf', 'hex'), cbor('name'), cbor('s'), cbor('kind'), cbor('VALUE'), cbor('keyGroups'),
    Buffer.from('9f', 'hex'), Buffer.from('bf', 'hex'), cbor('keyGroup'), cbor(5), cbor('entries'), Buffer.from('d818', 'hex'), Buffer.from(cborBytesHead(embedded.byteLength)), embedded, Buffer.from('ff', 'hex'), Buffer.from('ff', 'hex'),
    Buffer.from('ff', 'hex'), Buffer.from('ff', 'hex'),
    cbor('timers'), cbor([]), Buffer.from('ff', 'hex'),
  ]);
  const { operators: _, ...top } = stateOf([]);
  const fileOf = (splits: Uint8Array) => Buffer.concat([
    Buffer.from([0xa0 + Object.keys(top).length + 1]),
    ...Object.entries(top).flatMap(([k, v]) => [cbor(k), cbor(v)]),
    cbor('operators'), Buffer.from('a1', 'hex'), cbor('op'), Buffer.from('a2', 'hex'), cbor('splits'), splits, cbor('keyed'), keyed,
  ]);
  const dir = t.testdir();
  const indefinite = fileOf(indefiniteSplits);
  await writeFile(join(dir, 'indefinite'), indefinite);
  t.same(Buffer.from(readStateFileSkeleton(join(dir, 'indefinite'), { bufferBytes: 4096 }).cbor), indefinite, 'indefinite-length strings and 8-byte lengths are walked over');
  const file = fileOf(splits);
  const path = join(dir, 'v-0');
  await writeFile(path, file);
  const skeleton = readStateFileSkeleton(path, { bufferBytes: 4096, inlineBytes: 0 });
  t.equal(skeleton.spans.length, 1, 'the key group in indefinite-length maps and arrays is found');
  t.same(Buffer.from(readStateFileSkeleton(path, { bufferBytes: 4096 }).cbor), file, 'a file whose key groups are all kept inline is its own skeleton');
  const back = await readStateFile(path, { bufferBytes: 4096, inlineBytes: 0 });
  t.same(back.operators['op']!.splits, (decode(file) as TaskStateFile).operators['op']!.splits);
  t.same(keyGroupsOf(back)[0], { keyGroup: 5, entries });
});

/** `value`'s CBOR, copied out of the encoder's shared buffer. */
function cbor(value: unknown): Buffer {
  return Buffer.from(encode(value));
}

/** The head of a byte string of `n` bytes, 2^16 <= n < 2^32. */
function cborBytesHead(n: number): Uint8Array {
  return Uint8Array.of(0x5a, n >>> 24, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff);
}
