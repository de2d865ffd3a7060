/** The full state of a snapshot value: `{ online: 'connected' }` → `online.connected`. */
export function statePath(value: unknown): string {
  let path = '';
  let v = value;
  while (v !== null && typeof v === 'object') {
    const first = Object.keys(v)[0];
    if (first === undefined) break;
    path += (path ? '.' : '') + first;
    v = (v as Record<string, unknown>)[first];
  }
  return typeof v === 'string' ? path + (path ? '.' : '') + v : path || '?';
}

/** The innermost state name: `{ online: 'connected' }` → `connected`. */
export function leafState(value: unknown): string {
  const path = statePath(value);
  return path.slice(path.lastIndexOf('.') + 1);
}
