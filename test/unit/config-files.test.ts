import { problemsOf } from '../support/config-problems.ts';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.ts';
import { generateCertificates, type TestCertificates } from '../support/certificates.ts';


describe('secrets and TLS material read from files', () => {
  let dir: string;
  let certs: TestCertificates;
  const file = async (name: string, contents: string) => {
    const path = join(dir, name);
    await writeFile(path, contents, { mode: 0o600 });
    return path;
  };

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'amqp-relay-config-'));
    certs = await generateCertificates();
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
    await certs?.remove();
  });

  it('takes the broker URL and the API tokens from files, trimmed', async () => {
    const config = loadConfig({
      RABBITMQ_URL_FILE: await file('url', '  amqp://relay:s3cret@broker:5672/vh\n'),
      API_TOKENS_FILE: await file('tokens', 'token-a\ntoken-b,token-c\n\n'),
    });
    expect(config.amqp.urls).toEqual(['amqp://relay:s3cret@broker:5672/vh']);
    expect(config.http.apiTokens).toEqual(['token-a', 'token-b', 'token-c']);
  });

  it('refuses a variable set both directly and through a file', async () => {
    const problems = problemsOf({ API_TOKENS: 'direct', API_TOKENS_FILE: await file('both', 'from-file') });
    expect(problems).toEqual([expect.stringMatching(/^API_TOKENS and API_TOKENS_FILE are both set/)]);
  });

  it('names a missing or empty secret file, and every other bad variable with it', async () => {
    const problems = problemsOf({ RABBITMQ_URL_FILE: join(dir, 'absent'), API_TOKENS_FILE: await file('empty', ' \n'), PORT: 'eighty' });
    expect(problems.map((p) => p.split(' ')[0]).sort()).toEqual(['API_TOKENS_FILE', 'PORT', 'RABBITMQ_URL_FILE']);
    expect(problems.join('\n')).toMatch(/RABBITMQ_URL_FILE cannot be read: ENOENT/);
  });

  it('never shows the contents of a secret file, even when they are invalid', async () => {
    const problems = problemsOf({ RABBITMQ_URL_FILE: await file('bad-url', 'http://relay:hunter2@broker') });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/^RABBITMQ_URL_FILE /);
    expect(problems[0]).not.toContain('hunter2');
    expect(problems[0]).not.toContain('broker');
  });

  it('reads the CA, client certificate and key for an amqps:// URL once, at start', () => {
    const config = loadConfig({
      RABBITMQ_URL: 'amqps://broker.example:5671',
      RABBITMQ_CA_FILE: certs.ca,
      RABBITMQ_CERT_FILE: certs.clientCert,
      RABBITMQ_KEY_FILE: certs.clientKey,
    });
    expect(config.amqp.tls?.ca?.toString()).toContain('BEGIN CERTIFICATE');
    expect(config.amqp.tls?.cert?.toString()).toContain('BEGIN CERTIFICATE');
    expect(config.amqp.tls?.key?.toString()).toContain('PRIVATE KEY');
    expect(JSON.stringify(config)).not.toContain('PRIVATE KEY');
    expect(inspect(config, { depth: 10 })).not.toMatch(/PRIVATE KEY|2d 2d 2d 2d 2d/);
    expect(loadConfig({ RABBITMQ_URL: 'amqps://broker.example' }).amqp.tls).toBeUndefined();
  });

  it('names an unreadable or unusable TLS file by its variable', async () => {
    expect(problemsOf({ RABBITMQ_URL: 'amqps://b', RABBITMQ_CA_FILE: join(dir, 'absent.pem') })).toEqual([
      expect.stringMatching(/^RABBITMQ_CA_FILE cannot be read: ENOENT/),
    ]);
    expect(problemsOf({ RABBITMQ_URL: 'amqps://b', RABBITMQ_CA_FILE: await file('not-pem', 'hello') })).toEqual([
      expect.stringMatching(/^RABBITMQ_CA_FILE is not a PEM certificate/),
    ]);
    const mismatched = problemsOf({ RABBITMQ_URL: 'amqps://b', RABBITMQ_CERT_FILE: certs.clientCert, RABBITMQ_KEY_FILE: certs.serverKey });
    expect(mismatched).toEqual([expect.stringMatching(/^RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE are not a matching/)]);
    expect(mismatched[0]).not.toContain('PRIVATE KEY');
  });

  it('refuses a certificate without its key, and TLS files that no amqps:// URL would use', () => {
    expect(problemsOf({ RABBITMQ_URL: 'amqps://b', RABBITMQ_CERT_FILE: certs.clientCert })).toEqual([
      expect.stringMatching(/^RABBITMQ_CERT_FILE and RABBITMQ_KEY_FILE go together/),
    ]);
    expect(problemsOf({ RABBITMQ_URL: 'amqp://b', RABBITMQ_CA_FILE: certs.ca })).toEqual([
      expect.stringMatching(/^RABBITMQ_CA_FILE set, but no RABBITMQ_URL is amqps:\/\//),
    ]);
  });
});
