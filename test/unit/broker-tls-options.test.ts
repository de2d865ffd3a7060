import { describe, expect, it } from 'vitest';
import { tlsSocketOptions } from '../../src/actors/broker/tls.ts';

const material = { ca: Buffer.from('ca'), cert: Buffer.from('cert'), key: Buffer.from('key') };

describe('TLS socket options for a broker URL', () => {
  it('checks the server certificate against the host of each amqps:// URL', () => {
    expect(tlsSocketOptions('amqps://u:p@rabbit-0.internal:5671/vh', material)).toEqual({ ...material, servername: 'rabbit-0.internal' });
    expect(tlsSocketOptions('amqps://rabbit-1.internal', undefined)).toEqual({ servername: 'rabbit-1.internal' });
  });

  it('sends no server name for an IP address (Node then checks the certificate against the address)', () => {
    expect(tlsSocketOptions('amqps://127.0.0.1:5671', material)).toEqual(material);
    expect(tlsSocketOptions('amqps://[::1]:5671', undefined)).toEqual({});
  });

  it('never turns certificate verification off, and leaves plain amqp:// alone', () => {
    expect(tlsSocketOptions('amqps://h', material)).not.toHaveProperty('rejectUnauthorized');
    expect(tlsSocketOptions('amqp://h', material)).toEqual({});
  });
});
