// The handshake checks of golang.org/x/net/websocket's server, which the kubelet's CRI streaming
// server uses (through k8s.io/apimachinery wsstream.Conn), for the local cluster's v4 port-forward route:
//
// - Handshake (hybi.go hybiServerHandshaker.ReadHandshake / AcceptHandshake, server.go newServerConn):
//   GET only (405 `bad method`), `Upgrade: websocket` and `Connection: upgrade` (400 `not websocket
//   protocol`), a Sec-WebSocket-Key (400 `mismatch challenge/response`), version 13 (400 with a
//   Sec-WebSocket-Version header, `missing or bad WebSocket Version`).

import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'

/**
 * Checks the handshake as ReadHandshake does; writes the refusal and returns false when it fails.
 */
export function xnetHandshakeOk(req: IncomingMessage, socket: Duplex): boolean {
  const refuse = (code: number, text: string, body: string, extra = ''): false => {
    socket.end(`HTTP/1.1 ${code} ${text}\r\n${extra}\r\n${body}`)
    return false
  }
  if (req.method !== 'GET') return refuse(405, 'Method Not Allowed', 'bad method')
  const upgrade = String(req.headers.upgrade ?? '').toLowerCase()
  const connection = String(req.headers.connection ?? '').toLowerCase()
  if (upgrade !== 'websocket' || !connection.includes('upgrade')) return refuse(400, 'Bad Request', 'not websocket protocol')
  if (!req.headers['sec-websocket-key']) return refuse(400, 'Bad Request', 'mismatch challenge/response')
  if (req.headers['sec-websocket-version'] !== '13') return refuse(400, 'Bad Request', 'missing or bad WebSocket Version', 'Sec-WebSocket-Version: 13\r\n')
  return true
}
