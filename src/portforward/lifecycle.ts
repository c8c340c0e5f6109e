// The connection lifecycle rules of the port-forward data path, for every transport: what happens
// when the local client ends its side, and when a tunnel counts as alive. forward.ts applies them
// to each connection; a transport only says whether it can carry a half-close (Tunnel.halfClose).
// These are pure decisions, table-tested in test/unit/portforward/lifecycle.test.ts.
//
// Half-close, per transport:
// - 'fin' (SPDY, SPDY tunnelled in a WebSocket): the local EOF is sent on as a FIN on the data
//   stream; the pod reads EOF, as under kubectl, and the connection ends when the pod side ends
//   (containerd closes the pod socket at most 1 s after either copy ends, so this is bounded by
//   the node, not by svc).
// - 'none' (WebSocket v4): nothing on the wire can say "no more input", so the pod never sees the
//   EOF. svc keeps the tunnel open for the pod's reply while the pod keeps sending, and closes it
//   once the pod has been silent for the linger (--half-close-timeout, default 1 s: the window
//   containerd gives a pod to answer after EOF under kubectl). 0 waits for the pod to close.
// - Either way, a client that ends without having sent a single byte (`nc -z`, TCP health
//   checks, port scanners) is released at once: no tunnel is opened for it, or the one being
//   opened is abandoned.
// - A client that has fully closed is told apart from one that only half-closed by the first
//   write to it that fails (reset or broken pipe), or, for a loopback client on Linux while the
//   connection lingers, by its socket having no owner left (peer-gone.ts): the connection is
//   released at that moment.

import {ApiError, ConnectionError} from '../kube/errors.ts'
import {isCertificateRefusal} from '../kube/identity.ts'

/** Whether a transport can tell the pod that the local client has finished sending. */
export type HalfClose = 'fin' | 'none'

/** Default linger after the local EOF over a transport without half-close (ms). */
export const DEFAULT_HALF_CLOSE_TIMEOUT_MS = 1_000

export interface LocalEnd {
  /** Bytes the local client sent before its EOF. */
  bytesFromClient: number
  /** The tunnel's half-close ability, or undefined while the tunnel is still being opened. */
  halfClose: HalfClose | undefined
  /** The configured linger for transports without half-close (ms; 0 = wait for the pod). */
  lingerMs: number
}

export type LocalEndAction =
  /** Close the local socket and the tunnel now (or abandon the tunnel being opened). */
  | {kind: 'release'}
  /** The tunnel is not open yet: decide again once it is (the bytes read so far go first). */
  | {kind: 'defer'}
  /** End the tunnel's writable side (a FIN) and wait for the pod side to end. */
  | {kind: 'fin'}
  /** Keep the tunnel for the pod's reply; release it after `ms` of silence from the pod. */
  | {kind: 'linger'; ms: number}
  /** Keep the tunnel until the pod side ends (linger disabled). */
  | {kind: 'wait'}

/** What to do when the local client ends its side of the connection. */
export function onLocalEnd(facts: LocalEnd): LocalEndAction {
  if (facts.bytesFromClient === 0) return {kind: 'release'}
  if (facts.halfClose === undefined) return {kind: 'defer'}
  if (facts.halfClose === 'fin') return {kind: 'fin'}
  return facts.lingerMs > 0 ? {kind: 'linger', ms: facts.lingerMs} : {kind: 'wait'}
}

export interface KeepaliveFacts {
  /** A ping was sent at the previous tick and no pong (nor any message) has come since. */
  awaitingPong: boolean
  /** Payload bytes received + sent since the previous tick. */
  bytesMoved: number
  /** Bytes queued on the transport's socket now, and at the previous tick. */
  queuedBefore: number
  queuedNow: number
  /** We hold the transport's reading paused (a slow local reader): a pong cannot be read. */
  readPaused: boolean
  /**
   * The pending ping went out behind payload bytes that no pong has confirmed the server read: a
   * server that reads frames in order (the kubelet) answers it only after them, however slowly the
   * pod takes them.
   */
  behindUpload: boolean
}

export type KeepaliveVerdict = 'ping' | 'skip' | 'dead'

/**
 * A tunnel counts as alive while bytes move in either direction, its send buffer drains, or it has
 * bytes queued for the server: a kubelet answers pings only between data frames, so behind
 * megabytes of upload to a slowly reading pod a pong can be late by minutes, and TCP flow control
 * (the window opens only when the receiver has freed a good part of its buffer) can hold an upload
 * still for longer than an interval. Behind a real API server and kubelet the bytes in flight sit in
 * several hops' socket buffers, megabytes that a pod reading 100 KB/s takes tens of seconds to
 * drain, with nothing moving at our end meanwhile (seen on the real control plane): so a ping sent
 * behind unconfirmed upload bytes is not judged at all. A peer that vanishes while an upload is
 * blocked is left to TCP's retransmission timeout. Only an otherwise idle tunnel that left the
 * previous ping unanswered for a whole interval is dead. kubectl never drops a connection for a missed ping; svc
 * drops a silent idle one, so that a vanished API server or node is noticed.
 */
export function keepalive(facts: KeepaliveFacts): KeepaliveVerdict {
  if (facts.readPaused) return 'skip'
  if (!facts.awaitingPong) return 'ping'
  if (facts.behindUpload) return 'skip'
  const alive = facts.bytesMoved > 0 || facts.queuedNow < facts.queuedBefore || facts.queuedNow > 0
  return alive ? 'skip' : 'dead'
}

/** Default number of connections in a row that may fail with a permanent error before svc exits. */
export const DEFAULT_PERMANENT_ERROR_LIMIT = 3

/**
 * An upgrade failure that the next connection would hit again whatever happens on the cluster: the
 * server's certificate fails verification. (401 and 403 end the session at once, as kubectl does.)
 * An API server that is down or restarting is not permanent: each connection reports it and the
 * next one tries again.
 */
export function isPermanentUpgradeError(error: unknown): boolean {
  return error instanceof ConnectionError && isCertificateRefusal(error.errno)
}

/**
 * Upgrade answers that mean "this pod, not the forward, is the problem": gone (404) or not running
 * (400, 500 from the kubelet, 503). Nothing was sent yet, so another pod may take the connection.
 */
export function isPodUnreachable(error: unknown): boolean {
  return error instanceof ApiError && [400, 404, 500, 503].includes(error.code)
}

/** A failed upgrade in kubectl's words (`error upgrading connection: ...`); undefined for any other error. */
export function upgradeErrorText(error: unknown): string | undefined {
  if (error instanceof ApiError) return `error upgrading connection: ${error.status.message ?? error.message}`
  if (error instanceof ConnectionError) return `error upgrading connection: ${error.message}`
  return undefined
}

export interface PermanentErrorState {
  /** Connections in a row that failed with a permanent error. */
  count: number
}

/**
 * What to do with a finished connection under the permanent-error rule: `report` its line or not
 * (a permanent error is reported once, not once per connection), and `exit` when `limit`
 * connections in a row failed permanently. Any other outcome resets the count.
 */
export function onConnectionOutcome(state: PermanentErrorState, permanent: boolean, limit: number): {exit: boolean; report: boolean} {
  if (!permanent) {
    state.count = 0
    return {exit: false, report: true}
  }
  state.count++
  return {exit: state.count >= limit, report: state.count === 1}
}
