// `svc port-forward` from parsed arguments to exit code: resolve the target, start following it,
// listen, then wait for a signal, a fatal error, or the end of `-- COMMAND`.

import {CliError, UsageError} from '../kube/errors.ts'
import {affinityTimeoutMs, Balancer, NamedPodTracker, PodTracker, ServiceTracker, type Tracker, type TrackerHooks} from './balancer.ts'
import {childEnvironment, type SignalSource, startChild} from './child.ts'
import type {ListWatchClient} from './informer.ts'
import {createReporter, type OutputMode, type Sink} from './output.ts'
import {parseAddresses} from './ports.ts'
import {type ResolvedTarget, resolveTarget} from './resolve.ts'
import {type ForwardFn, Session} from './session.ts'
import type {TransportControl} from './transport-mode.ts'
import type {Service} from './targets.ts'
import type {TunnelOpener, TunnelTarget} from './types.ts'

export {processSignals, type SignalSource} from './child.ts'

export interface PortForwardRequest {
  addresses: string[]
  client: ListWatchClient
  /** `-- COMMAND [ARGS...]`, when given. */
  command?: string[]
  env: NodeJS.ProcessEnv
  forward: ForwardFn
  /** Linger after a local half-close over a transport without one (ms; 0 = wait for the pod). */
  halfCloseTimeoutMs?: number
  /** Connections in a row failing with a permanent error before svc exits 1. */
  permanentErrorLimit?: number
  /** -v logging (watch retries at 6 and more). */
  log?: (line: string) => void
  mode: OutputMode
  namespace: string
  /** --one-pod: a svc/ target forwards to one pod at a time, as kubectl does. */
  onePod: boolean
  openTunnel: TunnelOpener<TunnelTarget>
  portArgs: string[]
  podRunningTimeoutMs: number
  signals: SignalSource
  sink: Sink
  /** Draw the live status line on stderr. */
  statusLine: boolean
  target: string
  transport?: TransportControl
  /** Watch retry backoff (tests shorten it). */
  watchBackoff?: {initialMs?: number; maxMs?: number}
}

export type {TransportControl} from './transport-mode.ts'

/** How long a command that ignores the signal we passed on may take before it is killed. */
const CHILD_KILL_GRACE_MS = 10_000

/** Runs the forward; resolves with the exit code, throws what the command must render. */
export async function portForward(request: PortForwardRequest): Promise<number> {
  if (request.podRunningTimeoutMs <= 0) throw new UsageError('--pod-running-timeout must be higher than zero')
  if ((request.halfCloseTimeoutMs ?? 0) < 0) throw new UsageError('--half-close-timeout must not be negative')
  if (request.permanentErrorLimit !== undefined && request.permanentErrorLimit < 1) throw new UsageError('--permanent-error-limit must be at least 1')
  const addresses = (() => {
    try {
      return parseAddresses(request.addresses)
    } catch (error) {
      throw new CliError((error as Error).message)
    }
  })()

  const stop = new AbortController()
  let interrupted: NodeJS.Signals | undefined
  let onSignal: (signal: NodeJS.Signals) => void = signal => {
    interrupted = signal
    stop.abort()
  }
  const catchSignals: NodeJS.Signals[] = request.command ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM']
  const unsubscribe = request.signals(catchSignals, signal => onSignal(signal))

  let session: Session | undefined
  try {
    let resolved: ResolvedTarget
    try {
      resolved = await resolveTarget(request.target, request.portArgs, {
        client: request.client, namespace: request.namespace, podRunningTimeoutMs: request.podRunningTimeoutMs, signal: stop.signal,
      })
    } catch (error) {
      if (interrupted) return 0
      throw error
    }
    if (interrupted) return 0

    const reporter = createReporter({mode: request.mode, sink: request.sink, statusLine: request.statusLine})
    const hooks: TrackerHooks = {
      fatal: error => session?.fatal(error),
      podGone: pod => {
        session?.podGone(pod)
        request.transport?.podGone?.(pod)
      },
      retry: (error, delayMs) => request.log?.(`watch failed, retrying in ${delayMs}ms: ${(error as Error).message}`),
      targetChanged: pods => session?.targetChanged(pods),
    }
    const tracker = makeTracker(resolved, request, hooks, stop.signal)
    await tracker.start()
    // kubectl dials before it listens; svc does the same for the first pod, so that the ready
    // event names the transport in use and the first connection does not pay for the upgrade.
    const firstPod = tracker.pods[0]
    if (firstPod && request.transport?.warm) await request.transport.warm(request.namespace, firstPod, stop.signal)
    if (interrupted) return 0
    const transport = request.transport
    session = new Session({
      addresses,
      forward: request.forward,
      halfCloseTimeoutMs: request.halfCloseTimeoutMs,
      permanentErrorLimit: request.permanentErrorLimit,
      namespace: request.namespace,
      openTunnel: request.openTunnel,
      ports: resolved.ports,
      reporter,
      target: request.target,
      tracker,
      ...(transport ? {transport: () => transport.name()} : {}),
    })
    const bound = await session.start()

    if (!request.command) {
      if (interrupted) return 0
      const signalled = new Promise<undefined>(resolve => {
        onSignal = signal => {
          interrupted = signal
          resolve(undefined)
        }
      })
      const fatal = await Promise.race([session.finished, signalled])
      if (fatal) throw fatal
      return 0
    }

    const ports = bound.ports
      .map((p, i) => ({localPort: p.local, remote: resolved.remoteArgs[i], ok: bound.listeners.some(l => l.index === i)}))
      .filter(p => p.ok)
    const child = startChild(request.command, {env: childEnvironment(request.env, ports), stderr: line => request.sink.stderr(`${line}\n`)})
    let killTimer: NodeJS.Timeout | undefined
    const passOn = (signal: NodeJS.Signals) => {
      child.kill(signal)
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), CHILD_KILL_GRACE_MS)
    }
    if (interrupted) passOn(interrupted)
    onSignal = passOn
    const outcome = await Promise.race([
      child.exited.then(code => ({code})),
      session.finished.then(error => ({error})),
    ])
    if ('error' in outcome) {
      // The forward is gone for good: the command cannot use it any more.
      passOn('SIGTERM')
      await child.exited
      clearTimeout(killTimer)
      if (outcome.error) throw outcome.error
      return 1
    }
    clearTimeout(killTimer)
    return outcome.code
  } finally {
    unsubscribe()
    stop.abort()
    await session?.close()
    request.transport?.close?.()
  }
}

function makeTracker(resolved: ResolvedTarget, request: PortForwardRequest, hooks: TrackerHooks, signal: AbortSignal): Tracker {
  const common = {backoff: request.watchBackoff, client: request.client, hooks, namespace: request.namespace, signal, waitTimeoutMs: request.podRunningTimeoutMs}
  const {ref} = resolved
  if (ref.kind === 'pod') {
    return new NamedPodTracker({...common, pod: resolved.pod, ports: resolved.ports.map(p => p.remote)})
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
    initialPod: resolved.pod,
    label: `${ref.kind}/${ref.name}`,
    portsFor: resolved.remotePortsFor,
    selector: resolved.selector ?? '',
  })
}
