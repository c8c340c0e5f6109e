// A client and a server SPDY session over an in-memory pipe, both destroyed after the test.

import {duplexPair} from 'node:stream'

import {SpdySession} from '../../src/spdy/session.ts'

export function spdyPair(t: {after: (fn: () => void) => void}): {client: SpdySession; server: SpdySession} {
  const [a, b] = duplexPair()
  const client = new SpdySession(a, {role: 'client'})
  const server = new SpdySession(b, {role: 'server'})
  t.after(() => {
    client.destroy()
    server.destroy()
  })
  return {client, server}
}
