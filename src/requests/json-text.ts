/**
 * JSON text exactly as a client or a worker wrote it. The relay passes it on as text: parsed and
 * serialised again, a number JavaScript cannot hold would change (12345678901234567891 becomes
 * 12345678901234567000, 1e400 becomes null, 1.0 becomes 1 for a worker that tells floats from
 * integers), and only the last of duplicate keys would be left.
 */
export type JsonText = string & { readonly __jsonText: never };

/** The JSON of a value the relay builds itself (never a client's or a worker's). */
export function toJsonText(value: unknown): JsonText {
  return JSON.stringify(value) as JsonText;
}

export const JSON_NULL = toJsonText(null);
