/** The checks of single command-line values, and `runnel list` formatting. */
import t from 'tap';
import { collectDynamicProperty, parseHostPort, parseJobId, parseParallelism } from '../../src/cli/args.js';
import { UsageError } from '../../src/cli/errors.js';
import { formatJobList, formatTimestamp } from '../../src/cli/job-list.js';
import { JOB_ID } from './helpers.js';

process.env['TZ'] = 'UTC';

t.test('job ids are 32 lower-case hex characters', async (t) => {
  t.equal(parseJobId(JOB_ID), JOB_ID);
  for (const bad of ['', JOB_ID.slice(1), `${JOB_ID}0`, JOB_ID.toUpperCase(), `${JOB_ID.slice(1)}g`]) {
    t.throws(() => parseJobId(bad), UsageError, `rejects '${bad}'`);
  }
});

t.test('parallelism is a whole number of at least 1', async (t) => {
  t.equal(parseParallelism('4'), 4);
  for (const bad of ['0', '-1', '1.5', 'x', '', '1e3', '99999999999999999999']) t.throws(() => parseParallelism(bad), UsageError, `rejects '${bad}'`);
});

t.test('-D values collect in order and need a key and an =', async (t) => {
  t.same(collectDynamicProperty('b=2', collectDynamicProperty('a=1', undefined)), ['a=1', 'b=2']);
  t.same(collectDynamicProperty('a=', undefined), ['a='], 'an empty value is allowed');
  t.same(collectDynamicProperty('a=b=c', undefined), ['a=b=c']);
  t.throws(() => collectDynamicProperty('a', undefined), UsageError);
  t.throws(() => collectDynamicProperty(' =1', undefined), UsageError);
});

t.test('-m takes host:port, [ipv6]:port and an http:// prefix', async (t) => {
  t.same(parseHostPort('localhost:8081'), { host: 'localhost', port: 8081 });
  t.same(parseHostPort('http://10.0.0.1:9000/'), { host: '10.0.0.1', port: 9000 });
  t.same(parseHostPort('[::1]:8081'), { host: '[::1]', port: 8081 });
  for (const bad of ['localhost', ':8081', 'host:0', 'host:65536', 'host:port', 'a b:1']) t.throws(() => parseHostPort(bad), UsageError, `rejects '${bad}'`);
});

t.test('timestamps print as dd.MM.yyyy HH:mm:ss', async (t) => {
  t.equal(formatTimestamp(Date.UTC(2024, 0, 2, 3, 4, 5)), '02.01.2024 03:04:05');
});

t.test('SUSPENDED and CANCELLING jobs count as running; only FINISHED, CANCELED and FAILED as terminated', async (t) => {
  const job = (state: string, startTime: number) => ({ jid: JOB_ID, name: state.toLowerCase(), state, startTime });
  const lines = formatJobList([job('SUSPENDED', 2), job('CANCELLING', 1), job('CANCELED', 3), job('CREATED', 4)], {
    running: false,
    scheduled: false,
    all: true,
  });
  t.same(
    lines.map((l) => l.replace(/^.* : .* : /, '')),
    [
      '------------------ Running/Restarting Jobs -------------------',
      'cancelling (CANCELLING)',
      'suspended (SUSPENDED)',
      '--------------------------------------------------------------',
      '----------------------- Scheduled Jobs -----------------------',
      'created (CREATED)',
      '--------------------------------------------------------------',
      '---------------------- Terminated Jobs -----------------------',
      'canceled (CANCELED)',
      '--------------------------------------------------------------',
    ],
  );
});
