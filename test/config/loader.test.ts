import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import t, { type Test } from 'tap';
import {
  CheckpointingOptions,
  ConfigError,
  ConfigValueError,
  DEFAULT_CONF_DIR,
  HeartbeatManagerOptions,
  HighAvailabilityOptions,
  JobManagerOptions,
  loadConfiguration,
  RestOptions,
  RpcOptions,
  TaskManagerOptions,
  type Configuration,
} from '../../src/config/index.js';

/** Loads `yaml` as config.yaml from a fresh folder; returns the configuration and its warnings. */
function load(
  t: Test,
  yaml: string,
  dynamicProperties: string[] = [],
): { config: Configuration; warnings: string[]; dir: string } {
  const dir = t.testdir({ 'config.yaml': yaml });
  const warnings: string[] = [];
  const config = loadConfiguration({ confDir: dir, dynamicProperties, env: {}, onWarning: (m) => warnings.push(m) });
  return { config, warnings, dir };
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

t.test('flat keys are read from config.yaml', async (t) => {
  const { config, warnings } = load(t, 'jobmanager.rpc.address: jm-1\njobmanager.rpc.port: 7000\nheartbeat.timeout: 1 min\n');
  t.equal(config.get(JobManagerOptions.RPC_ADDRESS), 'jm-1');
  t.equal(config.get(JobManagerOptions.RPC_PORT), 7000);
  t.equal(config.get(HeartbeatManagerOptions.TIMEOUT), 60_000);
  t.same(warnings, []);
});

t.test('nested maps flatten to dotted keys', async (t) => {
  const { config } = load(t, ['jobmanager:', '  rpc:', '    address: jm-2', '    port: 7001', 'rpc:', '  framesize: 64 kb'].join('\n'));
  t.same(config.keys(), ['jobmanager.rpc.address', 'jobmanager.rpc.port', 'rpc.framesize']);
  t.equal(config.get(JobManagerOptions.RPC_ADDRESS), 'jm-2');
  t.equal(config.get(RpcOptions.FRAMESIZE), 65_536);
});

t.test('flat and nested keys mix in one file', async (t) => {
  const yaml = [
    'rest.port: 9000',
    'high-availability:',
    '  type: zookeeper',
    '  zookeeper.quorum: zk-1:2181,zk-2:2181',
    '  etcd:',
    '    endpoints: [http://a:2379, http://b:2379]',
    'taskmanager:',
    '  numberOfTaskSlots: 4',
  ].join('\n');
  const { config, warnings } = load(t, yaml);
  t.equal(config.get(RestOptions.PORT), 9000);
  t.equal(config.get(HighAvailabilityOptions.HA_MODE), 'ZOOKEEPER');
  t.equal(config.get(HighAvailabilityOptions.HA_ZOOKEEPER_QUORUM), 'zk-1:2181,zk-2:2181');
  t.same(config.get(HighAvailabilityOptions.HA_ETCD_ENDPOINTS), ['http://a:2379', 'http://b:2379']);
  t.equal(config.get(TaskManagerOptions.NUM_TASK_SLOTS), 4);
  t.same(warnings, []);
});

t.test('a key given both flat and nested is an error naming both places', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'rest.port: 8081\nrest:\n  port: 9000\n' });
  const error = errorOf(() => loadConfiguration({ confDir: dir, env: {} }));
  t.equal(
    error.message,
    `Configuration key 'rest.port' is given twice in ${join(dir, 'config.yaml')}: ` +
      "at line 1 (flat 'rest.port') and at line 3 (nested 'rest' > 'port'). Remove one of them.",
  );
  t.equal(error.key, 'rest.port');
});

t.test('a flat key written twice is an error too', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'rest.port: 8081\nrest.port: 9000\n' });
  t.match(errorOf(() => loadConfiguration({ confDir: dir, env: {} })).message, /at line 1 \(flat 'rest.port'\) and at line 2/);
});

t.test('malformed YAML names the file, the line and what to fix', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'rest.port: 8081\nheartbeat:\n\tinterval: 5 s\n' });
  const error = errorOf(() => loadConfiguration({ confDir: dir, env: {} }));
  const file = join(dir, 'config.yaml');
  t.match(error.message, `Malformed YAML in ${file} at line 3`);
  t.match(error.message, /Indent with spaces/);
  t.equal(error.source, file);
  t.equal(error.line, 3);
  t.ok(error.cause instanceof Error, 'the YAML error is kept as the cause');
});

t.test('a setting without a space after the colon is reported with its line', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'rest.port: 8081\njobmanager.rpc.address localhost\nparallelism.default: 2\n' });
  const error = errorOf(() => loadConfiguration({ confDir: dir, env: {} }));
  t.match(error.message, `Malformed YAML in ${join(dir, 'config.yaml')} at line 2`);
  t.match(error.message, /Write each setting as 'key: value'/);
});

t.test('a file holding a list instead of settings is refused', async (t) => {
  const dir = t.testdir({ 'config.yaml': '- rest.port\n- 8081\n' });
  t.match(errorOf(() => loadConfiguration({ confDir: dir, env: {} })).message, /Expected settings as 'key: value' lines at the top level/);
});

t.test('a key with an empty value keeps its default', async (t) => {
  const { config } = load(t, 'rest.port:\nrest.address: ~\n');
  t.equal(config.get(RestOptions.PORT), 8081);
  t.same(config.keys(), []);
});

t.test('-D overrides win over the file', async (t) => {
  const { config } = load(t, 'rest.port: 8081\nparallelism.default: 2\n', ['rest.port=9999', 'heartbeat.interval=2 s']);
  t.equal(config.get(RestOptions.PORT), 9999);
  t.equal(config.get(HeartbeatManagerOptions.INTERVAL), 2_000);
  t.equal(config.sourceOf('rest.port'), 'the -D arguments');
  t.equal(config.getRaw('parallelism.default'), 2, 'keys not overridden keep their file value');
});

t.test('a -D value may itself contain equals signs', async (t) => {
  const { config } = load(t, '', ['high-availability.storageDir=file:///tmp/ha?x=1']);
  t.equal(config.getRaw('high-availability.storageDir'), 'file:///tmp/ha?x=1');
});

t.test('a -D argument without = or without a key is refused, showing the expected form', async (t) => {
  const dir = t.testdir({});
  for (const arg of ['rest.port', '=8081', ' =8081']) {
    const error = errorOf(() => loadConfiguration({ confDir: dir, env: {}, dynamicProperties: [arg] }));
    t.equal(error.message, `Invalid dynamic property '${arg}': expected the form -D key=value.`);
  }
});

t.test('a bad -D value names -D as its source', async (t) => {
  const dir = t.testdir({});
  const error = errorOf(() => loadConfiguration({ confDir: dir, env: {}, dynamicProperties: ['rest.port=eighty'] }));
  t.ok(error instanceof ConfigValueError);
  t.equal(error.message, "Invalid value 'eighty' for 'rest.port' (in the -D arguments): expected an integer between 0 and 65535.");
});

t.test('a bad value in the file names the key, the value, the file and the expectation', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'heartbeat:\n  timeout: ten seconds\n' });
  const error = errorOf(() => loadConfiguration({ confDir: dir, env: {} }));
  t.ok(error instanceof ConfigValueError);
  t.equal(
    error.message,
    `Invalid value 'ten seconds' for 'heartbeat.timeout' (in ${join(dir, 'config.yaml')}): ` +
      "expected a duration such as '10 s', '500 ms' or '1 min'.",
  );
});

t.test('unknown keys in the file are warnings that name the file and the closest key', async (t) => {
  const { warnings, dir } = load(t, 'jobmanager.rpc.prot: 6123\n', ['execution.checkpointing.intervall=10 s']);
  t.same(warnings, [
    "Unknown configuration key 'execution.checkpointing.intervall' (in the -D arguments); did you mean 'execution.checkpointing.interval'?",
    `Unknown configuration key 'jobmanager.rpc.prot' (in ${join(dir, 'config.yaml')}); did you mean 'jobmanager.rpc.port'?`,
  ]);
});

t.test('RUNNEL_CONF_DIR selects the folder when no confDir is given', async (t) => {
  const dir = t.testdir({ 'config.yaml': 'rest.port: 7777\n' });
  const config = loadConfiguration({ env: { RUNNEL_CONF_DIR: dir }, onWarning: () => undefined });
  t.equal(config.get(RestOptions.PORT), 7777);
});

t.test('confDir wins over RUNNEL_CONF_DIR', async (t) => {
  const fromEnv = t.testdir({ env: { 'config.yaml': 'rest.port: 7777\n' }, arg: { 'config.yaml': 'rest.port: 6666\n' } });
  const config = loadConfiguration({ confDir: join(fromEnv, 'arg'), env: { RUNNEL_CONF_DIR: join(fromEnv, 'env') } });
  t.equal(config.get(RestOptions.PORT), 6666);
});

t.test('a RUNNEL_CONF_DIR that does not exist is an error naming the folder and the variable', async (t) => {
  const missing = join(t.testdir({}), 'nowhere');
  const error = errorOf(() => loadConfiguration({ env: { RUNNEL_CONF_DIR: missing } }));
  t.match(error.message, `Configuration folder '${missing}' named by RUNNEL_CONF_DIR does not exist.`);
});

t.test('a folder without config.yaml gives the defaults', async (t) => {
  const dir = t.testdir({ masters: 'localhost:8081\n' });
  const config = loadConfiguration({ confDir: dir, env: {} });
  t.same(config.keys(), []);
  t.equal(config.get(RestOptions.PORT), 8081);
});

t.test('without confDir or RUNNEL_CONF_DIR the repository conf/ is read, wherever the process runs', async (t) => {
  t.chdir(t.testdir({ 'config.yaml': 'rest.port: 1234\n' }));
  const warnings: string[] = [];
  const config = loadConfiguration({ env: {}, onWarning: (m) => warnings.push(m) });
  t.equal(config.sourceOf('rest.port'), join(DEFAULT_CONF_DIR, 'config.yaml'));
  t.equal(config.get(RestOptions.PORT), 8081);
  t.same(warnings, []);
});

t.test('the shipped config.yaml stays valid with every commented-out setting switched on', async (t) => {
  const shipped = readFileSync(join(DEFAULT_CONF_DIR, 'config.yaml'), 'utf8');
  const uncommented = shipped.replace(/^([ \t]*)# ( *[\w.-]+:(?:[ \t].*)?)$/gm, '$1$2');
  t.not(uncommented, shipped, 'some settings were commented out');
  const { config, warnings } = load(t, uncommented);
  t.same(warnings, []);
  t.equal(config.get(CheckpointingOptions.INTERVAL), 10_000);
  t.equal(config.get(HighAvailabilityOptions.HA_ZOOKEEPER_QUORUM), 'localhost:2181');
  t.same(config.get(HighAvailabilityOptions.HA_ETCD_ENDPOINTS), ['http://localhost:2379']);
});
