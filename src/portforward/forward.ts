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

import {isByteSource} from '../spdy/session.ts'
import {DEFAULT_HALF_CLOSE_TIMEOUT_MS, onLocalEnd} from './lifecycle.ts'
import {ownChunk} from './owned-chunks.ts'
import {defaultPeerWatch} from './peer-gone.ts'
import {type ForwardEndReason, type ForwardHooks, type ForwardResult, PortForwardError, type Tunnel, TunnelLostError, type TunnelOpener} from './types.ts'

export type {ForwardHooks, ForwardResult, TunnelOpener} from './types.ts'

/** Why a pending tunnel open is cancelled: the connection was released before the tunnel opened. */
const RELEASED = new DOMException('the local connection was released', 'AbortError')

/** How long a client that keeps writing after our FIN may keep its connection (see closeAfterClient). */
const CLOSING_MAX_MS = 30_000

/**
 * After the client's EOF, a write to it is followed by zero-length writes at these delays (ms, each
 * run only while the connection lingers): see probeGone.
 */
const GONE_PROBE_MS = [10, 100, 400]
const NO_BYTES = Buffer.alloc(0)

/** Bytes read from the client before the tunnel is open, beyond which the socket is paused. */
const EARLY_HIGH_WATER_MARK = 64 * 1024
/**
 * Bytes from the client the tunnel may hold before the local socket is paused. The tunnel's own
 * write high-water mark (64 KiB) is one local read: write() says false after nearly every read,
 * and pausing there paused the socket after 4075 of 4121 reads of a 256 MiB echo (a pause, a
 * 'drain' and a resume tick each). At 256 KiB, as pod to local, 795 of 4132.
 */
const LOCAL_TO_POD_BUFFER = 256 * 1024

/**
 * Forwards `socket` through a tunnel from `open` until one side is done. Resolves (never rejects)
 * with the byte counts, why it ended and the error if there was one. By then both the socket and
 * the tunnel are destroyed, and every timer of the connection is cleared.
 *
 * Sets `socket.allowHalfOpen = true`: when the local client half-closes, its socket must stay
 * writable so the pod's reply can still be delivered. Also turns Nagle off, as Go does.
 *
 * The chunks the socket reads from here on (and any it was given back with unshift) are the
 * connection's: a tunnel that copies them into its frames frees their memory then (owned-chunks.ts),
 * so nothing else may keep one.
 */
export function forwardConnection(socket: Socket, open: TunnelOpener, hooks: ForwardHooks = {}): Promise<ForwardResult> {
  return new Promise<ForwardResult>(resolve => {
    new ForwardedConnection(socket, hooks, resolve).start(open)
  })
}

/** One local connection and its tunnel: the state every step of the copy shares, in one object. */
class ForwardedConnection {
  private readonly socket: Socket
  private readonly hooks: ForwardHooks
  private readonly resolve: (result: ForwardResult) => void
  /** Cancels a pending tunnel open when the connection is released first. */
  private readonly controller = new AbortController()
  private readonly lingerMs: number
  private readonly onAbort = () => this.finish('aborted', abortReason(this.hooks.signal))
  private tunnel: Tunnel | undefined
  private socketError: Error | undefined
  private lingerTimer: NodeJS.Timeout | undefined
  private probeTimer: NodeJS.Timeout | undefined
  private probeStep = 0
  /** Stops asking whether the client has closed its socket (see watchPeer). */
  private unwatchPeer: (() => void) | undefined
  private settled = false
  private localEnded = false
  private bytesFromClient = 0
  /** Our FIN is out and the result is decided: input is dropped until the client ends its side. */
  private closing: (() => void) | undefined
  private closingTimer: NodeJS.Timeout | undefined
  /** What the client sent before the tunnel was open, written to it first. */
  private early: Buffer[] = []
  private earlyBytes = 0
  /** Set while the local socket holds this turn's pieces of the pod's bytes: uncorks it (corkTurn). */
  private uncorkTimer: NodeJS.Immediate | undefined

  constructor(socket: Socket, hooks: ForwardHooks, resolve: (result: ForwardResult) => void) {
    this.socket = socket
    this.hooks = hooks
    this.resolve = resolve
    this.lingerMs = hooks.halfCloseTimeoutMs ?? DEFAULT_HALF_CLOSE_TIMEOUT_MS
  }

  start(open: TunnelOpener): void {
    const {hooks, socket} = this
    socket.allowHalfOpen = true
    // Go (kubectl) sets TCP_NODELAY on every connection; small interactive writes should not wait.
    if (typeof socket.setNoDelay === 'function') socket.setNoDelay(true)
    if (hooks.signal?.aborted) {
      this.finish('aborted', abortReason(hooks.signal))
      return
    }
    hooks.signal?.addEventListener('abort', this.onAbort, {once: true})
    socket.on('error', error => {
      this.socketError ??= error
    })
    // A write to a client that has fully closed fails (reset, broken pipe) and the socket closes:
    // that is how a full close is told from a half-close, and it releases everything at once.
    socket.once('close', () => (this.closing ? this.closing() : this.finish('local-closed', this.socketError)))
    socket.on('data', (chunk: Buffer) => this.fromClient(chunk))
    socket.once('end', () => {
      this.localEnded = true
      if (this.closing) this.closing()
      else this.localEnd()
    })
    open({signal: this.controller.signal}).then(opened => {
      if (this.settled) {
        opened.destroy()
        return
      }
      this.tunnel = opened
      this.attach(opened)
    }, (error: unknown) => {
      this.finish('open-failed', error instanceof Error ? error : new Error(String(error)))
    })
  }

  private fromClient(chunk: Buffer): void {
    if (this.closing) {
      // Still writing: wait for a lull before closing (bounded by CLOSING_MAX_MS).
      this.lingerTimer?.refresh()
      return
    }
    this.bytesFromClient += chunk.length
    // Freed once the tunnel has framed it, rather than when V8 collects it (owned-chunks.ts).
    ownChunk(chunk)
    if (!this.tunnel) {
      this.early.push(chunk)
      this.earlyBytes += chunk.length
      if (this.earlyBytes >= EARLY_HIGH_WATER_MARK) this.socket.pause()
      return
    }
    // A write that says false sets the tunnel to emit 'drain', which resumes the socket.
    if (!this.tunnel.write(chunk) && this.tunnel.writableLength >= LOCAL_TO_POD_BUFFER) this.socket.pause()
  }

  private attach(t: Tunnel): void {
    const {socket} = this
    t.on('error', error => this.finish(reasonFor(error), error))
    t.once('close', () => {
      // A tunnel that ended normally finishes through the socket's 'finish' below, once every
      // byte is written out. Closing any other way (destroyed from outside) ends the connection.
      // (Most tunnels close because finish() destroyed them: no Error, and no stack, for those.)
      if (!t.readableEnded && !this.settled) this.finish('lost', new TunnelLostError('tunnel closed', 0))
    })
    if (isByteSource(t)) {
      // A SPDY session's tunnel hands each piece over by a call: no Readable push, 'data' event and
      // nextTick per piece. Forwarder CPU per MiB over a 256 MiB download, 8 pairs alternated with
      // the 'data' events: tunnel 2.13 against 2.46 ms (lower in 8 of 8), plain SPDY 1.76 against
      // 2.05 (7 of 8). The socket's buffer is then the connection's pod-to-local buffer: once it
      // holds the tunnel's per-stream buffer (its readable high-water mark) the session stops
      // reading until the socket drains, as it did for a full readable side.
      t.readInto(chunk => {
        this.corkTurn()
        if (!socket.write(chunk) && socket.writableLength >= t.readableHighWaterMark) t.pauseReading()
        this.wroteToClient()
      })
      socket.on('drain', () => t.resumeReading())
    } else {
      t.on('data', (chunk: Buffer) => {
        if (!socket.write(chunk)) t.pause()
        this.wroteToClient()
      })
      socket.on('drain', () => t.resume())
    }
    t.on('drain', () => {
      if (!this.localEnded) socket.resume()
    })
    // The pod side ended (after any error-channel text: the data was drained first).
    t.once('end', () => socket.end())
    socket.once('finish', () => {
      const message = t.errorMessage
      this.closeAfterClient(() => (message !== undefined ? this.finish('error-channel', new PortForwardError(message, t)) : this.finish('completed')))
    })
    try {
      this.hooks.onTunnel?.(t)
    } catch (error) {
      this.finish('open-failed', error instanceof Error ? error : new Error(String(error)))
      return
    }
    this.flushEarly(t)
  }

  /**
   * Our bytes and FIN are handed to the kernel; `done` closes the socket. Closing a socket with
   * unread input, or input arriving after the close, makes the kernel reset it and drop what its
   * send buffer still holds: the tail of the pod's bytes, for a client that reads slowly and writes
   * meanwhile. So input is read and dropped from here on, and `done` runs when the client ends its
   * side, or has sent nothing for the linger, or after CLOSING_MAX_MS at most.
   */
  private closeAfterClient(done: () => void): void {
    if (this.localEnded) return done()
    this.closing = done
    this.lingerTimer = setTimeout(done, this.lingerMs)
    this.closingTimer = setTimeout(done, CLOSING_MAX_MS)
    this.socket.resume()
  }

  /**
   * The pod's bytes that one turn of the event loop brings go to the local socket in one write.
   * The session gets each TLS record as a call of its own, and kube-apiserver relays a 32 KiB DATA
   * frame as 16 KiB pieces in records of their own, so a write per piece made 64 local writes per
   * MiB, and the client read about 33 times per MiB where kubectl's 32 KiB writes cost it 18. The
   * socket is corked at the first piece of a turn and uncorked once the turn's I/O is done
   * (setImmediate): the pieces of the reads made in that turn go out as one writev, and none waits
   * for the network. Through kube-apiserver 1.35 (64 MiB download, 5 rounds alternated with the
   * write per piece): 30 against 117 forwarder calls and 16.6 against 35.5 client reads per MiB,
   * the three processes' CPU 0.80x per MiB. The bound is the one above: corked bytes count in
   * writableLength, so the session stops reading once the socket holds the per-stream buffer.
   */
  private corkTurn(): void {
    if (this.uncorkTimer) return
    this.socket.cork()
    this.uncorkTimer = setImmediate(this.uncork)
  }

  private readonly uncork = (): void => {
    this.uncorkTimer = undefined
    this.socket.uncork()
  }

  /** After a write of the pod's bytes: past the client's EOF, a write asks whether the client is gone (probeGone). */
  private wroteToClient(): void {
    if (!this.localEnded) return
    if (this.probeTimer && this.probeStep === 0) this.probeTimer.refresh()
    else this.probeGone(0)
  }

  /** Writes what the client sent while the tunnel was opening, and the client's EOF if it came. */
  private flushEarly(t: Tunnel): void {
    const held = this.early
    this.early = []
    this.earlyBytes = 0
    let full = false
    for (const chunk of held) full = !t.write(chunk)
    if (full) this.socket.pause()
    else if (!this.localEnded) this.socket.resume()
    if (this.localEnded) this.localEnd()
  }

  private localEnd(): void {
    if (this.settled) return
    const {tunnel} = this
    const action = onLocalEnd({bytesFromClient: this.bytesFromClient, halfClose: tunnel?.halfClose, lingerMs: this.lingerMs})
    switch (action.kind) {
      case 'release':
        this.finish('local-closed')
        return
      case 'defer':
        return
      case 'fin':
        tunnel?.end()
        return
      case 'wait':
        tunnel?.end()
        this.watchPeer()
        return
      case 'linger':
        tunnel?.end()
        this.armLinger(tunnel!, action.ms)
        this.watchPeer()
    }
  }

  /**
   * While the connection is kept for the pod's reply after the client's EOF, a client that has
   * closed its socket (not merely half-closed) can read no reply: where the OS shows it (a loopback
   * client on Linux, peer-gone.ts), it is released as soon as that is seen.
   */
  private watchPeer(): void {
    const {socket} = this
    const peers = this.hooks.peers === undefined ? defaultPeerWatch() : this.hooks.peers
    if (!peers || socket.remoteAddress === undefined || socket.remotePort === undefined || socket.localAddress === undefined || socket.localPort === undefined) return
    this.unwatchPeer = peers.watch({address: socket.remoteAddress, port: socket.remotePort}, {address: socket.localAddress, port: socket.localPort}, () => {
      this.unwatchPeer = undefined
      this.finish('local-closed')
    })
  }

  private armLinger(t: Tunnel, ms: number): void {
    let seen = t.bytesIn
    const check = () => {
      // Progress, or bytes waiting on the local reader, means the pod is not done.
      if (t.bytesIn !== seen || this.socket.writableNeedDrain || t.readableLength > 0) {
        seen = t.bytesIn
        this.lingerTimer = setTimeout(check, ms)
        return
      }
      this.finish('half-close-timeout')
    }
    this.lingerTimer = setTimeout(check, ms)
  }

  /**
   * A client that has fully closed answers the bytes written to it after its EOF with a reset; one
   * that only half-closed reads them. The reset is only seen by the next write, and the pod may have
   * nothing more to send (a reply already complete, a client that left mid-transfer): so after each
   * write following the EOF, a few writes of no bytes (which send nothing) ask the socket, and the
   * first that fails releases the connection at once instead of after the linger.
   */
  private probeGone(step: number): void {
    if (this.probeTimer) clearTimeout(this.probeTimer)
    this.probeStep = step
    this.probeTimer = step < GONE_PROBE_MS.length ? setTimeout(() => {
      if (this.settled || this.socket.writableEnded) return
      this.socket.write(NO_BYTES)
      this.probeGone(step + 1)
    }, GONE_PROBE_MS[step]) : undefined
  }

  private finish(reason: ForwardEndReason, error?: Error): void {
    if (this.settled) return
    this.settled = true
    if (this.lingerTimer) clearTimeout(this.lingerTimer)
    if (this.probeTimer) clearTimeout(this.probeTimer)
    if (this.closingTimer) clearTimeout(this.closingTimer)
    this.unwatchPeer?.()
    this.hooks.signal?.removeEventListener('abort', this.onAbort)
    this.early = []
    // The pod's bytes of this turn go to the kernel before the socket is destroyed, as they would
    // have uncorked: a tunnel lost in the turn its last bytes came (a reset, the session's end).
    if (this.uncorkTimer) {
      clearImmediate(this.uncorkTimer)
      this.uncork()
    }
    this.socket.destroy()
    const {tunnel} = this
    tunnel?.destroy()
    // Only still needed while openTunnel is pending; an open tunnel has dropped its listener.
    // One reason for all: abort() would otherwise build a DOMException (with a stack) each time.
    this.controller.abort(RELEASED)
    const result: ForwardResult = {bytesIn: tunnel?.bytesIn ?? 0, bytesOut: tunnel?.bytesOut ?? 0, reason}
    if (error) result.error = error
    this.resolve(result)
  }
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
