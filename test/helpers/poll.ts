// The one polling helper of the tests: wait for a state by asking again, bounded, and fail naming
// what never happened (never hang until the runner's timeout, never sleep a fixed time instead).

export interface PollOptions {
  /** How long to keep asking (default 20 s); the failure names `what`. */
  timeoutMs?: number
  /** Pause between tries, each try starting after the previous one settled (default 20 ms). */
  intervalMs?: number
  /** Treat a thrown error as "not yet" and report the last one on timeout (default: it fails at once). */
  retryErrors?: boolean
}

/**
 * Resolves with the first value of `check` that is not undefined, null or false. The check may be
 * synchronous or return a promise.
 */
export async function until<T>(
  check: () => T | undefined | null | false | Promise<T | undefined | null | false>,
  what: string,
  options: PollOptions = {},
): Promise<T> {
  const {intervalMs = 20, retryErrors = false, timeoutMs = 20_000} = options
  const deadline = Date.now() + timeoutMs
  let lastError: unknown
  for (;;) {
    try {
      const value = await check()
      if (value !== undefined && value !== null && value !== false) return value
    } catch (error) {
      if (!retryErrors) throw error
      lastError = error
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${lastError === undefined ? '' : ` (last error: ${lastError instanceof Error ? lastError.message : String(lastError)})`}`)
    }
    await new Promise(resolve => setTimeout(resolve, intervalMs))
  }
}
