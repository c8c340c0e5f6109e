// The targets of one `svc port-forward` once they listen, and what the command hands on from them:
// the ports for `-- COMMAND`'s SVC_PORT variables and the Services' own variables (service-env.ts).

import type {HostsEntry} from './addresses.ts'
import type {ListWatchClient} from './informer.ts'
import type {TransportControl} from './transport-mode.ts'
import type {TunnelOpener, TunnelTarget} from './types.ts'
import {type ChildPort, portVariables} from './child.ts'
import type {BindResult} from './listener.ts'
import type {TargetSpec} from './operands.ts'
import type {ResolvedTarget} from './resolve.ts'
import {type ForwardedService, serviceVariables} from './service-env.ts'
import type {Session} from './session.ts'
import type {Service} from './targets.ts'

/** One target of the command on its way up: what it resolved to, its session once made, its listeners once bound. */
/** How a target reaches its cluster: the client, the tunnel opener and the transport's controls (one per kubeconfig context). */
export interface Via {
  client: ListWatchClient
  openTunnel: TunnelOpener<TunnelTarget>
  transport?: TransportControl
}

export interface TargetForward {
  /** Its context's connection, when not the command's (forwards file). */
  via?: Via
  /** Ends this target alone (--all: its Service was deleted or changed). */
  abort?: AbortController
  /** Its own loopback address (--address-per-service, svc/ targets). */
  address?: string
  spec: TargetSpec
  namespace: string
  resolved?: ResolvedTarget
  session?: Session
  bound?: BindResult
}

/** Every bound port of every target, in command-line order, as the command's environment names them. */
export function childPorts(forwards: readonly TargetForward[]): ChildPort[] {
  return forwards.flatMap(({bound, resolved}) => {
    if (!bound || !resolved) return []
    return bound.ports
      .map((p, i) => ({localPort: p.local, ok: bound.listeners.some(l => l.index === i), remote: resolved.remoteArgs[i]}))
      .filter(p => p.ok)
      .map(({localPort, remote}) => ({localPort, remote}))
  })
}

/** The svc/ targets as the Service variables see them: the local address and the local port of each forwarded service port. */
export function forwardedServices(forwards: readonly TargetForward[]): ForwardedService[] {
  return forwards.flatMap(({bound, resolved}) => {
    if (!bound || !resolved || resolved.ref.kind !== 'service' || !resolved.servicePorts) return []
    const service = resolved.object as Service
    const listeners = [...bound.listeners].sort((a, b) => a.family - b.family)
    if (listeners.length === 0) return []
    const localPorts = new Map<number, number>()
    for (const [i, servicePort] of resolved.servicePorts.entries()) {
      const listener = listeners.find(l => l.index === i)
      if (listener && !localPorts.has(servicePort.port)) localPorts.set(servicePort.port, listener.localPort)
    }
    return [{clusterIP: service.spec?.clusterIP, host: reachable(listeners[0].address), localPorts, name: service.metadata.name, servicePorts: service.spec?.ports ?? []}]
  })
}

/** Every variable svc hands on, in order: SVC_PORT, SVC_PORT_<REMOTE>, then each Service's (for --dotenv). */
export function forwardVariables(forwards: readonly TargetForward[]): Array<[string, string]> {
  return [...portVariables(childPorts(forwards)), ...serviceVariables(forwardedServices(forwards))]
}

/** A wildcard listen address as a client reaches it: 0.0.0.0 -> 127.0.0.1, :: -> ::1. */
function reachable(address: string): string {
  if (address === '0.0.0.0') return '127.0.0.1'
  return address === '::' ? '::1' : address
}

/** The hosts file's entries: the Services that have their own address, in order. */
export function hostsEntries(forwards: readonly TargetForward[]): HostsEntry[] {
  return forwards.flatMap(({address, namespace, resolved}) => (address && resolved ? [{address, name: resolved.ref.name, namespace}] : []))
}
