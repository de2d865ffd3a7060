// OpenTelemetry for amqp-relay: its spans exported over OTLP/HTTP. Loaded before the relay:
//
//   OTEL_ENABLED=true node --import ./deploy/otel/preload.mjs dist/main.js
//
// Configured by the standard OTEL_* variables: OTEL_EXPORTER_OTLP_ENDPOINT (default
// http://localhost:4318; spans go to its /v1/traces), OTEL_EXPORTER_OTLP_HEADERS, OTEL_SERVICE_NAME,
// OTEL_TRACES_SAMPLER / OTEL_TRACES_SAMPLER_ARG, OTEL_BSP_SCHEDULE_DELAY, OTEL_PROPAGATORS.
// The packages it imports are not installed by `npm ci --omit=dev`: a deployment that wants
// this exporter installs @opentelemetry/sdk-node and @opentelemetry/exporter-trace-otlp-http
// (0.2xx, the line for Node 20) itself. See docs/observability.md, "Tracing".
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { NodeSDK } from '@opentelemetry/sdk-node';

const sdk = new NodeSDK({
  serviceName: process.env.OTEL_SERVICE_NAME ?? 'amqp-relay',
  traceExporter: new OTLPTraceExporter(),
  // Traces only: the relay's metrics are Prometheus's on /metrics, its logs pino's on stdout.
  metricReaders: [],
  logRecordProcessors: [],
});
sdk.start();
