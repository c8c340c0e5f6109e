// `--transport` turned into a tunnel opener and its controls, for every command that tunnels local
// connections to pods (port-forward, proxy): websocket opens a v4 WebSocket per connection
// (tunnel.ts); tunnel, spdy and auto share SPDY/3.1 sessions per pod (multiplex.ts).

import type {KubeClient} from '../kube/client.ts'
import {SpdyConnector} from './multiplex.ts'
import {openTunnel} from './tunnel.ts'
import type {TransportMode, TunnelOpener, TunnelTarget} from './types.ts'

/** What a forwarder needs of its transport beyond opening tunnels (multiplex.ts's SpdyConnector for the SPDY ones). */
export interface TransportControl {
  /** The transport's name, for the ready event: tunnel, spdy or websocket. */
  name(): string
  /** Prepares the way to a pod before the listeners open (dials its session); never throws. */
  warm?(namespace: string, pod: string, signal: AbortSignal): Promise<void>
  /** The pod went away for good: release what is kept for it. */
  podGone?(pod: string): void
  /** The forwarder ends: release everything. */
  close?(): void
}

/** The opener and controls for `--transport MODE`; `log` gets the -v=4 transport lines. */
export function transportFor(client: KubeClient, mode: TransportMode, log?: (line: string) => void): {open: TunnelOpener<TunnelTarget>; transport: TransportControl} {
  if (mode === 'websocket') {
    return {open: ({signal, ...target}) => openTunnel(client, {...target, signal}), transport: {name: () => 'websocket'}}
  }
  const connector = new SpdyConnector(client, {log, mode})
  return {
    open: target => connector.open(target),
    transport: {
      close: () => connector.close(),
      name: () => connector.transport ?? mode,
      podGone: pod => connector.podGone(pod),
      warm: (namespace, pod, signal) => connector.warm(namespace, pod, signal),
    },
  }
}
