// Port-forward over SPDY/3.1 sessions, as kubectl 1.31+ does it: one upgraded connection to
// pods/NAME/portforward carries every forwarded connection as a pair of streams (error + data,
// sharing `requestid`, with the `port` header; cg tools/portforward/portforward.go
// handleConnection). The session runs inside a WebSocket (`tunnel`, KEP-4006) or on a plain
// `POST` SPDY upgrade (`spdy`); `auto` tries the tunnel and, on an upgrade failure, falls back to
// SPDY for good, as kubectl's fallback dialer does (cg tools/portforward/fallback_dialer.go).
//
// Differences from kubectl, on purpose:
// - One connection's error (its error stream speaks, its stream is reset) ends that connection
//   only; kubectl closes the whole session and exits.
// - A lost session is re-dialled for new connections (with backoff); each connection that was on
//   it ends with `lost connection to pod`.
// - No head-of-line stall for new connections. Upstream applies no SPDY flow control, so a stream
//   whose local reader stopped can only hold its whole session (the session stops reading the
//   socket once that stream's bounded buffer is full). Such a session is "stalled" after
//   STALL_MS; new connections go to another session of the same pod (a small pool per pod, dialled
//   lazily). Connections already sharing the stalled session wait with it, as on kubectl.
// - Both SYN_STREAMs go out at once (kubectl waits for the error stream's reply first), so a
//   connection costs one round trip before its first byte instead of two.
// - Sessions are kept alive with PINGs, closed after an idle period and when their pod goes away.

import type {Duplex} from 'node:stream'

import type {KubeClient} from '../kube/client.ts'
import {ApiError} from '../kube/errors.ts'
import {PORT_FORWARD_PROTOCOL} from '../spdy/portforward.ts'
import {SpdySession} from '../spdy/session.ts'
import {releaseChunks} from './owned-chunks.ts'
import {SpdyTunnel} from './spdy-tunnel.ts'
import {type Tunnel, TunnelLostError} from './types.ts'
import {TUNNEL_PROTOCOL, UpgradeFailure, upgradeSpdy, upgradeTunnel} from './upgrade.ts'
import {WebSocketPipe} from './ws-pipe.ts'

export type SessionTransport = 'spdy' | 'tunnel'
export type SessionMode = 'auto' | SessionTransport

export interface ConnectorOptions {
  mode: SessionMode
  /** -v=4 lines: which transport, fallbacks, sessions opened, stalled and closed. */
  log?: (line: string) => void
  /** A session without connections is closed after this long (ms, default 60000). */
  idleTimeoutMs?: number
  /** PING period (ms, default 10000, kubectl's tunnel period); a PING unanswered for 3 periods loses the session. */
  pingIntervalMs?: number
  /** A session held this long by a stream whose reader stopped takes no new connections (ms, default 200). */
  stallMs?: number
  /** Sessions per pod at most (default 8); beyond it the least loaded one is used even if stalled. */
  maxSessionsPerPod?: number
  /** Bytes buffered per stream, pod to local, before its session is held (default 256 KiB). */
  streamBufferBytes?: number
  /** TCP + TLS + upgrade (ms, default 30000). */
  handshakeTimeoutMs?: number
}

const DEFAULTS = {
  handshakeTimeoutMs: 30_000,
  idleTimeoutMs: 60_000,
  maxSessionsPerPod: 8,
  pingIntervalMs: 10_000,
  stallMs: 200,
  streamBufferBytes: 256 * 1024,
}
/** Backoff between failed dials to one pod: 100 ms doubling to 2 s. */
const BACKOFF_MIN_MS = 100
const BACKOFF_MAX_MS = 2_000

interface Pooled {
  id: number
  key: string
  namespace: string
  pod: string
  transport: SessionTransport
  session: SpdySession
  /** Connections (stream pairs) open on it. */
  active: number
  closing: boolean
  idleTimer?: NodeJS.Timeout
  pingTimer?: NodeJS.Timeout
  pinging: boolean
  /** Payload bytes written on the session, and how many of them a PING's answer has shown the server read. */
  sent: number
  confirmed: number
  stallTimer?: NodeJS.Timeout
  /** Why the session ended, when it was not closed by us. */
  lost?: string
}

export class SpdyConnector {
  private readonly client: KubeClient
  private readonly options: Required<Omit<ConnectorOptions, 'log'>> & {log?: (line: string) => void}
  private readonly sessions = new Map<string, Pooled[]>()
  private readonly dials = new Map<string, Promise<Pooled>>()
  private readonly failures = new Map<string, {count: number; notBefore: number}>()
  private readonly stop = new AbortController()
  private resolved: SessionTransport | undefined
  private nextSessionId = 1
  private nextRequestId = 0

  constructor(client: KubeClient, options: ConnectorOptions) {
    this.client = client
    this.options = {...DEFAULTS, ...options}
    if (options.mode !== 'auto') this.resolved = options.mode
  }

  /** The transport in use: the mode, or for auto the one the first successful dial settled on. */
  get transport(): SessionTransport | undefined {
    return this.resolved
  }

  /** Sessions open now (all pods). */
  get sessionCount(): number {
    let n = 0
    for (const list of this.sessions.values()) n += list.length
    return n
  }

  /**
   * Opens a session to the pod now (if it has none), so that the transport is known before the
   * first connection and that connection does not pay the upgrade. Never throws: a failure is
   * logged and the first connection dials again.
   */
  async warm(namespace: string, pod: string, signal?: AbortSignal): Promise<void> {
    try {
      const pooled = await this.acquire(namespace, pod, signal)
      this.armIdle(pooled)
    } catch (error) {
      this.log(`port-forward: could not open a session to pod ${namespace}/${pod} yet: ${describe(error)}`)
    }
  }

  /** Opens one forwarded connection (a TunnelOpener<TunnelTarget>). */
  async open(target: {namespace: string; pod: string; port: number; signal: AbortSignal}): Promise<Tunnel> {
    const {namespace, pod, port, signal} = target
    for (let attempt = 0; ; attempt++) {
      const pooled = await this.acquire(namespace, pod, signal)
      signal.throwIfAborted()
      let tunnel: SpdyTunnel
      try {
        tunnel = new SpdyTunnel({
          bufferBytes: this.options.streamBufferBytes,
          handle: pooled,
          namespace,
          onDone: () => {
            pooled.active--
            this.armIdle(pooled)
          },
          pod,
          port,
          requestId: String(this.nextRequestId++),
          signal,
        })
      } catch (failure) {
        // The session is going away (GOAWAY from the server, stream ids used up): use another.
        pooled.closing = true
        if (attempt < 2) continue
        throw new TunnelLostError(describe(failure), 0)
      }
      pooled.active++
      if (pooled.idleTimer) clearTimeout(pooled.idleTimer)
      pooled.idleTimer = undefined
      return tunnel
    }
  }

  /** The pod went away: close its sessions (their connections were ended by the session). */
  podGone(pod: string): void {
    for (const list of this.sessions.values()) {
      for (const pooled of list) if (pooled.pod === pod) this.closeSession(pooled, 'its pod went away')
    }
  }

  /** Closes every session (svc is stopping). */
  close(): void {
    this.stop.abort(new Error('port-forward closed'))
    for (const list of [...this.sessions.values()]) for (const pooled of [...list]) this.closeSession(pooled, 'port-forward closed')
  }

  // ---- placement ------------------------------------------------------------------------------

  private async acquire(namespace: string, pod: string, signal?: AbortSignal): Promise<Pooled> {
    const key = `${namespace}/${pod}`
    for (;;) {
      signal?.throwIfAborted()
      const list = (this.sessions.get(key) ?? []).filter(p => !p.closing && !p.session.isClosed)
      const now = performance.now()
      const free = list.filter(p => !this.stalled(p, now))
      if (free.length > 0) return leastLoaded(free)
      const pending = this.dials.get(key)
      // Connections that arrive while a session is being dialled share that dial and its outcome.
      if (pending) return raceSignal(pending, signal)
      if (list.length >= this.options.maxSessionsPerPod) return leastLoaded(list)
      return this.dialOnce(key, namespace, pod, signal)
    }
  }

  private stalled(pooled: Pooled, now: number): boolean {
    const since = pooled.session.heldSince
    return since !== undefined && now - since >= this.options.stallMs
  }

  /** The session stopped reading: if it still has not after stallMs, say so (-v=4). */
  private watchStall(pooled: Pooled): void {
    const since = pooled.session.heldSince
    if (pooled.stallTimer || since === undefined) return
    pooled.stallTimer = setTimeout(() => {
      pooled.stallTimer = undefined
      if (pooled.session.heldSince === since && !pooled.session.isClosed) {
        this.log(`port-forward: session ${pooled.id} to pod ${pooled.key} is held by a reader that stopped reading; new connections go to another session`)
      }
    }, this.options.stallMs)
    pooled.stallTimer.unref()
  }

  private async dialOnce(key: string, namespace: string, pod: string, signal?: AbortSignal): Promise<Pooled> {
    let pending = this.dials.get(key)
    if (!pending) {
      pending = this.dial(key, namespace, pod).finally(() => {
        if (this.dials.get(key) === pending) this.dials.delete(key)
      })
      this.dials.set(key, pending)
    }
    return raceSignal(pending, signal)
  }

  // ---- dialling -------------------------------------------------------------------------------

  private async dial(key: string, namespace: string, pod: string): Promise<Pooled> {
    const failure = this.failures.get(key)
    if (failure) {
      const wait = failure.notBefore - Date.now()
      if (wait > 0) await delay(wait, this.stop.signal)
    }
    try {
      const pooled = await this.upgrade(key, namespace, pod)
      this.failures.delete(key)
      return pooled
    } catch (error) {
      const count = (failure?.count ?? 0) + 1
      const backoff = Math.min(BACKOFF_MIN_MS * 2 ** (count - 1), BACKOFF_MAX_MS)
      this.failures.set(key, {count, notBefore: Date.now() + backoff})
      this.log(`port-forward: could not open a session to pod ${key}: ${describe(error)} (next try in ${backoff} ms at the earliest)`)
      throw unwrap(error)
    }
  }

  private async upgrade(key: string, namespace: string, pod: string): Promise<Pooled> {
    const common = {handshakeTimeoutMs: this.options.handshakeTimeoutMs, namespace, pod, signal: this.stop.signal}
    let transport: SessionTransport = this.resolved ?? 'tunnel'
    let socket: Duplex
    if (transport === 'tunnel') {
      try {
        const up = await upgradeTunnel(this.client, common)
        socket = new WebSocketPipe(up.socket, up.head, {attach: up.attach})
      } catch (error) {
        if (this.options.mode !== 'auto' || !(error instanceof UpgradeFailure)) throw error
        this.log(`port-forward: the tunnel (${TUNNEL_PROTOCOL}) was refused: ${describe(error)}; falling back to SPDY/3.1 over POST`)
        transport = 'spdy'
        socket = (await upgradeSpdy(this.client, common)).socket
      }
    } else {
      socket = (await upgradeSpdy(this.client, common)).socket
    }
    if (this.stop.signal.aborted) {
      socket.destroy()
      throw this.stop.signal.reason
    }
    if (this.resolved === undefined) {
      this.resolved = transport
      this.log(`port-forward: using ${transportLabel(transport)}`)
    }
    const session = new SpdySession(socket, {
      pingTimeoutMs: this.options.pingIntervalMs * 3,
      role: 'client',
      streamHighWaterMark: this.options.streamBufferBytes,
      // Plain SPDY writes the local clients' reads to the TLS socket itself: they are freed once
      // it has written them (through the tunnel the WebSocket frame's copy frees them).
      written: transport === 'spdy' ? releaseChunks : undefined,
    })
    const pooled: Pooled = {
      active: 0, closing: false, confirmed: 0, id: this.nextSessionId++, key, namespace, pinging: false, pod, sent: 0, session, transport,
    }
    session.on('error', (error: Error) => {
      pooled.lost ??= error.message
    })
    session.on('held', () => this.watchStall(pooled))
    session.on('released', () => {
      if (pooled.stallTimer) clearTimeout(pooled.stallTimer)
      pooled.stallTimer = undefined
    })
    session.on('goaway', () => {
      pooled.closing = true
    })
    session.once('close', () => this.forget(pooled))
    if (this.options.pingIntervalMs > 0) {
      pooled.pingTimer = setInterval(() => this.keepalive(pooled), this.options.pingIntervalMs)
      pooled.pingTimer.unref()
    }
    const list = this.sessions.get(key) ?? []
    list.push(pooled)
    this.sessions.set(key, list)
    this.log(`port-forward: session ${pooled.id} to pod ${key} open (${transportLabel(transport)})`)
    return pooled
  }

  private keepalive(pooled: Pooled): void {
    // A held session cannot read the answer: not a sign of a dead peer.
    if (pooled.pinging || pooled.session.heldSince !== undefined || pooled.session.isClosed) return
    pooled.pinging = true
    const sentAtPing = pooled.sent
    pooled.session.ping().then(() => {
      pooled.pinging = false
      pooled.confirmed = Math.max(pooled.confirmed, sentAtPing)
    }, (error: Error) => {
      pooled.pinging = false
      if (pooled.session.isClosed || pooled.session.heldSince !== undefined) return
      // The PING went out behind upload bytes no answer has shown the server read: the kubelet
      // reads frames in order, so it answers only once a slow pod has taken them (through a real
      // API server, megabytes sit in the hops' buffers). Not a sign of a dead peer (lifecycle.ts).
      if (sentAtPing > pooled.confirmed) return
      pooled.lost ??= error.message
      pooled.session.destroy(new Error(error.message))
    })
  }

  private armIdle(pooled: Pooled): void {
    if (pooled.active > 0 || pooled.session.isClosed || pooled.idleTimer) return
    pooled.idleTimer = setTimeout(() => {
      pooled.idleTimer = undefined
      if (pooled.active === 0) this.closeSession(pooled, 'idle')
    }, this.options.idleTimeoutMs)
    pooled.idleTimer.unref()
  }

  private closeSession(pooled: Pooled, why: string): void {
    if (pooled.session.isClosed) return
    pooled.closing = true
    pooled.lost ??= why
    this.log(`port-forward: closing session ${pooled.id} to pod ${pooled.key}: ${why}`)
    pooled.session.close()
    this.forget(pooled)
  }

  private forget(pooled: Pooled): void {
    pooled.closing = true
    if (pooled.pingTimer) clearInterval(pooled.pingTimer)
    if (pooled.idleTimer) clearTimeout(pooled.idleTimer)
    if (pooled.stallTimer) clearTimeout(pooled.stallTimer)
    pooled.pingTimer = undefined
    pooled.idleTimer = undefined
    const list = this.sessions.get(pooled.key)
    if (!list) return
    const rest = list.filter(p => p !== pooled)
    if (rest.length === 0) this.sessions.delete(pooled.key)
    else this.sessions.set(pooled.key, rest)
    if (pooled.lost && !['idle', 'port-forward closed', 'its pod went away'].includes(pooled.lost)) {
      this.log(`port-forward: session ${pooled.id} to pod ${pooled.key} lost: ${pooled.lost}`)
    }
  }

  private log(line: string): void {
    this.options.log?.(line)
  }
}

function leastLoaded(list: Pooled[]): Pooled {
  return list.reduce((best, p) => (p.active < best.active ? p : best))
}

function transportLabel(transport: SessionTransport): string {
  return transport === 'tunnel' ? `the tunnel (SPDY/3.1 in a WebSocket, ${TUNNEL_PROTOCOL})` : `SPDY/3.1 over a POST upgrade (${PORT_FORWARD_PROTOCOL})`
}

/** The error a connection reports: the server's answer as an ApiError when there was one. */
function unwrap(error: unknown): Error {
  if (error instanceof UpgradeFailure) return error.apiError ?? new Error(`error upgrading connection: ${error.message}`)
  return error instanceof Error ? error : new Error(String(error))
}

function describe(error: unknown): string {
  if (error instanceof UpgradeFailure && error.apiError) return `${error.apiError.code} ${error.apiError.message}`
  if (error instanceof ApiError) return `${error.code} ${error.message}`
  return error instanceof Error ? error.message : String(error)
}

function raceSignal<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise
  if (signal.aborted) return Promise.reject(signal.reason)
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason)
    signal.addEventListener('abort', onAbort, {once: true})
    promise.then(value => {
      signal.removeEventListener('abort', onAbort)
      resolve(value)
    }, (error: unknown) => {
      signal.removeEventListener('abort', onAbort)
      reject(error)
    })
  })
}

function delay(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason)
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    const onAbort = () => {
      clearTimeout(timer)
      reject(signal.reason)
    }
    signal.addEventListener('abort', onAbort, {once: true})
  })
}
