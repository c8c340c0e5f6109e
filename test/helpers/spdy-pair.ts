// A client and a server SPDY session over an in-memory pipe, both destroyed after the test.

import {type Duplex, duplexPair} from 'node:stream'

import {SpdySession} from '../../src/spdy/session.ts'

/** `serverEnd` is the pipe end the server session reads and writes: raw frames written to it reach the client. */
export function spdyPair(t: {after: (fn: () => void) => void}, options: {streamHighWaterMark?: number} = {}): {client: SpdySession; server: SpdySession; serverEnd: Duplex} {
  const [a, b] = duplexPair()
  const client = new SpdySession(a, {role: 'client', ...options})
  const server = new SpdySession(b, {role: 'server'})
  t.after(() => {
    client.destroy()
    server.destroy()
  })
  return {client, server, serverEnd: b}
}
