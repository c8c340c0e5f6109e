// One accepted local TCP connection <-> one tunnel: bytes both ways with backpressure, the
// lifecycle rules of lifecycle.ts (half-close per transport, immediate release of a client that
// sent nothing, the linger), both ends closed on every path, and never a throw or an unhandled
// 'error' (one connection's failure is reported in its result and touches nothing else).
//
// Every listener on the local socket is attached the moment the connection is accepted, before the
// tunnel is open: a client that connects and closes at once (`nc -z`) has its EOF seen, not lost
// while the upgrade is in flight. What the client sends before the tunnel is open is held (at most
// one high-water mark; the socket is paused beyond it) and written first.

import type {Socket} from 'node:net'

import {DEFAULT_HALF_CLOSE_TIMEOUT_MS, onLocalEnd} from './lifecycle.ts'
import {type ForwardEndReason, type ForwardHooks, type ForwardResult, PortForwardError, type Tunnel, TunnelLostError, type TunnelOpener} from './types.ts'

export type {ForwardHooks, ForwardResult, TunnelOpener} from './types.ts'

/** Why a pending tunnel open is cancelled: the connection was released before the tunnel opened. */
const RELEASED = new DOMException('the local connection was released', 'AbortError')

/** How long a client that keeps writing after our FIN may keep its connection (see 'finish'). */
const CLOSING_MAX_MS = 30_000

/** Bytes read from the client before the tunnel is open, beyond which the socket is paused. */
const EARLY_HIGH_WATER_MARK = 64 * 1024

/**
 * Forwards `socket` through a tunnel from `open` until one side is done. Resolves (never rejects)
 * with the byte counts, why it ended and the error if there was one. By then both the socket and
 * the tunnel are destroyed, and every timer of the connection is cleared.
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
    const lingerMs = hooks.halfCloseTimeoutMs ?? DEFAULT_HALF_CLOSE_TIMEOUT_MS
    let tunnel: Tunnel | undefined
    let socketError: Error | undefined
    let lingerTimer: NodeJS.Timeout | undefined
    let settled = false
    let localEnded = false
    let bytesFromClient = 0
    /** Our FIN is out and the result is decided: input is dropped until the client ends its side. */
    let closing: (() => void) | undefined
    let closingTimer: NodeJS.Timeout | undefined
    let early: Buffer[] = []
    let earlyBytes = 0

    const finish = (reason: ForwardEndReason, error?: Error) => {
      if (settled) return
      settled = true
      if (lingerTimer) clearTimeout(lingerTimer)
      if (closingTimer) clearTimeout(closingTimer)
      hooks.signal?.removeEventListener('abort', onAbort)
      early = []
      socket.destroy()
      tunnel?.destroy()
      // Only still needed while openTunnel is pending; an open tunnel has dropped its listener.
      // One reason for all: abort() would otherwise build a DOMException (with a stack) each time.
      controller.abort(RELEASED)
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
    // A write to a client that has fully closed fails (reset, broken pipe) and the socket closes:
    // that is how a full close is told from a half-close, and it releases everything at once.
    socket.once('close', () => (closing ? closing() : finish('local-closed', socketError)))
    socket.on('data', (chunk: Buffer) => {
      if (closing) {
        // Still writing: wait for a lull before closing (bounded by CLOSING_MAX_MS).
        lingerTimer?.refresh()
        return
      }
      bytesFromClient += chunk.length
      if (!tunnel) {
        early.push(chunk)
        earlyBytes += chunk.length
        if (earlyBytes >= EARLY_HIGH_WATER_MARK) socket.pause()
        return
      }
      if (!tunnel.write(chunk)) socket.pause()
    })
    socket.once('end', () => {
      localEnded = true
      if (closing) closing()
      else localEnd()
    })

    open({signal: controller.signal}).then(opened => {
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
      t.on('data', (chunk: Buffer) => {
        if (!socket.write(chunk)) t.pause()
      })
      socket.on('drain', () => t.resume())
      t.on('drain', () => {
        if (!localEnded) socket.resume()
      })
      // The pod side ended (after any error-channel text: the data was drained first).
      t.once('end', () => socket.end())
      socket.once('finish', () => {
        const message = t.errorMessage
        const done = () => (message !== undefined ? finish('error-channel', new PortForwardError(message, t)) : finish('completed'))
        // Closing a socket with unread input, or input arriving after the close, makes the kernel
        // reset it and drop what its send buffer still holds: the tail of the pod's bytes, for a
        // client that reads slowly and writes meanwhile. So once our bytes and FIN are handed to
        // the kernel, input is read and dropped, and the socket closes when the client ends its
        // side, or has sent nothing for the linger, or after CLOSING_MAX_MS at most.
        if (localEnded) return done()
        closing = done
        lingerTimer = setTimeout(done, lingerMs)
        closingTimer = setTimeout(done, CLOSING_MAX_MS)
        socket.resume()
      })
      try {
        hooks.onTunnel?.(t)
      } catch (error) {
        finish('open-failed', error instanceof Error ? error : new Error(String(error)))
        return
      }
      const held = early
      early = []
      earlyBytes = 0
      let full = false
      for (const chunk of held) full = !t.write(chunk)
      if (full) socket.pause()
      else if (!localEnded) socket.resume()
      if (localEnded) localEnd()
    }

    function localEnd(): void {
      if (settled) return
      const action = onLocalEnd({bytesFromClient, halfClose: tunnel?.halfClose, lingerMs})
      switch (action.kind) {
        case 'release':
          finish('local-closed')
          return
        case 'defer':
          return
        case 'fin':
        case 'wait':
          tunnel?.end()
          return
        case 'linger':
          tunnel?.end()
          armLinger(tunnel!, action.ms)
      }
    }

    function armLinger(t: Tunnel, ms: number): void {
      let seen = t.bytesIn
      const check = () => {
        // Progress, or bytes waiting on the local reader, means the pod is not done.
        if (t.bytesIn !== seen || socket.writableNeedDrain || t.readableLength > 0) {
          seen = t.bytesIn
          lingerTimer = setTimeout(check, ms)
          return
        }
        finish('half-close-timeout')
      }
      lingerTimer = setTimeout(check, ms)
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
