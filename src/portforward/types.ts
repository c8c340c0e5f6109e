// The transport's public surface for the port-forward command: one tunnel = one forwarded TCP
// connection to one pod port, either its own WebSocket to pods/NAME/portforward (the v4 channel
// protocol: tunnel.ts) or a stream pair on a shared SPDY/3.1 session (multiplex.ts).
// forward.ts (forwardConnection) copies a local socket through either.
// Design notes: docs/pf-transport.md.

import type {Duplex} from 'node:stream'

import type {HalfClose} from './lifecycle.ts'
import type {PeerWatch} from './peer-gone.ts'

/** Subprotocols the transport can speak; see frames.ts for both codecs. */
export const V4_BINARY = 'v4.channel.k8s.io'
export const V4_BASE64 = 'v4.base64.channel.k8s.io'
export type V4Protocol = typeof V4_BASE64 | typeof V4_BINARY

/** Where a tunnel goes: one port of one pod. */
export interface TunnelTarget {
  namespace: string
  pod: string
  /** The pod (container) port, 1-65535. */
  port: number
}

export interface TunnelOptions extends TunnelTarget {
  /**
   * Aborting before the upgrade rejects openTunnel with the signal's reason; aborting later
   * destroys the tunnel with that reason.
   */
  signal?: AbortSignal
  /**
   * WebSocket ping period in milliseconds (default 30000; 0 disables). A tunnel that moved no byte,
   * drained nothing from its send buffer and left the previous ping unanswered for a whole period
   * is terminated: the tunnel ends with TunnelLostError (lifecycle.ts keepalive).
   */
  pingIntervalMs?: number
  /** Time allowed for TCP + TLS + the HTTP upgrade, in milliseconds (default 30000). */
  handshakeTimeoutMs?: number
  /**
   * Bytes buffered per direction inside the tunnel (the Duplex's readable and writable high-water
   * marks; default 64 KiB). Beyond it the WebSocket is paused (pod to local) or write() returns
   * false (local to pod).
   */
  highWaterMark?: number
  /**
   * Subprotocols offered, in order of preference (default [v4.channel.k8s.io, v4.base64.channel.k8s.io]:
   * the server picks the first it supports, so a kubelet always answers with the binary one).
   */
  protocols?: V4Protocol[]
}

/**
 * One forwarded TCP connection to a pod port. As a Duplex it is the data channel: what is written
 * goes to the pod, what is read came from the pod. The port prefixes are already stripped.
 *
 * - The readable side ends when the pod side ends (the server closes the WebSocket normally).
 * - end() sends a FIN where the transport has one (`halfClose: 'fin'`); over v4 (`'none'`) it does
 *   NOT close the WebSocket: the pod's bytes keep arriving until the pod side ends, and forward.ts
 *   applies the linger. destroy() closes the transport at once.
 * - A message on the error channel means "finish after draining": the tunnel keeps delivering
 *   every data byte the server sent before it, then its readable side ends, with `errorMessage`
 *   set; forward.ts reports it once the local socket has been ended. An abnormal close
 *   (connection dropped, silent peer, protocol error) destroys it with a TunnelLostError.
 * - The tunnel never throws into the process: 'error' has an internal listener, and every outcome
 *   is also reported by `done` (Duplex already has a boolean `closed`).
 */
export interface Tunnel extends Duplex {
  readonly namespace: string
  readonly pod: string
  readonly port: number
  /**
   * The negotiated protocol: a v4 subprotocol for the WebSocket transport,
   * `SPDY/3.1+portforward.k8s.io` (tunnel) or `portforward.k8s.io` (plain SPDY) for a SPDY session.
   */
  readonly protocol: string
  /** Whether end() reaches the pod as EOF (lifecycle.ts: the half-close rule per transport). */
  readonly halfClose: HalfClose
  /** Payload bytes received from the pod so far (port prefixes not counted). */
  readonly bytesIn: number
  /** Payload bytes sent towards the pod so far (accepted by the WebSocket). */
  readonly bytesOut: number
  /** The text the server sent on the error channel, if any. */
  readonly errorMessage: string | undefined
  /**
   * Settles (never rejects) once the WebSocket has closed: with the error that ended the tunnel,
   * or undefined when the pod side ended normally or the tunnel was destroyed without an error.
   * The stream itself is destroyed when both sides are done (autoDestroy) or by destroy().
   */
  readonly done: Promise<Error | undefined>
}

/** `--transport`: auto (tunnel, falling back to spdy), tunnel, spdy, or websocket (v4, one per connection). */
export const TRANSPORTS = ['auto', 'tunnel', 'spdy', 'websocket'] as const
export type TransportMode = (typeof TRANSPORTS)[number]

/**
 * Opens a tunnel that `signal` ends. `Target` is what the caller must say besides the signal: an
 * opener to any pod (tunnel.ts's openTunnel bound to a client, multiplex.ts's SpdyConnector) is a
 * `TunnelOpener<TunnelTarget>`; the opener a session hands forwardConnection has picked its pod
 * already and takes only the signal.
 */
export type TunnelOpener<Target = unknown> = (request: Target & {signal: AbortSignal}) => Promise<Tunnel>

/** Why one forwarded connection ended. */
export type ForwardEndReason =
  /** The pod side ended and every byte was written to the local socket. */
  | 'completed'
  /** The local socket closed or failed first (client reset, write to a closed client). */
  | 'local-closed'
  /** The local side ended its writing and the pod sent nothing for halfCloseTimeoutMs (transports without half-close). */
  | 'half-close-timeout'
  /** The server wrote on the error channel (refused port, pod gone): `error` is a PortForwardError. */
  | 'error-channel'
  /** The WebSocket was lost (dropped connection, missed pongs): `error` is a TunnelLostError. */
  | 'lost'
  /** openTunnel failed (ApiError for 4xx/5xx answers, ConnectionError, ...): `error` says why. */
  | 'open-failed'
  /** hooks.signal aborted. */
  | 'aborted'

export interface ForwardResult {
  /** Bytes from the pod written to the local socket. */
  bytesIn: number
  /** Bytes from the local socket sent to the pod. */
  bytesOut: number
  reason: ForwardEndReason
  /** Set for error-channel, lost, open-failed and aborted; for local-closed, the socket's error if any. */
  error?: Error
}

export interface ForwardHooks {
  /** Ends the connection (both ends closed) with reason 'aborted'. */
  signal?: AbortSignal
  /** Called once the tunnel is open, before any byte is copied (e.g. to poll its counters). */
  onTunnel?: (tunnel: Tunnel) => void
  /**
   * Over a transport without half-close (v4), after the local side ended its writing, how long the
   * pod may stay silent before the connection is closed anyway (ms, default 1000; 0 = wait for the
   * pod forever). v4 cannot tell the pod about the half-close, so a pod that waits for more input
   * would otherwise hold the connection forever. See lifecycle.ts.
   */
  halfCloseTimeoutMs?: number
  /**
   * While a connection lingers after the local EOF, how to tell that the client has closed its
   * socket and release it at once (default: /proc/net/tcp for loopback clients on Linux, see
   * peer-gone.ts; null: none, the linger alone decides).
   */
  peers?: PeerWatch | null
}

/**
 * The server wrote on the error channel. `message` is the server's text verbatim, e.g.
 * `error forwarding port 80 to pod 4f3c..., uid : failed to connect to localhost:80 inside namespace ...`.
 * kubectl prints it as `an error occurred forwarding LOCAL -> REMOTE: <message>`.
 */
export class PortForwardError extends Error {
  readonly namespace: string
  readonly pod: string
  readonly port: number

  constructor(message: string, target: {namespace: string; pod: string; port: number}) {
    super(message)
    this.name = 'PortForwardError'
    this.namespace = target.namespace
    this.pod = target.pod
    this.port = target.port
  }
}

/**
 * The WebSocket ended abnormally: the connection to the API server dropped (close code 1006), the
 * peer missed a pong, or the server broke the protocol. kubectl calls this `lost connection to pod`.
 */
export class TunnelLostError extends Error {
  /** The WebSocket close code (1006 for a dropped connection), or 0 when there was none. */
  readonly closeCode: number

  constructor(detail: string, closeCode: number, options?: {cause?: unknown}) {
    super(`lost connection to pod: ${detail}`, options)
    this.name = 'TunnelLostError'
    this.closeCode = closeCode
  }
}
