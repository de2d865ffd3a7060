import { describe, expect, it } from 'vitest';
import { type BrokerProbes, planBroker } from '../../src/demo/broker.ts';

function probes(found: { answers?: boolean; local?: boolean; rabbitmqServer?: boolean; docker?: boolean }) {
  const asked: string[] = [];
  const p: BrokerProbes = {
    configuredAnswers: () => (asked.push('answers'), Promise.resolve(found.answers ?? false)),
    configuredIsLocal: () => (asked.push('local'), found.local ?? true),
    rabbitmqServerInstalled: () => (asked.push('rabbitmq-server'), found.rabbitmqServer ?? false),
    dockerAnswers: () => (asked.push('docker'), Promise.resolve(found.docker ?? false)),
  };
  return { p, asked };
}

describe('the broker the demo runs on', () => {
  it('uses the configured broker when it answers, and starts nothing', async () => {
    const { p, asked } = probes({ answers: true, rabbitmqServer: true, docker: true });
    expect(await planBroker(p)).toBe('configured');
    expect(asked).toEqual(['answers']);
  });

  it('never replaces a remote broker that is down with a local one', async () => {
    expect(await planBroker(probes({ local: false, rabbitmqServer: true }).p)).toBe('configured');
  });

  it('starts a private node when rabbitmq-server is installed, without asking Docker', async () => {
    const { p, asked } = probes({ rabbitmqServer: true, docker: true });
    expect(await planBroker(p)).toBe('private-node');
    expect(asked).not.toContain('docker');
  });

  it('falls back to a container, then to nothing', async () => {
    expect(await planBroker(probes({ docker: true }).p)).toBe('container');
    expect(await planBroker(probes({}).p)).toBe('none');
  });
});
