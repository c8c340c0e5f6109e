// The one polling helper of the tests: wait for a state by asking again, bounded, and fail naming
// what never happened (never hang until the runner's timeout, never sleep a fixed time instead).
// And `within`, which bounds a wait for an event the same way.

export interface PollOptions {
  /** How long to keep asking (default 20 s); the failure names `what`. */
  timeoutMs?: number
  /** Pause between tries, each try starting after the previous one settled (default 10 ms). */
  intervalMs?: number
  /** Treat a thrown error as "not yet" and report the last one on timeout (default: it fails at once). */
  retryErrors?: boolean
}

/**
 * Resolves with the first truthy value of `check` (sync or async). `options` may be just the
 * timeout in milliseconds.
 */
export async function until<T>(
  check: () => T | undefined | null | false | 0 | '' | Promise<T | undefined | null | false | 0 | ''>,
  what: string,
  options: PollOptions | number = {},
): Promise<T> {
  const {intervalMs = 10, retryErrors = false, timeoutMs = 20_000} = typeof options === 'number' ? {timeoutMs: options} : options
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value) return value
    } catch (error) {
      if (!retryErrors) throw error
      lastError = error
    }
    if (Date.now() >= deadline) {
      const last = lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last}`)
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}

/** The promise's value, or a failure naming `what` if it has not settled within `timeoutMs`. */
export async function within<T>(promise: Promise<T>, what: string, timeoutMs = 20_000): Promise<T> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs)
  })
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}
