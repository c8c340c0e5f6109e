// kubectl's flag spellings that oclif does not parse, rewritten before the one parse every command
// gets (KubeCommand.init): pflag's `--bool=true|false`, pflag's NoOptDefVal (a bare `--dry-run`),
// and pflag's "the last value of a repeated flag wins". Nothing after `--` is touched.

/** The value a bare flag stands for (pflag's NoOptDefVal), by flag name, in every command that has the flag. */
export const NO_OPT_DEFAULTS: Readonly<Record<string, string>> = {cascade: 'background', 'dry-run': 'unchanged', validate: 'strict'}

/** What the rewrites need to know of a flag (a subset of oclif's flag definition). */
export interface FlagShape {
  allowNo?: boolean
  char?: string
  multiple?: boolean
  type: string
}

const BOOL_VALUE = /^--([a-z0-9-]+)=(true|false|TRUE|FALSE|True|False|1|0|t|f|T|F)$/

/**
 * Rewrites `--name=true` to `--name`, and `--name=false` to `--no-name` for the flags in
 * `negatable` (those that default to true) or to nothing for the others (false is their default).
 */
export function normalizeBooleanFlags(argv: readonly string[], names: readonly string[], negatable: readonly string[] = []): string[] {
  const out: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') {
      out.push(...argv.slice(i))
      break
    }
    const m = BOOL_VALUE.exec(arg)
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

/** Rewrites a bare `--flag` to `--flag=<default>` for the flags in `defaults` (keyed `--name`), as pflag's NoOptDefVal does. */
export function expandNoOptFlags(argv: readonly string[], defaults: Readonly<Record<string, string>>): string[] {
  const out: string[] = []
  let afterDashDash = false
  for (const arg of argv) {
    if (arg === '--') afterDashDash = true
    out.push(!afterDashDash && defaults[arg] !== undefined ? `${arg}=${defaults[arg]}` : arg)
  }
  return out
}

/**
 * pflag lets a repeated single-valued flag override the earlier one (`--dry-run=none --dry-run=client`
 * is client); oclif refuses repeats. Drops every occurrence but the last of each single-valued flag.
 */
export function lastFlagWins(argv: readonly string[], flags: Readonly<Record<string, FlagShape>>): string[] {
  const byToken = new Map<string, string>()
  for (const [name, f] of Object.entries(flags)) {
    if (f.multiple) continue
    byToken.set(`--${name}`, name)
    if (f.char) byToken.set(`-${f.char}`, name)
  }
  const takesValue = (name: string) => flags[name].type !== 'boolean'
  // Find each occurrence: [start index, token count, flag name].
  const seen: Array<[number, number, string]> = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') break
    const eq = arg.indexOf('=')
    const token = eq > 0 ? arg.slice(0, eq) : arg
    const name = byToken.get(token)
    if (!name) continue
    const count = eq > 0 || !takesValue(name) ? 1 : 2
    seen.push([i, count, name])
    i += count - 1
  }
  const last = new Map<string, number>()
  for (const [i, , name] of seen) last.set(name, i)
  const drop = new Set<number>()
  for (const [i, count, name] of seen) if (last.get(name) !== i) for (let k = 0; k < count; k++) drop.add(i + k)
  return argv.filter((_, i) => !drop.has(i))
}

/**
 * Every rewrite a command's argv gets, from its flag definitions alone: boolean flags take
 * `=true|false` (a flag that defaults to true, `allowNo`, becomes `--no-NAME`), flags with a
 * NoOptDefVal take a bare spelling, and a repeated single-valued flag keeps its last value.
 */
export function kubectlArgv(argv: readonly string[], flags: Readonly<Record<string, FlagShape>>): string[] {
  const booleans = Object.entries(flags).filter(([, f]) => f.type === 'boolean')
  const names = booleans.filter(([, f]) => !f.allowNo).map(([name]) => name)
  const negatable = booleans.filter(([, f]) => f.allowNo).map(([name]) => name)
  const noOpt = Object.fromEntries(Object.entries(NO_OPT_DEFAULTS).filter(([name]) => flags[name] !== undefined).map(([name, value]) => [`--${name}`, value]))
  return lastFlagWins(expandNoOptFlags(normalizeBooleanFlags(argv, names, negatable), noOpt), flags)
}

/**
 * oclif's operands put back in the order they were typed. oclif sorts them by the first index of
 * each value in argv, so a value typed twice ends up next to its first copy
 * (`svc/a :80 svc/b :80` came back as `svc/a :80 :80 svc/b`); each copy is placed at its own
 * position here.
 */
export function operandsInOrder(operands: readonly string[], argv: readonly string[]): string[] {
  const left = new Map<string, number>()
  for (const operand of operands) left.set(operand, (left.get(operand) ?? 0) + 1)
  const out: string[] = []
  for (const arg of argv) {
    const count = left.get(arg) ?? 0
    if (count === 0) continue
    left.set(arg, count - 1)
    out.push(arg)
  }
  return out.length === operands.length ? out : [...operands]
}

/**
 * Every value given to a flag, in order, up to `--` (`-n a -n b`, `-nb`, `-n=b`, `--namespace b`,
 * `--namespace=b`): for a command that takes a single-valued global flag several times.
 */
export function flagValues(argv: readonly string[], char: string, name: string): string[] {
  const values: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--') break
    if (arg === `-${char}` || arg === `--${name}`) {
      if (i + 1 < argv.length) values.push(argv[++i])
    } else if (arg.startsWith(`--${name}=`)) {
      values.push(arg.slice(name.length + 3))
    } else if (arg.startsWith(`-${char}`) && !arg.startsWith('--')) {
      values.push(arg.slice(arg[2] === '=' ? 3 : 2))
    }
  }
  return values
}
