// One accepted local TCP connection <-> one tunnel: bytes both ways with backpressure (pipe pauses
// the faster side), the v4 half-close rule (local EOF does not end the tunnel; the pod side does),
// both ends closed on every path, and never a throw or an unhandled 'error' (one connection's
// failure is reported in its result and touches nothing else).

import type {Socket} from 'node:net'

import {type ForwardEndReason, type ForwardHooks, type ForwardResult, PortForwardError, type Tunnel, TunnelLostError, type TunnelOpener} from './types.ts'

export type {ForwardHooks, ForwardResult, TunnelOpener} from './types.ts'

const DEFAULT_HALF_CLOSE_TIMEOUT_MS = 60_000

/**
 * Forwards `socket` through a tunnel from `open` until one side is done. Resolves (never rejects)
 * with the byte counts, why it ended and the error if there was one. By then both the socket and
 * the tunnel are destroyed.
 *
 * Sets `socket.allowHalfOpen = true`: when the local client half-closes, its socket must stay
 * writable so the pod's reply can still be delivered. Also turns Nagle off, as Go does.
 */
export function forwardConnection(socket: Socket, open: TunnelOpener, hooks: ForwardHooks = {}): Promise<ForwardResult> {
  return new Promise<ForwardResult>(resolve => {
    socket.allowHalfOpen = true
    // Go (kubectl) sets TCP_NODELAY on every connection; small interactive writes should not wait.
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
    const controller = new AbortController()
    const halfCloseTimeoutMs = hooks.halfCloseTimeoutMs ?? DEFAULT_HALF_CLOSE_TIMEOUT_MS
    let tunnel: Tunnel | undefined
    let socketError: Error | undefined
    let halfCloseTimer: NodeJS.Timeout | undefined
    let settled = false

    const finish = (reason: ForwardEndReason, error?: Error) => {
      if (settled) return
      settled = true
      if (halfCloseTimer) clearTimeout(halfCloseTimer)
      hooks.signal?.removeEventListener('abort', onAbort)
      socket.destroy()
      tunnel?.destroy()
      // Only still needed while openTunnel is pending; an open tunnel has dropped its listener.
      controller.abort()
      const result: ForwardResult = {bytesIn: tunnel?.bytesIn ?? 0, bytesOut: tunnel?.bytesOut ?? 0, reason}
      if (error) result.error = error
      resolve(result)
    }

    const onAbort = () => finish('aborted', abortReason(hooks.signal))
    if (hooks.signal?.aborted) {
      finish('aborted', abortReason(hooks.signal))
      return
    }
    hooks.signal?.addEventListener('abort', onAbort, {once: true})

    socket.on('error', error => {
      socketError ??= error
    })
    socket.once('close', () => finish('local-closed', socketError))

    open(controller.signal).then(opened => {
      if (settled) {
        opened.destroy()
        return
      }
      tunnel = opened
      attach(opened)
    }, (error: unknown) => {
      finish('open-failed', error instanceof Error ? error : new Error(String(error)))
    })

    function attach(t: Tunnel): void {
      t.on('error', error => finish(reasonFor(error), error))
      t.once('close', () => {
        // A tunnel that ended normally finishes through the socket's 'finish' below, once every
        // byte is written out. Closing any other way (destroyed from outside) ends the connection.
        if (!t.readableEnded) finish('lost', new TunnelLostError('tunnel closed', 0))
      })
      socket.once('finish', () => finish('completed'))
      socket.once('end', () => armHalfCloseTimer(t))
      try {
        hooks.onTunnel?.(t)
      } catch (error) {
        finish('open-failed', error instanceof Error ? error : new Error(String(error)))
        return
      }
      socket.pipe(t)
      t.pipe(socket)
    }

    function armHalfCloseTimer(t: Tunnel): void {
      if (halfCloseTimeoutMs <= 0 || settled) return
      let seen = t.bytesIn
      const check = () => {
           // Progress, or bytes waiting on the local reader, means the pod is not idle.
        if (t.bytesIn !== seen || socket.writableNeedDrain || t.readableLength > 0) {
          seen = t.bytesIn
          halfCloseTimer = setTimeout(check, halfCloseTimeoutMs)
          return
        }
        finish('half-close-timeout')
      }
      halfCloseTimer = setTimeout(check, halfCloseTimeoutMs)
    }
  })
}

function reasonFor(error: Error): ForwardEndReason {
  if (error instanceof PortForwardError) return 'error-channel'
  if (error.name === 'AbortError') return 'aborted'
  return 'lost'
}

function abortReason(signal: AbortSignal | undefined): Error {
  const reason: unknown = signal?.reason
  return reason instanceof Error ? reason : new Error('aborted')
}
