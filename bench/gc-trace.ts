/** The sum of one numeric field (`name=value`) over lines of V8's `--trace-gc-nvp` output. */
export function sumGcField(lines: readonly string[], name: string): number {
  const field = new RegExp(`\\b${name}=([\\d.]+)`);
  return lines.reduce((total, line) => total + Number(field.exec(line)?.[1] ?? 0), 0);
}
