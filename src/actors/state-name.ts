/** The innermost state name of a snapshot value: `{ online: 'connected' }` → `connected`. */
export function leafState(value: unknown): string {
  let v = value;
  while (v !== null && typeof v === 'object') {
    const first = Object.keys(v)[0];
    if (first === undefined) return '?';
    const next = (v as Record<string, unknown>)[first];
    v = typeof next === 'string' || (next !== null && typeof next === 'object') ? next : first;
  }
  return typeof v === 'string' ? v : '?';
}
