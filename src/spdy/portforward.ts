// The portforward.k8s.io layer over a SPDY session: every forwarded connection is a pair of
// client-opened streams, `streamtype: error` and `streamtype: data`, sharing `port` and
// `requestid`. This mirrors the kubelet's stream handler (validation messages, pairing by
// request id with the stream-id fallback for old clients, creation timeout), so a server built
// on it behaves as the kubelet does, and a client built on it speaks as kubectl does.

import {RstStatus} from './frames.ts'
import {headerValue} from './headers.ts'
import type {SpdyHeaders} from './headers.ts'
import type {SpdySession, SpdyStream} from './session.ts'

export const PORT_FORWARD_PROTOCOL = 'portforward.k8s.io'
export const STREAM_TYPE_HEADER = 'streamtype'
export const PORT_HEADER = 'port'
export const REQUEST_ID_HEADER = 'requestid'
/** How long the server waits for the second stream of a pair (kubelet: 30 s). */
export const DEFAULT_STREAM_CREATION_TIMEOUT_MS = 30_000

export interface PortForwardPair {
  requestId: string
  port: number
  data: SpdyStream
  error: SpdyStream
}

/** Validates a stream's headers as the kubelet does; returns the reason it is refused, or undefined. */
export function validatePortForwardHeaders(headers: SpdyHeaders): string | undefined {
  const port = headerValue(headers, PORT_HEADER) ?? ''
  if (port.length === 0) return `"${PORT_HEADER}" header is required`
  if (!/^\d+$/.test(port) || Number(port) > 65535) return `unable to parse "${port}" as a port: strconv.ParseUint: parsing "${port}": ${/^\d+$/.test(port) ? 'value out of range' : 'invalid syntax'}`
  if (Number(port) < 1) return `port "${port}" must be > 0`
  const type = headerValue(headers, STREAM_TYPE_HEADER) ?? ''
  if (type.length === 0) return `"${STREAM_TYPE_HEADER}" header is required`
  if (type !== 'error' && type !== 'data') return `invalid stream type "${type}"`
  return undefined
}

/** The pairing key: `requestid`, or for old clients error id / data id - 2. */
export function pairingKey(streamId: number, headers: SpdyHeaders): string {
  const id = headerValue(headers, REQUEST_ID_HEADER)
  if (id) return id
  return String(headerValue(headers, STREAM_TYPE_HEADER) === 'data' ? streamId - 2 : streamId)
}

interface Pending {
  data?: SpdyStream
  error?: SpdyStream
  timer: NodeJS.Timeout
}

export interface PortForwardServerOptions {
  streamCreationTimeoutMs?: number
  /** Called for every refused stream or pairing problem (the kubelet logs these). */
  onProblem?: (message: string) => void
}

/**
 * Server side: accepts the session's streams, replies to valid ones, refuses invalid ones with
 * RST_STREAM, and calls `onPair` once both streams of a request are there.
 */
export function servePortForward(session: SpdySession, onPair: (pair: PortForwardPair) => void, options: PortForwardServerOptions = {}): void {
  const timeoutMs = options.streamCreationTimeoutMs ?? DEFAULT_STREAM_CREATION_TIMEOUT_MS
  const pending = new Map<string, Pending>()
  const problem = (msg: string) => options.onProblem?.(msg)

  session.on('stream', (stream: SpdyStream) => {
    const invalid = validatePortForwardHeaders(stream.headers)
    if (invalid) {
      problem(invalid)
      stream.reset(RstStatus.CANCEL)
      return
    }
    stream.reply()
    const key = pairingKey(stream.id, stream.headers)
    let entry = pending.get(key)
    if (!entry) {
      const timer = setTimeout(() => {
        const e = pending.get(key)
        pending.delete(key)
        const msg = `(conn=spdy, request=${key}) timed out waiting for streams`
        problem(msg)
        if (e?.error) e.error.end(msg)
        e?.data?.end()
      }, timeoutMs)
      timer.unref()
      entry = {timer}
      pending.set(key, entry)
    }
    const type = headerValue(stream.headers, STREAM_TYPE_HEADER) as 'data' | 'error'
    if (entry[type]) {
      const msg = `error processing stream for request ${key}: ${type} stream already assigned`
      problem(msg)
      entry.error?.write(msg)
      return
    }
    entry[type] = stream
    if (entry.data && entry.error) {
      clearTimeout(entry.timer)
      pending.delete(key)
      onPair({requestId: key, port: Number(headerValue(entry.data.headers, PORT_HEADER)), data: entry.data, error: entry.error})
    }
  })
  session.on('close', () => {
    for (const e of pending.values()) clearTimeout(e.timer)
    pending.clear()
  })
}

/**
 * Client side, as kubectl does it per accepted local connection: open the error stream, wait for
 * its reply, half-close it (the client never writes on it), then open the data stream.
 */
export async function openPortForwardPair(session: SpdySession, port: number, requestId: string): Promise<{data: SpdyStream; error: SpdyStream}> {
  const base = {[PORT_HEADER]: [String(port)], [REQUEST_ID_HEADER]: [requestId]}
  const error = session.openStream({[STREAM_TYPE_HEADER]: ['error'], ...base})
  await error.waitReply()
  error.end()
  const data = session.openStream({[STREAM_TYPE_HEADER]: ['data'], ...base})
  try {
    await data.waitReply()
  } catch (err) {
    error.destroy()
    throw err
  }
  return {data, error}
}
