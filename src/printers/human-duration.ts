// Ages as kubectl prints them: apimachinery's duration.HumanDuration, the AGE column of `get` and
// the Age column of describe's events table. Every value is a truncated integer; a year is 365 days.

/** HumanDuration of a duration in milliseconds. */
export function humanDuration(ms: number): string {
  const seconds = Math.trunc(ms / 1000)
  if (seconds < -1) return '<invalid>'
  if (seconds < 0) return '0s'
  if (seconds < 60 * 2) return `${seconds}s`
  const minutes = Math.trunc(ms / 60_000)
  if (minutes < 10) {
    const s = seconds % 60
    return s === 0 ? `${minutes}m` : `${minutes}m${s}s`
  }
  if (minutes < 60 * 3) return `${minutes}m`
  const hours = Math.trunc(ms / 3_600_000)
  if (hours < 8) {
    const m = minutes % 60
    return m === 0 ? `${hours}h` : `${hours}h${m}m`
  }
  if (hours < 48) return `${hours}h`
  if (hours < 24 * 8) {
    const h = hours % 24
    return h === 0 ? `${Math.trunc(hours / 24)}d` : `${Math.trunc(hours / 24)}d${h}h`
  }
  if (hours < 24 * 365 * 2) return `${Math.trunc(hours / 24)}d`
  if (hours < 24 * 365 * 8) {
    const dy = Math.trunc(hours / 24) % 365
    const years = Math.trunc(hours / 24 / 365)
    return dy === 0 ? `${years}y` : `${years}y${dy}d`
  }
  return `${Math.trunc(hours / 24 / 365)}y`
}

/**
 * kubectl's translateTimestampSince: `<unknown>` for a missing or zero timestamp, otherwise the
 * HumanDuration from the timestamp to now.
 */
export function ageSince(timestamp: string | null | undefined, now: number): string {
  if (!timestamp) return '<unknown>'
  const t = Date.parse(timestamp)
  if (Number.isNaN(t) || t <= Date.parse('0001-01-01T00:00:00Z')) return '<unknown>'
  return humanDuration(now - t)
}

/**
 * The clock for ages. SVC_NOW (an RFC 3339 time or epoch milliseconds) freezes it, so that tests
 * can assert exact AGE columns; otherwise it is the real time.
 */
export function currentTime(env: Record<string, string | undefined> = process.env): number {
  const frozen = env.SVC_NOW
  if (frozen) {
    const value = /^\d+$/.test(frozen) ? Number(frozen) : Date.parse(frozen)
    if (!Number.isNaN(value)) return value
  }
  return Date.now()
}
