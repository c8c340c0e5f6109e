// Durations as kubectl takes them (--request-timeout, --pod-running-timeout): Go's
// time.ParseDuration units, or a bare integer meaning seconds; `0` means no timeout.

/** A week: how long kubectl waits when its --timeout means "no limit" (delete --wait with 0, wait with a negative one). */
export const WEEK_MS = 168 * 3_600_000

const UNITS: Record<string, number> = {h: 3_600_000, m: 60_000, ms: 1, ns: 1e-6, s: 1000, us: 1e-3, µs: 1e-3}

/** Parses `30s`, `1m30s`, `1.5h`, `250ms` or `10` (seconds) into milliseconds; throws on anything else. */
export function parseDuration(input: string): number {
  const text = input.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  if (text === '0') return 0
  const re = /(\d+(?:\.\d*)?|\.\d+)(ms|us|µs|ns|h|m|s)/gy
  let total = 0
  let matched = 0
  let m: RegExpExecArray | null
  while ((m = re.exec(text)) !== null) {
    total += Number(m[1]) * UNITS[m[2]]
    matched = re.lastIndex
  }
  if (matched === 0 || matched !== text.length) {
    throw new Error(`invalid duration "${input}": use a number of seconds or a value with a unit, e.g. 30s, 1m, 2h`)
  }
  return Math.round(total)
}
