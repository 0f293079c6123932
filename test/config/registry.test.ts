import t from 'tap';
import {
  closestKnownKey,
  Configuration,
  findOption,
  KNOWN_OPTIONS,
  PipelineOptions,
  RestartStrategyOptions,
  RpcOptions,
  TraceOptions,
} from '../../src/config/index.js';

t.test('every option key is unique and no fallback key is also a current key', async (t) => {
  const keys = KNOWN_OPTIONS.map((o) => o.key);
  t.equal(new Set(keys).size, keys.length);
  const fallbacks = KNOWN_OPTIONS.flatMap((o) => o.fallbackKeys ?? []);
  t.same(fallbacks.filter((k) => keys.includes(k)), []);
});

t.test('every default prints in a form that parses back to itself', async (t) => {
  for (const option of KNOWN_OPTIONS) {
    if (option.default === undefined) continue;
    const printed = option.type.format(option.default);
    t.same(option.type.parse(printed, option.key), option.default, `${option.key}: ${printed}`);
  }
});

t.test('every option has a one-line description', async (t) => {
  for (const option of KNOWN_OPTIONS) {
    t.ok(option.description.length > 10 && !option.description.includes('\n'), option.key);
  }
});

t.test("defaults follow Flink's", async (t) => {
  const config = Configuration.empty();
  const defaults: Record<string, unknown> = {
    'jobmanager.rpc.port': 6123,
    'blob.server.port': '0',
    'pipeline.max-parallelism': 128,
    'pipeline.auto-watermark-interval': 200,
    'execution.buffer-timeout.interval': 100,
    'execution.checkpointing.timeout': 600_000,
    'restart-strategy.exponential-delay.backoff-multiplier': 1.5,
    'restart-strategy.exponential-delay.attempts-before-reset-backoff': 2_147_483_647,
    'high-availability.cluster-id': '/default',
    'high-availability.zookeeper.client.session-timeout': 60_000,
    'metrics.reporter.prom.port': '9249',
  };
  for (const [key, expected] of Object.entries(defaults)) {
    const option = findOption(key);
    t.ok(option, `${key} is known`);
    if (option !== undefined) t.equal(config.get(option), expected, key);
  }
  t.equal(config.get(RpcOptions.FRAMESIZE), 10 * 1024 * 1024);
  t.equal(config.get(TraceOptions.OTEL_EXPORTER_PROTOCOL), 'gRPC');
  t.equal(config.getOptional(RestartStrategyOptions.RESTART_STRATEGY), undefined);
});

t.test("restart-strategy.type accepts Flink's aliases", async (t) => {
  const cases: Record<string, string> = {
    off: 'none',
    disable: 'none',
    fixeddelay: 'fixed-delay',
    exponentialdelay: 'exponential-delay',
    failurerate: 'failure-rate',
    'FAILURE-RATE': 'failure-rate',
  };
  for (const [given, canonical] of Object.entries(cases)) {
    t.equal(Configuration.empty().with('restart-strategy.type', given).get(RestartStrategyOptions.RESTART_STRATEGY), canonical);
  }
});

t.test('pipeline.max-parallelism stays within 1 and 32768', async (t) => {
  t.throws(() => Configuration.empty().with('pipeline.max-parallelism', 32_769).get(PipelineOptions.MAX_PARALLELISM), {
    name: 'ConfigValueError',
  });
  t.equal(Configuration.empty().with('pipeline.max-parallelism', '32768').get(PipelineOptions.MAX_PARALLELISM), 32_768);
});

t.test('the closest known key is offered only for plausible typos', async (t) => {
  t.equal(closestKnownKey('jobmanager.rpc.prot'), 'jobmanager.rpc.port');
  t.equal(closestKnownKey('heartbeat.timout'), 'heartbeat.timeout');
  t.equal(closestKnownKey('REST.PORT'), 'rest.port');
  t.equal(closestKnownKey('foo.bar'), undefined);
  t.equal(closestKnownKey('my.application.setting'), undefined);
});
