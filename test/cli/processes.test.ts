/**
 * `runnel jobmanager` and `runnel taskmanager` as real processes on free ports: their start-up
 * line, a live actor system at the logged address, clean exit on SIGTERM/SIGINT, and one-line
 * errors for taken ports and bad configuration. Children are killed by pid at teardown.
 */
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import t, { type Test } from 'tap';
import { ActorSystem } from '../../src/actors/system/index.js';
import { ConfigError, Configuration } from '../../src/config/index.js';
import { ZmqTransport } from '../../src/net/index.js';
import { defaultTaskManagerHost, heartbeatSettings, portsOf, resolveBindHost } from '../../src/process/index.js';
import { startNode } from '../helpers/process.js';
import { confDir, freePort, runRunnel } from './helpers.js';

const MAIN = fileURLToPath(new URL('../../src/cli/main.ts', import.meta.url));

async function holdPort(t: Test, port: number): Promise<Server> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return server;
}

/** Asks the `$system` actor at `endpoint` for a ping: the process's actor system is live. */
async function ping(t: Test, endpoint: string): Promise<{ endpoint: string }> {
  const local = await ActorSystem.start({ transport: new ZmqTransport({ host: '127.0.0.1', port: 0 }) });
  t.teardown(() => local.terminate());
  return local.ask(local.systemActor(endpoint), { type: 'ping' }, 10_000);
}

t.test('runnel jobmanager logs its address, serves actors there, and exits 0 on SIGTERM', async (t) => {
  const port = await freePort();
  const restPort = await freePort();
  const dir = confDir(t);
  const jm = startNode(t, MAIN, ['jobmanager', '-D', `jobmanager.rpc.port=${port}`, '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `rest.port=${restPort}`], {
    RUNNEL_CONF_DIR: dir,
  });
  const line = await jm.waitForLine(/Starting JobManager/);
  t.match(line, new RegExp(`Starting JobManager \\(Runnel \\d+\\.\\d+\\.\\d+\\S*\\) at tcp://127\\.0\\.0\\.1:${port}, REST port ${restPort}, config from ${dir}$`));
  t.equal((await ping(t, `tcp://127.0.0.1:${port}`)).endpoint, `tcp://127.0.0.1:${port}`);
  jm.kill('SIGTERM');
  t.equal(await jm.exited, 0);
  t.ok(jm.lines.some((l) => /Received SIGTERM; stopping the JobManager\./.test(l)));
  t.ok(jm.lines.some((l) => /JobManager stopped\./.test(l)));
});

t.test('runnel taskmanager logs its slots and the JobManager it registers with, and exits 0 on SIGINT', async (t) => {
  const tm = startNode(
    t,
    MAIN,
    ['taskmanager', '-D', 'taskmanager.numberOfTaskSlots=3', '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', 'jobmanager.rpc.port=6299'],
    { RUNNEL_CONF_DIR: confDir(t) },
  );
  const line = await tm.waitForLine(/Starting TaskManager/);
  const match = /at (tcp:\/\/127\.0\.0\.1:\d+) with 3 task slots, registering with the JobManager at tcp:\/\/127\.0\.0\.1:6299/.exec(line);
  t.ok(match, line);
  t.equal((await ping(t, match![1]!)).endpoint, match![1]);
  tm.kill('SIGINT');
  t.equal(await tm.exited, 0);
});

t.test('log.format json makes the start-up line a JSON object', async (t) => {
  const jm = startNode(t, MAIN, ['jobmanager', '-D', 'jobmanager.rpc.port=0', '-D', 'rest.port=0', '-D', 'log.format=json'], { RUNNEL_CONF_DIR: confDir(t) });
  const line = await jm.waitForLine(/Starting JobManager/);
  const record = JSON.parse(line) as { msg: string; component: string; level: number };
  t.equal(record.component, 'jobmanager');
  t.match(record.msg, /^Starting JobManager \(Runnel .*\) at tcp:\/\/localhost:\d+/);
  jm.kill('SIGTERM');
  t.equal(await jm.exited, 0);
});

t.test('a JobManager port already in use exits 1 naming the port and jobmanager.rpc.port', async (t) => {
  const port = await freePort();
  await holdPort(t, port);
  const result = await runRunnel(t, ['jobmanager', '-D', 'jobmanager.rpc.address=127.0.0.1', '-D', `jobmanager.rpc.port=${port}`], {
    env: { RUNNEL_CONF_DIR: confDir(t) },
  });
  t.equal(result.code, 1);
  t.equal(
    result.stderr,
    `Cannot start the JobManager: port ${port} is already in use on 127.0.0.1. Stop the process holding it, ` +
      `or choose another port with jobmanager.rpc.port (e.g. -D jobmanager.rpc.port=${port + 1}).\n`,
  );
});

t.test('a TaskManager takes the next port of its taskmanager.rpc.port list when one is taken', async (t) => {
  const taken = await freePort();
  await holdPort(t, taken);
  const next = await freePort();
  const tm = startNode(t, MAIN, ['taskmanager', '-D', 'taskmanager.host=127.0.0.1', '-D', `taskmanager.rpc.port=${taken},${next}`], {
    RUNNEL_CONF_DIR: confDir(t),
  });
  t.match(await tm.waitForLine(/Starting TaskManager/), `at tcp://127.0.0.1:${next} with 1 task slot,`);
  tm.kill('SIGTERM');
  t.equal(await tm.exited, 0);
});

t.test('an unknown key in config.yaml prints a warning with the closest known key to stderr', async (t) => {
  const dir = confDir(t, 'taskmanager.numberOfTaskSlot: 2\n');
  const jm = startNode(t, MAIN, ['jobmanager', '-D', 'jobmanager.rpc.port=0', '-D', 'rest.port=0'], { RUNNEL_CONF_DIR: dir });
  const warning = await jm.waitForLine(/Unknown configuration key/);
  t.equal(
    warning,
    `Warning: Unknown configuration key 'taskmanager.numberOfTaskSlot' (in ${dir}/config.yaml); did you mean 'taskmanager.numberOfTaskSlots'?`,
  );
  await jm.waitForLine(/Starting JobManager/);
  jm.kill('SIGTERM');
  t.equal(await jm.exited, 0);
  const client = await runRunnel(t, ['list', '--help'], { env: { RUNNEL_CONF_DIR: dir } });
  t.equal(client.code, 0, 'help needs no configuration');
});

t.test('a bad configuration value exits 1 naming the key and the value', async (t) => {
  const [fromD, fromFile] = await Promise.all([
    runRunnel(t, ['jobmanager', '-D', 'jobmanager.rpc.port=http'], { env: { RUNNEL_CONF_DIR: confDir(t) } }),
    runRunnel(t, ['taskmanager'], { env: { RUNNEL_CONF_DIR: confDir(t, 'heartbeat:\n  interval: fast\n') } }),
  ]);
  t.equal(fromD!.code, 1);
  t.match(fromD!.stderr, /^Invalid value 'http' for 'jobmanager\.rpc\.port' \(in the -D arguments\): expected an integer/);
  t.notMatch(fromD!.stderr, /\n\s+at /, 'no stack trace');
  t.equal(fromFile!.code, 1);
  t.match(fromFile!.stderr, /^Invalid value 'fast' for 'heartbeat\.interval' \(in .*config\.yaml\): expected a duration/);
});

t.test('a heartbeat timeout not above the interval, or an address not on this machine, exits 1 with the key to fix', async (t) => {
  const [heartbeat, address] = await Promise.all([
    runRunnel(t, ['jobmanager', '-D', 'heartbeat.interval=5s', '-D', 'heartbeat.timeout=5s'], { env: { RUNNEL_CONF_DIR: confDir(t) } }),
    runRunnel(t, ['jobmanager', '-D', 'jobmanager.bind-host=192.0.2.1', '-D', 'jobmanager.rpc.port=0'], { env: { RUNNEL_CONF_DIR: confDir(t) } }),
  ]);
  t.equal(heartbeat!.code, 1);
  t.match(heartbeat!.stderr, /^'heartbeat\.timeout' \(5000 ms\) must be greater than 'heartbeat\.interval' \(5000 ms\)/);
  t.equal(address!.code, 1);
  t.match(address!.stderr, /^Cannot start the JobManager: binding tcp:\/\/192\.0\.2\.1:0 failed \(.*\)\. Check jobmanager\.bind-host and jobmanager\.rpc\.address/);
});

t.test('a top-level actor that gives up is fatal: the process logs it and exits 1', async (t) => {
  const fixture = fileURLToPath(new URL('./fixtures/fatal-jobmanager.ts', import.meta.url));
  const jm = startNode(t, fixture);
  t.equal(await jm.exited, 1);
  t.ok(
    jm.lines.some((l) => /FATAL.*Fatal error in tcp:\/\/127\.0\.0\.1:\d+\/doomed: .*The JobManager exits so that it can be restarted\./.test(l)),
    'the fatal line names the actor, the cause and why the process exits',
  );
});

t.test('port ranges expand in order', async (t) => {
  t.same([...portsOf('0')], [0]);
  t.same([...portsOf('50100-50102, 50105')], [50100, 50101, 50102, 50105]);
});

t.test('heartbeat settings come from heartbeat.interval and heartbeat.timeout', async (t) => {
  t.same(heartbeatSettings(Configuration.fromRecord({ 'heartbeat.interval': '1 s', 'heartbeat.timeout': '5 s' })), { intervalMs: 1000, timeoutMs: 5000 });
  t.throws(() => heartbeatSettings(Configuration.fromRecord({ 'heartbeat.timeout': '1 s' })), ConfigError);
});

t.test('bind hosts: names resolve to an address, addresses and wildcards stay', async (t) => {
  t.equal(await resolveBindHost('127.0.0.1'), '127.0.0.1');
  t.equal(await resolveBindHost('*'), '*');
  t.equal(await resolveBindHost('localhost'), 'localhost');
  t.equal(await resolveBindHost('no-such-interface-name'), 'no-such-interface-name');
});

t.test('a TaskManager advertises the JobManager address when the JobManager is on loopback', async (t) => {
  t.equal(await defaultTaskManagerHost('localhost'), 'localhost');
  t.equal(await defaultTaskManagerHost('127.0.0.1'), '127.0.0.1');
  t.equal(await defaultTaskManagerHost('192.0.2.10').then((h) => typeof h), 'string', 'some address for a remote JobManager');
});
