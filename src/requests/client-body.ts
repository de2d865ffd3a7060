/** A client's request body: parsed, for validation and the fields a kind reads, and as the client wrote it. */
export interface ClientBody {
  readonly fields: Readonly<Record<string, unknown>>;
  /** The same body as UTF-8 JSON, byte for byte as sent (re-encoded only from another charset; no byte-order mark). */
  readonly json: Buffer;
}

/** A body that is only fields (none sent: `{}`; a benchmark's or a test's own). */
export function bodyOfFields(fields: Readonly<Record<string, unknown>>): ClientBody {
  return { fields, json: Buffer.from(JSON.stringify(fields)) };
}

const OPENING_BRACE = 0x7b;

/**
 * `{"<name>": <value>, ...the client's fields}` as JSON: the field first, then the client's own
 * text from its opening brace on, untouched. A client that sent a field of that name keeps its
 * own (as an object spread would), and its body goes on as it is: never two fields of one name.
 */
export function withLeadingField(name: string, value: string, body: ClientBody): Buffer {
  if (Object.hasOwn(body.fields, name)) return body.json;
  const field = `{${JSON.stringify(name)}:${JSON.stringify(value)}`;
  if (Object.keys(body.fields).length === 0) return Buffer.from(`${field}}`);
  const rest = body.json.subarray(body.json.indexOf(OPENING_BRACE) + 1);
  return Buffer.concat([Buffer.from(`${field},`), rest]);
}
