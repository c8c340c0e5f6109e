// Keeps the forwarder's resident memory close to what it holds, for `svc port-forward` only.
//
// Every chunk that crosses the forwarder passes through a few short-lived Buffers (the socket's
// read, the tunnel's frame, the WebSocket's message, the TLS record). Their memory lives outside
// V8's heap; V8 frees it when it collects the small objects that own it, and it starts such a
// collection only after tens of MiB of that memory have piled up, because each owner weighs a few
// bytes in its young generation. Measured on a 256 MiB echo through one connection: up to 67 MiB of
// dead Buffers waiting, a peak RSS of about 150 MiB. A young-generation collection (about a
// millisecond, the same kind V8 runs on its own) whenever more than BUFFER_GARBAGE_LIMIT is held
// brings the peak to about 105 MiB at the same throughput.
//
// V8 offers no setting for that threshold after start, so the forwarder asks for a collection
// itself: `--expose-gc` set at run time installs gc() in contexts created afterwards, and a fresh
// vm context hands it over. Short commands never call this.
//
// The young generation is also kept at its initial size (`--semi-space-growth-factor=1`, which,
// unlike the semi-space size limits, takes effect when set at run time). Under a burst of
// connections V8 grows it to 64 MiB and never gives that back, although almost nothing in it
// survives: measured on 4,000 churned connections, RSS 3 s after the last close fell from 155 to
// 118 MiB (idle 76), the peak from 156 to 122 MiB, at the same throughput and connection rate.

import {setFlagsFromString} from 'node:v8'
import {runInNewContext} from 'node:vm'

/** Buffer memory (process.memoryUsage().arrayBuffers) above which a collection is asked for. */
export const BUFFER_GARBAGE_LIMIT = 8 * 1024 * 1024
const CHECK_INTERVAL_MS = 50

type GcFunction = (options?: {type?: 'major' | 'minor'}) => void

/**
 * Keeps the young generation at its size, and starts the check; returns a function that stops the
 * check. The timer never keeps the process alive.
 */
export function limitBufferGarbage(limit = BUFFER_GARBAGE_LIMIT, intervalMs = CHECK_INTERVAL_MS): () => void {
  setFlagsFromString('--expose-gc')
  setFlagsFromString('--semi-space-growth-factor=1')
  const gc = runInNewContext('gc') as GcFunction | undefined
  if (typeof gc !== 'function') return () => {}
  const timer = setInterval(() => {
    if (process.memoryUsage().arrayBuffers > limit) gc({type: 'minor'})
  }, intervalMs)
  timer.unref()
  return () => clearInterval(timer)
}
