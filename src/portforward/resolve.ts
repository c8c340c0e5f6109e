// The I/O half of target resolution, in kubectl's order (port-forward Complete + RunPortForward):
// read the object, choose the pod (waiting up to --pod-running-timeout when no pod matches yet),
// refuse UDP-only ports, translate service/named ports, re-read the pod and require Running,
// then parse the numeric port pairs.

import {CliError} from '../kube/errors.ts'
import type {ListWatchClient} from './informer.ts'
import {type ForwardedPort, parsePorts, splitPort} from './ports.ts'
import {
  bestPod, checkUdpInPod, checkUdpInService, convertPodNamedPorts, objectPath, parseTarget, type Pod, selectorForObject,
  type Service, type ServicePort, type TargetRef, translateServicePorts, type Workload,
} from './targets.ts'

export interface ResolvedTarget {
  ref: TargetRef
  /** The object named on the command line. */
  object: Pod | Service | Workload
  /** The pod kubectl would forward to (Running); absent for --all's Services, which follow their endpoints. */
  pod?: Pod
  /** Local and remote (container) ports for that pod, one per PORT argument. */
  ports: ForwardedPort[]
  /** For svc/ targets: the service port behind each PORT argument. */
  servicePorts?: ServicePort[]
  /** For svc/, deployment/ and rs/ targets: the label selector of their pods. */
  selector?: string
  /** The remote (container) port of each PORT argument for another pod of the same target. */
  remotePortsFor: (pod: Pod) => number[]
  /** The REMOTE part of each PORT argument as typed (a number or a name). */
  remoteArgs: string[]
}

export interface ResolveOptions {
  client: ListWatchClient
  namespace: string
  /** --pod-running-timeout, in ms. */
  podRunningTimeoutMs: number
  signal?: AbortSignal
}

export async function resolveTarget(targetArg: string, portArgs: readonly string[], options: ResolveOptions): Promise<ResolvedTarget> {
  const {client, namespace} = options
  let ref: TargetRef
  try {
    ref = parseTarget(targetArg)
  } catch (error) {
    throw new CliError((error as Error).message)
  }
  const object = (await client.request<Pod | Service | Workload>({path: objectPath(ref.resource, namespace, ref.name), signal: options.signal})).body

  let chosen: Pod
  let selector: string | undefined
  if (ref.kind === 'pod') {
    chosen = object as Pod
  } else {
    selector = wrap(() => selectorForObject(ref.kind as Exclude<typeof ref.kind, 'pod'>, object as Service | Workload))
    chosen = await firstPod(client, namespace, selector, options.podRunningTimeoutMs, options.signal)
  }

  let servicePorts: ServicePort[] | undefined
  let specs: string[]
  let remotePortsFor: (pod: Pod) => number[]
  if (ref.kind === 'service') {
    const svc = object as Service
    const translated = wrap(() => {
      checkUdpInService(portArgs, svc)
      return translateServicePorts(portArgs, svc, chosen)
    })
    servicePorts = translated.map(t => t.servicePort as ServicePort)
    specs = translated.map(t => t.spec)
    remotePortsFor = pod => translateServicePorts(portArgs, svc, pod).map(t => parsePorts([t.spec])[0].remote)
  } else {
    specs = wrap(() => {
      checkUdpInPod(portArgs, chosen)
      return convertPodNamedPorts(portArgs, chosen).map(t => t.spec)
    })
    remotePortsFor = pod => convertPodNamedPorts(portArgs, pod).map(t => parsePorts([t.spec])[0].remote)
  }

  // RunPortForward reads the pod again and insists on Running.
  const pod = (await client.request<Pod>({path: objectPath('pods', namespace, chosen.metadata.name), signal: options.signal})).body
  if (pod.status?.phase !== 'Running') {
    throw new CliError(`unable to forward port because pod is not running. Current status=${pod.status?.phase ?? ''}`)
  }
  const ports = wrap(() => parsePorts(specs))
  return {
    object, pod, ports, ref, remoteArgs: portArgs.map(a => splitPort(a).remote), remotePortsFor, selector,
    ...(servicePorts ? {servicePorts} : {}),
  }
}

/**
 * kubectl's GetFirstPod: the best pod of a LIST by the selector; when there is none, WATCH from
 * the list's resourceVersion for the first pod ADDED or MODIFIED, up to the timeout.
 */
export async function firstPod(client: ListWatchClient, namespace: string, selector: string, timeoutMs: number, signal?: AbortSignal): Promise<Pod> {
  const path = objectPath('pods', namespace)
  const list = (await client.request<{items?: Pod[]; metadata?: {resourceVersion?: string}}>({path, query: {labelSelector: selector}, signal})).body
  const best = bestPod(list.items ?? [])
  if (best) return best

  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), timeoutMs)
  const onAbort = () => controller.abort()
  signal?.addEventListener('abort', onAbort, {once: true})
  try {
    const events = client.watch<Pod>(path, {labelSelector: selector, resourceVersion: list.metadata?.resourceVersion}, controller.signal)
    for await (const event of events) {
      if (event.type === 'ADDED' || event.type === 'MODIFIED') return event.object
    }
    // client-go's UntilWithoutRetry when the server ends the watch first.
    throw new CliError('watch closed before UntilWithoutRetry timeout')
  } catch (error) {
    if (error instanceof CliError) throw error
    if (controller.signal.aborted) throw new CliError('timed out waiting for the condition')
    throw error
  } finally {
    clearTimeout(timer)
    signal?.removeEventListener('abort', onAbort)
  }
}

function wrap<T>(fn: () => T): T {
  try {
    return fn()
  } catch (error) {
    if (error instanceof CliError) throw error
    throw new CliError((error as Error).message)
  }
}
