/** Metrics, traces and logs: what leaves the process for operators to look at. */
import { option } from './options.js';
import { durationType, enumType, portRangeType, stringType } from './types.js';

export const MetricOptions = {
  PROMETHEUS_PORT: option({
    key: 'metrics.reporter.prom.port',
    type: portRangeType(),
    default: '9249',
    description: 'Port, or range to pick from, where the Prometheus reporter serves metrics.',
  }),
} as const;

export const TraceOptions = {
  OTEL_EXPORTER_ENDPOINT: option({
    key: 'traces.reporter.otel.exporter.endpoint',
    type: stringType(),
    description: 'OpenTelemetry collector URL that spans are exported to; tracing is off when unset.',
  }),
  OTEL_EXPORTER_PROTOCOL: option({
    key: 'traces.reporter.otel.exporter.protocol',
    type: enumType(['gRPC', 'HTTP']),
    default: 'gRPC',
    description: 'Protocol used to talk to the OpenTelemetry collector.',
  }),
  OTEL_EXPORTER_TIMEOUT: option({
    key: 'traces.reporter.otel.exporter.timeout',
    type: durationType(),
    default: 10_000,
    description: 'Longest wait for the collector to accept one export.',
  }),
} as const;

/** Runnel's own; the process entry point hands these to `configureLogging`. */
export const LogOptions = {
  LEVEL: option({
    key: 'log.level',
    type: enumType(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']),
    default: 'info',
    description: 'Least severe log level written.',
  }),
  FORMAT: option({
    key: 'log.format',
    type: enumType(['text', 'json']),
    default: 'text',
    description: 'Log lines as readable text or as one JSON object per line.',
  }),
} as const;
