import { problemsOf } from '../support/config-problems.ts';
import { describe, expect, it } from 'vitest';
import { DEFAULTS, loadConfig, redactUrl } from '../../src/config/load-config.ts';


describe('configuration', () => {
  it('starts from the contract defaults', () => {
    const config = loadConfig({});
    expect(config.amqp.urls).toEqual([DEFAULTS.RABBITMQ_URL]);
    expect(config.queues.crawlRequest).toBe('crawling_request_queue');
    expect(config.queues.crawlResponse).toBe('crawling_response_queue');
    expect(config.queues.recipe).toBe('recipe_analysis_request');
    expect(config.queues.image).toBe('recipe_analysis_request');
    expect(config.timeouts).toEqual({ aiMs: 100_000, crawlMs: 30_000 });
    expect(config.amqp.declareQueues).toBe(true);
    expect(config.resultTtlMs).toBe(600_000);
    expect(config.http).toMatchObject({ port: 3000, host: '0.0.0.0', maxBodyBytes: 1_048_576, apiTokens: [] });
    expect(config.shutdownTimeoutMs).toBe(30_000);
    expect(config.inspect).toBe('off');
    expect(config.amqp.maxBufferedRequests).toBe(10_000);
    expect(config.shutdownDelayMs).toBe(0);
    expect(config.admission).toEqual({ maxInFlightRequests: 10_000, maxInFlightBytes: 268_435_456 });
    expect(config.resultStoreMax).toBe(100_000);
    expect(config.http).toMatchObject({ headersTimeoutMs: 10_000, requestTimeoutMs: 60_000 });
    expect(config.crawler.allowPrivate).toBe(false);
  });

  it('keeps the reply queue at least 60 s longer than the largest deadline by default', () => {
    expect(loadConfig({}).amqp.replyQueueExpiresMs).toBe(100_000 + 60_000);
    expect(loadConfig({ AI_TIMEOUT_MS: '5000', CRAWL_TIMEOUT_MS: '90000' }).amqp.replyQueueExpiresMs).toBe(90_000 + 60_000);
    expect(loadConfig({ REPLY_QUEUE_EXPIRES_MS: '100000' }).amqp.replyQueueExpiresMs).toBe(100_000);
  });

  it('refuses a reply queue that would expire before the largest deadline', () => {
    const problems = problemsOf({ REPLY_QUEUE_EXPIRES_MS: '60000' });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^REPLY_QUEUE_EXPIRES_MS .*100000/);
    expect(problemsOf({ CRAWL_TIMEOUT_MS: '200000', REPLY_QUEUE_EXPIRES_MS: '150000' })[0]).toMatch(/^REPLY_QUEUE_EXPIRES_MS/);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(problemsOf({ HTTP_HEADERS_TIMEOUT_MS: '5000', HTTP_REQUEST_TIMEOUT_MS: '4000' })[0]).toMatch(/^HTTP_HEADERS_TIMEOUT_MS/);
  });

  it('reads the shutdown delay, admission limits, result store bound and crawler switch', () => {
    const config = loadConfig({
      SHUTDOWN_DELAY_MS: '5000',
      MAX_IN_FLIGHT_REQUESTS: '7',
      MAX_IN_FLIGHT_BYTES: '1024',
      RESULT_STORE_MAX: '3',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      HTTP_REQUEST_TIMEOUT_MS: '2000',
      CRAWLER_ALLOW_PRIVATE: 'true',
    });
    expect(config.shutdownDelayMs).toBe(5_000);
    expect(config.admission).toEqual({ maxInFlightRequests: 7, maxInFlightBytes: 1024 });
    expect(config.resultStoreMax).toBe(3);
    expect(config.http).toMatchObject({ headersTimeoutMs: 1_000, requestTimeoutMs: 2_000 });
    expect(config.crawler.allowPrivate).toBe(true);
    expect(problemsOf({ MAX_IN_FLIGHT_BYTES: '0', SHUTDOWN_DELAY_MS: '-1' }).map((p) => p.split(' ')[0]).sort()).toEqual(['MAX_IN_FLIGHT_BYTES', 'SHUTDOWN_DELAY_MS']);
  });

  it('names the reply queue after the instance, and prefixes nothing else', () => {
    const config = loadConfig({ RELAY_INSTANCE_ID: 'r1' });
    expect(config.instanceId).toBe('r1');
    expect(config.queues.reply).toBe('amqp-relay.reply.r1');
  });

  it('gives every instance its own id when none is set', () => {
    expect(loadConfig({}).instanceId).not.toBe(loadConfig({}).instanceId);
  });

  it('reads a comma-separated cluster list and the image queue fallback', () => {
    const config = loadConfig({ RABBITMQ_URL: 'amqp://a:5672, amqp://b:5672', AI_QUEUE_NAME: 'ai', AI_IMAGE_QUEUE_NAME: 'img' });
    expect(config.amqp.urls).toEqual(['amqp://a:5672', 'amqp://b:5672']);
    expect(config.queues.image).toBe('img');
  });

  it('accepts the usual spellings of booleans and the inspector targets', () => {
    expect(loadConfig({ RABBITMQ_DECLARE_QUEUES: 'false' }).amqp.declareQueues).toBe(false);
    expect(loadConfig({ RABBITMQ_DECLARE_QUEUES: 'TRUE' }).amqp.declareQueues).toBe(true);
    expect(loadConfig({ XSTATE_INSPECT: 'live' }).inspect).toBe('live');
    expect(loadConfig({ XSTATE_INSPECT: 'ws://localhost:8080' }).inspect).toBe('ws://localhost:8080');
    expect(loadConfig({ API_TOKENS: 'a, b,' }).http.apiTokens).toEqual(['a', 'b']);
  });

  it('names every bad variable at once', () => {
    const problems = problemsOf({
      RABBITMQ_URL: 'http://not-amqp',
      AI_TIMEOUT_MS: '-5',
      PORT: 'eighty',
      RABBITMQ_DECLARE_QUEUES: 'maybe',
      AI_QUEUE_NAME: '   ',
      XSTATE_INSPECT: 'sometimes',
    });
    const named = problems.map((p) => p.split(' ')[0]);
    expect(named.sort()).toEqual(['AI_QUEUE_NAME', 'AI_TIMEOUT_MS', 'PORT', 'RABBITMQ_DECLARE_QUEUES', 'RABBITMQ_URL', 'XSTATE_INSPECT']);
  });

  it('rejects fractional and out-of-range numbers', () => {
    expect(problemsOf({ CRAWL_TIMEOUT_MS: '1.5' })[0]).toMatch(/^CRAWL_TIMEOUT_MS/);
    expect(problemsOf({ PORT: '70000' })[0]).toMatch(/^PORT/);
  });

  it('lists the allowed values of a variable that takes one of a few', () => {
    expect([...problemsOf({ LOG_LEVEL: 'loud', RABBITMQ_QUEUE_TYPE: 'stream' })].sort()).toEqual([
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'RABBITMQ_QUEUE_TYPE must be one of classic, quorum (got "stream")',
    ]);
  });

  it('never shows a broker password, in errors or in logged URLs', () => {
    const problems = problemsOf({ RABBITMQ_URL: 'amqp://user:s3cret@host:5672,ftp://user:s3cret@x' });
    expect(problems.join(' ')).not.toContain('s3cret');
    expect(redactUrl('amqp://user:s3cret@host:5672/vh')).toBe('amqp://***:***@host:5672/vh');
  });

  it('names a malformed broker URL and its problem without echoing it (a password containing /)', () => {
    for (const value of ['amqp://u:pa/ss@host', 'amqp://u:pa/ss@host:5672/vh', 'amqp://ok@a:5672,amqp://u:pa/ss@host']) {
      const problems = problemsOf({ RABBITMQ_URL: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toMatch(/^RABBITMQ_URL .*percent-encoded/);
      for (const part of ['pa/ss', 'u:pa', 'host', 'ss@']) expect(problems[0]).not.toContain(part);
    }
  });
});
