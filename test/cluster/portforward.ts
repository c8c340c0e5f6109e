// One route for pods/NAME/portforward upgrades, as the real API server has: a plain WebSocket
// (v4 channel protocol, our svc client) goes to portforward-ws.ts; SPDY/3.1 upgrades and the
// KEP-4006 `SPDY/3.1+portforward.k8s.io` WebSocket tunnel (kubectl) go to portforward-spdy.ts.

import {portForwardSpdyHandler} from './portforward-spdy.ts'
import {isV4PortForwardRequest, portForwardWsHandler, type PortForwardBackend, type PortForwardRequest} from './portforward-ws.ts'

/** A handler for cluster.onPortForward that serves every protocol kubectl or svc may use. */
export function portForwardHandler(backend: PortForwardBackend): (ctx: PortForwardRequest) => void {
  const ws = portForwardWsHandler(backend)
  const spdy = portForwardSpdyHandler(backend)
  return (ctx) => (isV4PortForwardRequest(ctx.req) ? ws(ctx) : spdy(ctx))
}
