// Fail-over when a tunnel is opened: a pod that vanished or stopped between the watch and the
// upgrade has been sent nothing yet, so another pod may take the connection. One loop for the
// port-forward session (which asks its tracker for the next pod) and the proxy (which asks the
// connection's route).

import type {Backend} from './balancer.ts'
import {isPodUnreachable} from './lifecycle.ts'
import type {Tunnel} from './types.ts'

/** Tries after the first one before the connection fails with the last pod's error. */
export const FAILOVER_RETRIES = 3

export interface FailoverOptions {
  /** The pod to try first. */
  first: Backend
  /** Another pod avoiding `exclude` (the pods tried so far), or undefined when there is none. */
  next: (exclude: ReadonlySet<string>) => Backend | undefined | Promise<Backend | undefined>
  open: (backend: Backend) => Promise<Tunnel>
  /** Told each pod before its tunnel is opened. */
  onBackend?: (backend: Backend) => void
  signal: AbortSignal
}

/**
 * Opens a tunnel to `first`; when that pod is unreachable (isPodUnreachable) and the connection
 * is not aborted, tries the pod `next` gives, up to FAILOVER_RETRIES more times. Throws the last
 * open error when no other pod is left (or what `next` throws).
 */
export async function openWithFailover(o: FailoverOptions): Promise<{backend: Backend; tunnel: Tunnel}> {
  const exclude = new Set<string>()
  let backend = o.first
  for (let attempt = 0; ; attempt++) {
    o.onBackend?.(backend)
    try {
      return {backend, tunnel: await o.open(backend)}
    } catch (error) {
      if (o.signal.aborted || attempt >= FAILOVER_RETRIES || !isPodUnreachable(error)) throw error
      exclude.add(backend.pod)
      const next = await o.next(exclude)
      if (!next) throw error
      backend = next
    }
  }
}
