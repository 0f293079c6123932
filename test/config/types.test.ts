import t from 'tap';
import {
  booleanType,
  ConfigValueError,
  durationType,
  enumType,
  floatType,
  formatDuration,
  formatMemorySize,
  integerType,
  memorySizeType,
  pathType,
  portRangeType,
  stringListType,
  stringType,
  type OptionType,
  type RawValue,
} from '../../src/config/index.js';

function rejection<T>(type: OptionType<T>, raw: RawValue, key = 'some.key'): ConfigValueError {
  try {
    type.parse(raw, key);
  } catch (error) {
    if (error instanceof ConfigValueError) return error;
    throw error;
  }
  throw new Error(`${String(raw)} was accepted`);
}

t.test('durations accept every Flink form and return milliseconds', async (t) => {
  const duration = durationType();
  const cases: [RawValue, number][] = [
    ['500', 500],
    [500, 500],
    ['500 ms', 500],
    ['500ms', 500],
    ['  500   ms  ', 500],
    ['10 s', 10_000],
    ['10s', 10_000],
    ['10 S', 10_000],
    ['1 min', 60_000],
    ['1m', 60_000],
    ['2 h', 7_200_000],
    ['1 d', 86_400_000],
    ['3 days', 259_200_000],
    ['0', 0],
    ['1500 us', 1.5],
    ['1500 µs', 1.5],
    ['2000000 ns', 2],
  ];
  for (const label of ['milli', 'millis', 'millisecond', 'milliseconds']) cases.push([`7 ${label}`, 7]);
  for (const label of ['sec', 'secs', 'second', 'seconds']) cases.push([`7 ${label}`, 7_000]);
  for (const label of ['minute', 'minutes']) cases.push([`7 ${label}`, 420_000]);
  for (const label of ['hour', 'hours']) cases.push([`1 ${label}`, 3_600_000]);
  for (const label of ['day']) cases.push([`1 ${label}`, 86_400_000]);
  for (const [raw, ms] of cases) t.equal(duration.parse(raw, 'k'), ms, `${String(raw)} is ${ms} ms`);
});

t.test('durations reject negatives, fractions, unknown units and words', async (t) => {
  const duration = durationType();
  for (const raw of ['-1 s', '-5', -5, '1.5', 1.5, '1.5 s', '.5 s', '10 parsecs', '10 s s', 'ten seconds', '', 's', true, ['1 s']]) {
    const error = rejection(duration, raw, 'heartbeat.timeout');
    t.equal(error.key, 'heartbeat.timeout', `${String(raw)} names the key`);
    t.same(error.value, raw);
  }
});

t.test('a bad duration explains the key, the value and the expected form', async (t) => {
  const error = rejection(durationType(), 'ten seconds', 'heartbeat.timeout');
  t.equal(
    error.message,
    "Invalid value 'ten seconds' for 'heartbeat.timeout': expected a duration such as '10 s', '500 ms' or '1 min'.",
  );
  t.equal(error.name, 'ConfigValueError');
});

t.test('durations print in the largest whole unit', async (t) => {
  t.equal(formatDuration(0), '0 ms');
  t.equal(formatDuration(200), '200 ms');
  t.equal(formatDuration(10_000), '10 s');
  t.equal(formatDuration(90_000), '90 s');
  t.equal(formatDuration(60_000), '1 min');
  t.equal(formatDuration(3_600_000), '1 h');
  t.equal(formatDuration(86_400_000), '1 d');
  t.equal(formatDuration(1.5), '1500 µs');
  t.equal(durationType().parse(formatDuration(123_456), 'k'), 123_456, 'printing then parsing gives the value back');
});

t.test('memory sizes accept Flink units as powers of 1024', async (t) => {
  const memory = memorySizeType();
  const cases: [RawValue, number][] = [
    ['10485760b', 10_485_760],
    ['10485760', 10_485_760],
    [1024, 1024],
    ['12 bytes', 12],
    ['64 kb', 65_536],
    ['64k', 65_536],
    ['2 kibibytes', 2048],
    ['10 mb', 10_485_760],
    ['10 MB', 10_485_760],
    ['3 mebibytes', 3 * 1024 ** 2],
    ['1g', 1024 ** 3],
    ['2 gb', 2 * 1024 ** 3],
    ['1 gibibytes', 1024 ** 3],
    ['1 tb', 1024 ** 4],
    ['1t', 1024 ** 4],
    ['1 tebibytes', 1024 ** 4],
  ];
  for (const [raw, bytes] of cases) t.equal(memory.parse(raw, 'k'), bytes, `${String(raw)} is ${bytes} bytes`);
  for (const raw of ['-1 mb', '1.5 mb', '10 pb', 'lots', '']) rejection(memory, raw);
  t.match(rejection(memory, '10 pb', 'rpc.framesize').message, /^Invalid value '10 pb' for 'rpc.framesize': expected a memory size/);
});

t.test('memory sizes print in the largest whole unit', async (t) => {
  t.equal(formatMemorySize(0), '0 bytes');
  t.equal(formatMemorySize(100), '100 bytes');
  t.equal(formatMemorySize(1536), '1536 bytes');
  t.equal(formatMemorySize(65_536), '64 kb');
  t.equal(formatMemorySize(10_485_760), '10 mb');
  t.equal(formatMemorySize(2 * 1024 ** 3), '2 gb');
  t.equal(formatMemorySize(1024 ** 4), '1 tb');
});

t.test('enums match any case and return the canonical constant', async (t) => {
  const mode = enumType(['STREAMING', 'BATCH', 'AUTOMATIC']);
  t.equal(mode.parse('batch', 'k'), 'BATCH');
  t.equal(mode.parse(' Streaming ', 'k'), 'STREAMING');
  t.equal(mode.parse('AUTOMATIC', 'k'), 'AUTOMATIC');
  t.equal(
    rejection(mode, 'stream', 'execution.runtime-mode').message,
    "Invalid value 'stream' for 'execution.runtime-mode': expected one of STREAMING, BATCH, AUTOMATIC.",
  );
});

t.test('enum aliases map to their constant in any case', async (t) => {
  const restart = enumType(['none', 'fixed-delay'], { off: 'none', FixedDelay: 'fixed-delay' });
  t.equal(restart.parse('OFF', 'k'), 'none');
  t.equal(restart.parse('fixeddelay', 'k'), 'fixed-delay');
  t.equal(restart.parse('Fixed-Delay', 'k'), 'fixed-delay');
  rejection(restart, 'fixed_delay');
});

t.test('lists come from YAML lists or from strings split on commas and semicolons', async (t) => {
  const list = stringListType();
  t.same(list.parse(['http://a:2379', ' http://b:2379 ', ''], 'k'), ['http://a:2379', 'http://b:2379']);
  t.same(list.parse('a, b;c ;; ,d', 'k'), ['a', 'b', 'c', 'd']);
  t.same(list.parse('', 'k'), []);
  t.same(list.parse([1, true], 'k'), ['1', 'true']);
  t.equal(list.format(['a', 'b']), 'a;b');
});

t.test('integers honour their range and reject fractions and words', async (t) => {
  const parallelism = integerType({ min: 1, max: 32_768 });
  t.equal(parallelism.parse('128', 'k'), 128);
  t.equal(parallelism.parse(' 7 ', 'k'), 7);
  t.equal(parallelism.parse(32_768, 'k'), 32_768);
  for (const raw of ['0', 0, '32769', '1.5', 2.5, 'many', '', true, ['1']]) rejection(parallelism, raw);
  t.equal(
    rejection(parallelism, '0', 'pipeline.max-parallelism').message,
    "Invalid value '0' for 'pipeline.max-parallelism': expected an integer between 1 and 32768.",
  );
  t.match(rejection(integerType({ min: 0 }), '-1').message, /expected an integer of at least 0\.$/);
});

t.test('floats accept decimals within their range', async (t) => {
  const jitter = floatType({ min: 0, max: 1 });
  t.equal(jitter.parse('0.25', 'k'), 0.25);
  t.equal(jitter.parse(0.1, 'k'), 0.1);
  t.equal(jitter.parse('1', 'k'), 1);
  t.equal(floatType().parse('1e-3', 'k'), 0.001);
  for (const raw of ['1.5', '-0.1', 'half', '', '0.1.2']) rejection(jitter, raw);
});

t.test('booleans are true or false in any case and nothing else', async (t) => {
  const flag = booleanType();
  t.equal(flag.parse('TRUE', 'k'), true);
  t.equal(flag.parse('False', 'k'), false);
  t.equal(flag.parse(true, 'k'), true);
  for (const raw of ['yes', '1', 1, 'on', '']) rejection(flag, raw);
});

t.test('strings take scalars as text but refuse lists', async (t) => {
  t.equal(stringType().parse(6123, 'k'), '6123');
  t.equal(stringType().parse('localhost', 'k'), 'localhost');
  rejection(stringType(), ['a', 'b']);
});

t.test('port ranges accept single ports, ranges and comma-separated mixes', async (t) => {
  const ports = portRangeType();
  t.equal(ports.parse(9249, 'k'), '9249');
  t.equal(ports.parse('9249-9260', 'k'), '9249-9260');
  t.equal(ports.parse('50100,50200-50210', 'k'), '50100,50200-50210');
  for (const raw of ['9260-9249', '70000', 'http', '9249-', '1-2-3', '', true]) rejection(ports, raw);
});

t.test('paths accept plain paths and file URIs, and refuse remote schemes', async (t) => {
  const path = pathType();
  t.equal(path.parse('/tmp/checkpoints', 'k'), '/tmp/checkpoints');
  t.equal(path.parse('file:///tmp/checkpoints', 'k'), '/tmp/checkpoints');
  t.equal(path.parse('file:/tmp/checkpoints', 'k'), '/tmp/checkpoints');
  t.equal(path.parse('relative/dir', 'k'), 'relative/dir');
  for (const raw of ['s3://bucket/checkpoints', 'hdfs://nn/x', 'file://remote-host/x', '', 5]) rejection(path, raw);
});
