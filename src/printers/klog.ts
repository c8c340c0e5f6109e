// klog's header line, as kubectl prints its warnings on stderr (`W1128 04:09:01.422000   4242 helpers.go:703] ...`).

/** One warning line: severity W, UTC month-day and time with microseconds, pid, file:line, message. */
export function klogWarning(message: string, file: string, now = new Date()): string {
  const pad = (n: number, w = 2) => String(n).padStart(w, '0')
  const stamp = `${pad(now.getUTCMonth() + 1)}${pad(now.getUTCDate())} ${pad(now.getUTCHours())}:${pad(now.getUTCMinutes())}:${pad(now.getUTCSeconds())}.${pad(now.getUTCMilliseconds() * 1000, 6)}`
  return `W${stamp} ${String(process.pid).padStart(7)} ${file}] ${message}`
}
