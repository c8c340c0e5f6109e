// One target of `svc port-forward` from its resolved form to a session ready to listen: the
// tracker that follows its pods, the transport warmed for its first pod, its own address under
// --address-per-service. Shared by the command-line targets (run.ts) and --all (all-run.ts).

import {CliError} from '../kube/errors.ts'
import {missingAliasMessage, type ServiceAddresses} from './addresses.ts'
import {affinityTimeoutMs, Balancer, NamedPodTracker, PodTracker, ServiceTracker, type Tracker, type TrackerHooks} from './balancer.ts'
import type {TargetForward, Via} from './forwards.ts'
import {unconfiguredAddresses} from './listener.ts'
import type {Reporter} from './output.ts'
import type {LiveArea} from './panel.ts'
import {type ForwardedPort, type ListenAddress, parseAddresses} from './ports.ts'
import type {ResolvedTarget} from './resolve.ts'
import type {PortForwardRequest} from './run.ts'
import {Session} from './session.ts'
import type {Pod, Service} from './targets.ts'

export interface StartContext {
  addresses: ListenAddress[]
  /** --address-per-service. */
  addressBook?: ServiceAddresses
  /** The live panel (several targets on a terminal): every reporter prints around it. */
  live?: LiveArea
  /** Filled as targets start, so that the caller closes every session whatever happens. */
  forwards: TargetForward[]
  reporter: Reporter
  request: PortForwardRequest
  stop: AbortSignal
}

/** The target's connection: its context's, or the command's. */
export function viaOf(forward: TargetForward, request: PortForwardRequest): Via {
  return forward.via ?? {client: request.client, openTunnel: request.openTunnel, transport: request.transport}
}

/**
 * Follows a resolved target's pods and makes its session (not listening yet). The tracker lives
 * until the command stops, or until the target's own `abort` (--all: a deleted Service).
 */
export async function makeSession(forward: TargetForward, resolved: ResolvedTarget, ctx: StartContext, reporter: Reporter, signal: AbortSignal): Promise<void> {
  const {request} = ctx
  const via = viaOf(forward, request)
  forward.resolved = resolved
  const hooks: TrackerHooks = {
    fatal: error => forward.session?.fatal(error),
    podGone: pod => {
      forward.session?.podGone(pod)
      via.transport?.podGone?.(pod)
    },
    retry: (error, delayMs) => request.log?.(`watch failed, retrying in ${delayMs}ms: ${(error as Error).message}`),
    targetChanged: pods => forward.session?.targetChanged(pods),
  }
  // Trackers live as long as the command (or the target), not just the start-up.
  const lifetime = forward.abort ? AbortSignal.any([ctx.stop, forward.abort.signal]) : ctx.stop
  const tracker = makeTracker(resolved, {...request, client: via.client, namespace: forward.namespace}, hooks, lifetime)
  await tracker.start()
  // kubectl dials before it listens; svc does the same for the first pod, so that the ready
  // event names the transport in use and the first connection does not pay for the upgrade.
  const firstPod = tracker.pods[0]
  if (firstPod && via.transport?.warm) await via.transport.warm(forward.namespace, firstPod, signal)
  if (signal.aborted) return
  const transport = via.transport
  const own = ctx.addressBook && ownAddress(forward, resolved, ctx.addressBook)
  forward.session = new Session({
    addresses: own?.addresses ?? (forward.spec.address ? parseAddresses([forward.spec.address]) : ctx.addresses),
    ...(own ? {address: forward.address} : {}),
    forward: request.forward,
    halfCloseTimeoutMs: request.halfCloseTimeoutMs,
    permanentErrorLimit: request.permanentErrorLimit,
    namespace: forward.namespace,
    openTunnel: via.openTunnel,
    ports: own?.ports ?? resolved.ports,
    reporter,
    target: forward.spec.target,
    tracker,
    ...(transport ? {transport: () => transport.name()} : {}),
  })
}

/**
 * --address-per-service for a svc/ target: its own address, and its ports keeping the service
 * port numbers (`:80`, or `80`) where the OS allows, else a free port. Other targets: undefined.
 */
function ownAddress(forward: TargetForward, resolved: ResolvedTarget, book: ServiceAddresses): {addresses: ListenAddress[]; ports: ForwardedPort[]} | undefined {
  if (resolved.ref.kind !== 'service' || !resolved.servicePorts) return undefined
  forward.address = book.get(forward.namespace, resolved.ref.name)
  const servicePorts = resolved.servicePorts
  const ports = resolved.ports.map((p, i) => {
    const keep = servicePorts[i].port
    return p.local === 0 || p.local === keep ? {...p, fallbackToFree: true, local: keep} : p
  })
  return {addresses: [{address: forward.address, failureMode: 'any', family: 4}], ports}
}

/** On macOS, the Services' own addresses must be aliased on lo0: say which are missing, before anything listens. */
export async function checkAliases(forwards: readonly TargetForward[]): Promise<void> {
  if (process.platform !== 'darwin') return
  const missing = await unconfiguredAddresses(forwards.flatMap(f => (f.address ? [f.address] : [])))
  if (missing.length > 0) throw new CliError(missingAliasMessage(missing))
}

/** The tracker of a target: a pod by name, a Service's endpoints, or one pod of a selector. */
function makeTracker(resolved: ResolvedTarget, request: PortForwardRequest, hooks: TrackerHooks, signal: AbortSignal): Tracker {
  const common = {backoff: request.watchBackoff, client: request.client, hooks, namespace: request.namespace, signal, waitTimeoutMs: request.podRunningTimeoutMs}
  const {pod, ref} = resolved
  if (!pod && (ref.kind !== 'service' || request.onePod)) throw new CliError('--one-pod does not combine with --all: --all follows each Service\'s endpoints')
  if (ref.kind === 'pod') {
    return new NamedPodTracker({...common, pod: pod as Pod, ports: resolved.ports.map(p => p.remote)})
  }
  if (ref.kind === 'service' && !request.onePod) {
    const svc = resolved.object as Service
    return new ServiceTracker({
      ...common,
      balancer: new Balancer({affinityTimeoutMs: affinityTimeoutMs(svc.spec)}),
      headless: svc.spec?.clusterIP === 'None',
      serviceName: svc.metadata.name,
      servicePorts: resolved.servicePorts ?? [],
    })
  }
  return new PodTracker({
    ...common,
    initialPod: pod as Pod,
    label: `${ref.kind}/${ref.name}`,
    portsFor: resolved.remotePortsFor,
    selector: resolved.selector ?? '',
  })
}
