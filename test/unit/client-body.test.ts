import { describe, expect, it } from 'vitest';
import { bodyOfFields, type ClientBody, withLeadingField } from '../../src/requests/client-body.ts';

function sent(text: string): ClientBody {
  return { fields: JSON.parse(text), json: Buffer.from(text) };
}

describe('a field put in front of a client body', () => {
  it("comes first, followed by the client's own text untouched", () => {
    const text = ' {  "n": 12345678901234567891, "f": 1.0 }\n';
    expect(withLeadingField('type', 'ping', sent(text)).toString()).toBe('{"type":"ping",  "n": 12345678901234567891, "f": 1.0 }\n');
  });

  it('is all there is for an empty body, however it is spaced', () => {
    expect(withLeadingField('type', 'ping', sent('{ }')).toString()).toBe('{"type":"ping"}');
    expect(withLeadingField('type', 'ping', bodyOfFields({})).toString()).toBe('{"type":"ping"}');
  });

  it("gives way to the client's own field of that name: its body goes on as it is, never with two fields of one name", () => {
    const text = '{"a": 1, "type": "custom"}';
    expect(withLeadingField('type', 'ping', sent(text)).toString()).toBe(text);
    // A "type" inherited from the prototype is not the client's.
    expect(withLeadingField('type', 'ping', sent('{"constructor": 1}')).toString()).toBe('{"type":"ping","constructor": 1}');
  });

  it('is JSON-escaped, name and value', () => {
    expect(JSON.parse(withLeadingField('t"y', 'p\\ing', sent('{"a":1}')).toString())).toEqual({ 't"y': 'p\\ing', a: 1 });
  });
});
