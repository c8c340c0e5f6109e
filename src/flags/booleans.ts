// kubectl's boolean flags take `--flag=true|false` (pflag); oclif's take `--flag` / `--no-flag`.
// Commands rewrite the kubectl spelling before parsing so both work.

/** Rewrites `--name=false` to `--no-name` and `--name=true` to `--name` for the given flags. */
export function normalizeBooleanFlags(argv: string[], names: readonly string[]): string[] {
  const out: string[] = []
  for (const arg of argv) {
    if (arg === '--') {
      out.push(...argv.slice(argv.indexOf(arg)))
      return out
    }
    const m = /^--([a-z-]+)=(true|false|TRUE|FALSE|True|False|1|0|t|f|T|F)$/.exec(arg)
    if (m && names.includes(m[1])) {
      const on = ['true', 'TRUE', 'True', '1', 't', 'T'].includes(m[2])
      out.push(on ? `--${m[1]}` : `--no-${m[1]}`)
      continue
    }
    out.push(arg)
  }
  return out
}
