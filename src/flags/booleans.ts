// kubectl's boolean flags take `--flag=true|false` (pflag); oclif's take `--flag` (and `--no-flag`
// where a flag defaults to true). Commands rewrite the kubectl spelling before parsing so both work.

/**
 * Rewrites `--name=true` to `--name`, and `--name=false` to `--no-name` for the flags in
 * `negatable` (those that default to true) or to nothing for the others (false is their default).
 */
export function normalizeBooleanFlags(argv: string[], names: readonly string[], negatable: readonly string[] = []): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    const m = /^--([a-z-]+)=(true|false|TRUE|FALSE|True|False|1|0|t|f|T|F)$/.exec(arg)
    if (m && (names.includes(m[1]) || negatable.includes(m[1]))) {
      const on = ['true', 'TRUE', 'True', '1', 't', 'T'].includes(m[2])
      if (on) out.push(`--${m[1]}`)
      else if (negatable.includes(m[1])) out.push(`--no-${m[1]}`)
      continue
    }
    out.push(arg)
  }
  return out
}
