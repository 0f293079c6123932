import t from 'tap';
import {
  CheckpointingOptions,
  ConfigError,
  Configuration,
  ConfigValueError,
  ExecutionOptions,
  HeartbeatManagerOptions,
  HIDDEN_CONTENT,
  HighAvailabilityOptions,
  JobManagerOptions,
  RestOptions,
  StateBackendOptions,
} from '../../src/config/index.js';

function warningsOf(config: Configuration): string[] {
  const warnings: string[] = [];
  config.validate((message) => warnings.push(message));
  return warnings;
}

t.test('get returns the default when the key is unset', async (t) => {
  const config = Configuration.empty();
  t.equal(config.get(RestOptions.PORT), 8081);
  t.equal(config.get(JobManagerOptions.RPC_ADDRESS), 'localhost');
  t.equal(config.get(HeartbeatManagerOptions.TIMEOUT), 50_000);
  t.equal(config.get(ExecutionOptions.RUNTIME_MODE), 'STREAMING');
});

t.test('get parses the raw value of the key', async (t) => {
  const config = Configuration.fromRecord({ 'rest.port': '9091', 'heartbeat.timeout': '2 min', 'execution.runtime-mode': 'batch' });
  t.equal(config.get(RestOptions.PORT), 9091);
  t.equal(config.get(HeartbeatManagerOptions.TIMEOUT), 120_000);
  t.equal(config.get(ExecutionOptions.RUNTIME_MODE), 'BATCH');
});

t.test('getOptional is undefined for an unset option without a default', async (t) => {
  const config = Configuration.empty();
  t.equal(config.getOptional(CheckpointingOptions.INTERVAL), undefined);
  t.equal(config.getOptional(RestOptions.PORT), 8081, 'a default still counts');
  t.equal(config.with('execution.checkpointing.interval', '30 s').getOptional(CheckpointingOptions.INTERVAL), 30_000);
});

t.test('get of an unset option without a default says how to set it', async (t) => {
  const error = t.throws(() => Configuration.empty().get(HighAvailabilityOptions.HA_STORAGE_PATH));
  t.ok(error instanceof ConfigError);
  t.equal(
    error instanceof Error ? error.message : '',
    "Missing value for 'high-availability.storageDir': it has no default. Set it in config.yaml or with -D high-availability.storageDir=<value>.",
  );
});

t.test('fallback keys are read when the key itself is unset', async (t) => {
  const legacy = Configuration.fromRecord({
    'state.backend': 'rocksdb',
    'state.checkpoints.dir': 'file:///tmp/cp',
    'state.savepoints.dir': '/tmp/sp',
    'state.checkpoints.num-retained': 3,
    'high-availability': 'zookeeper',
  });
  t.equal(legacy.get(StateBackendOptions.STATE_BACKEND), 'rocksdb');
  t.equal(legacy.get(CheckpointingOptions.CHECKPOINTS_DIRECTORY), '/tmp/cp');
  t.equal(legacy.get(CheckpointingOptions.SAVEPOINT_DIRECTORY), '/tmp/sp');
  t.equal(legacy.get(CheckpointingOptions.MAX_RETAINED_CHECKPOINTS), 3);
  t.equal(legacy.get(HighAvailabilityOptions.HA_MODE), 'ZOOKEEPER');
  t.ok(legacy.contains(StateBackendOptions.STATE_BACKEND));
});

t.test('the key wins over its fallback key when both are set', async (t) => {
  const config = Configuration.fromRecord({ 'state.backend': 'rocksdb', 'state.backend.type': 'hashmap' });
  t.equal(config.get(StateBackendOptions.STATE_BACKEND), 'hashmap');
  t.same(warningsOf(config), [
    "Configuration key 'state.backend' is deprecated; use 'state.backend.type' instead; 'state.backend.type' is also set and takes precedence.",
  ]);
});

t.test('with and withAll return new configurations and leave the original unchanged', async (t) => {
  const original = Configuration.fromRecord({ 'rest.port': 8081 });
  const changed = original.with('rest.port', 9000).withAll({ 'jobmanager.rpc.address': 'jm', 'parallelism.default': 4 });
  t.equal(original.get(RestOptions.PORT), 8081);
  t.same(original.keys(), ['rest.port']);
  t.equal(changed.get(RestOptions.PORT), 9000);
  t.same(changed.keys(), ['jobmanager.rpc.address', 'parallelism.default', 'rest.port']);
});

t.test('a stored list cannot be changed through the array that was passed in', async (t) => {
  const endpoints = ['http://a:2379'];
  const config = Configuration.empty().with('high-availability.etcd.endpoints', endpoints);
  endpoints.push('http://b:2379');
  t.same(config.get(HighAvailabilityOptions.HA_ETCD_ENDPOINTS), ['http://a:2379']);
});

t.test('an empty key is refused', async (t) => {
  t.throws(() => Configuration.empty().with(' ', 'x'), { name: 'ConfigError' });
});

t.test('toEntries lists set keys as text, sorted by key', async (t) => {
  const config = Configuration.fromRecord({
    'rest.port': 8081,
    'heartbeat.timeout': '50 s',
    'state.backend.incremental': true,
    'high-availability.etcd.endpoints': ['http://a:2379', 'http://b:2379'],
    'custom.s3.secret-key': 'hunter2',
  });
  t.same(config.toEntries(), [
    { key: 'custom.s3.secret-key', value: HIDDEN_CONTENT },
    { key: 'heartbeat.timeout', value: '50 s' },
    { key: 'high-availability.etcd.endpoints', value: 'http://a:2379;http://b:2379' },
    { key: 'rest.port', value: '8081' },
    { key: 'state.backend.incremental', value: 'true' },
  ]);
});

t.test('validate warns about an unknown key and names the closest known key', async (t) => {
  const config = Configuration.fromRecord({ 'jobmanager.rpc.prot': 6124 }, '/etc/runnel/config.yaml');
  t.same(warningsOf(config), [
    "Unknown configuration key 'jobmanager.rpc.prot' (in /etc/runnel/config.yaml); did you mean 'jobmanager.rpc.port'?",
  ]);
});

t.test('validate says an unknown key far from every known key will be ignored', async (t) => {
  const config = Configuration.fromRecord({ 'my.app.greeting': 'hello' }, '/etc/runnel/config.yaml');
  t.same(warningsOf(config), [
    "Unknown configuration key 'my.app.greeting' (in /etc/runnel/config.yaml); it is not a Runnel option and will be ignored.",
  ]);
});

t.test('validate suggests the right spelling for a key in the wrong case', async (t) => {
  t.same(warningsOf(Configuration.fromRecord({ 'taskmanager.numberoftaskslots': 2 })), [
    "Unknown configuration key 'taskmanager.numberoftaskslots'; did you mean 'taskmanager.numberOfTaskSlots'?",
  ]);
});

t.test('validate throws for a bad value, naming key, value, source and expectation', async (t) => {
  const config = Configuration.fromRecord({ 'heartbeat.timeout': 'ten seconds' }, '/etc/runnel/config.yaml');
  const error = t.throws(() => config.validate(() => undefined));
  t.ok(error instanceof ConfigValueError);
  if (!(error instanceof ConfigValueError)) return;
  t.equal(
    error.message,
    "Invalid value 'ten seconds' for 'heartbeat.timeout' (in /etc/runnel/config.yaml): expected a duration such as '10 s', '500 ms' or '1 min'.",
  );
  t.equal(error.key, 'heartbeat.timeout');
  t.equal(error.value, 'ten seconds');
  t.equal(error.source, '/etc/runnel/config.yaml');
});

t.test('validate checks values given under fallback keys too', async (t) => {
  const config = Configuration.fromRecord({ 'state.backend': 'leveldb' });
  t.throws(() => config.validate(() => undefined), { name: 'ConfigValueError', key: 'state.backend' });
});

t.test('validate reports unknown keys even when a value is also bad', async (t) => {
  const warnings: string[] = [];
  const config = Configuration.fromRecord({ 'rest.prot': 1, 'rest.port': 'http' });
  t.throws(() => config.validate((message) => warnings.push(message)), { name: 'ConfigValueError', key: 'rest.port' });
  t.equal(warnings.length, 1);
  t.match(warnings[0], /did you mean 'rest.port'\?$/);
});
