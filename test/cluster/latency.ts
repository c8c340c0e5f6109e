/** Artificial latency applied to every response and every stream frame (fault injection). */
export class Latency {
  #ms = 0

  get ms(): number {
    return this.#ms
  }

  set(ms: number): void {
    if (!Number.isFinite(ms) || ms < 0) throw new RangeError(`latency must be a non-negative number of milliseconds, got ${ms}`)
    this.#ms = ms
  }

  /** Resolves after the configured latency (at once when it is 0). */
  wait(): Promise<void> {
    const ms = this.#ms
    if (ms === 0) return Promise.resolve()
    return new Promise((resolve) => {
      const t = setTimeout(resolve, ms)
      t.unref?.()
    })
  }
}
