// `svc port-forward --all`: the Service watch (all-services.ts) wired to forwards. Each Service is
// a target of its own (`svc/NAME`, or `NAMESPACE/svc/NAME` when several namespaces are watched)
// forwarding every TCP port, followed by its endpoints as a svc/ target is; it comes and goes with
// the Service. After the ready event, a new Service is announced with `target-added` and a closed
// one with `target-removed`, and the --dotenv / --hosts-file files are written again.

import {endpointSlicesPath, serviceSlices} from '../kube/service-ops.ts'
import {endpointsFromSlices, type EndpointSlice} from './balancer.ts'
import type {TargetForward} from './forwards.ts'
import {type ServiceWatchHandler, ServiceWatch, serviceLabel, tcpPorts} from './all-services.ts'
import {createReporter, type SkippedEvent} from './output.ts'
import {isNumericPort} from './ports.ts'
import type {ResolvedTarget} from './resolve.ts'
import {checkAliases, makeSession, type StartContext} from './target-start.ts'
import {labelSelectorString, parseTarget, type Service, type ServicePort} from './targets.ts'

/** -A (every namespace), or the namespaces given with -n (the context's when none). */
export interface AllScope {
  namespaces?: string[]
  selector?: string
}

export interface AllForwards {
  /** Services that cannot be forwarded, as listed so far. */
  skipped: SkippedEvent[]
  /** Call once the ready event is out: from then on changes are announced and the files rewritten. */
  announced(onChange: () => void): void
}

/** Starts the watch; resolves once every Service of the first LISTs listens or is listed as skipped. */
export async function startAll(scope: AllScope, ctx: StartContext): Promise<AllForwards> {
  const handler = new AllServices(ctx, scope.namespaces === undefined || scope.namespaces.length > 1)
  const {request} = ctx
  await new ServiceWatch({
    client: request.client,
    handler,
    namespaces: scope.namespaces,
    onRetry: (error, delayMs) => request.log?.(`watch failed, retrying in ${delayMs}ms: ${(error as Error).message}`),
    selector: scope.selector,
    signal: ctx.stop,
  }).start()
  return {
    announced: change => {
      handler.onChange = change
    },
    skipped: handler.skippedList,
  }
}

/** What the Service watch does for --all: a forward per Service, the skipped list, the announcements. */
class AllServices implements ServiceWatchHandler {
  /** Services that cannot be forwarded, one entry per target (the latest reason). */
  readonly skippedList: SkippedEvent[] = []
  /** Set once the ready event is out: changes are announced from then on. */
  onChange: (() => void) | undefined
  private readonly ctx: StartContext
  /** Whether targets are named NAMESPACE/svc/NAME (several namespaces watched). */
  private readonly withNamespace: boolean

  constructor(ctx: StartContext, withNamespace: boolean) {
    this.ctx = ctx
    this.withNamespace = withNamespace
  }

  failed(svc: Service, error: unknown): void {
    this.ctx.reporter.error({message: `${serviceLabel(svc, this.withNamespace)}: ${(error as Error).message}`})
  }

  async podEndpoints(svc: Service): Promise<boolean> {
    const path = endpointSlicesPath(svc.metadata.namespace ?? '')
    const {body} = await this.ctx.request.client.request<{items?: EndpointSlice[]}>({path, query: {labelSelector: serviceSlices(svc.metadata.name)}, signal: this.ctx.stop})
    return endpointsFromSlices(body.items ?? []).size > 0
  }

  skipped(svc: Service, reason: string): void {
    const event = {namespace: svc.metadata.namespace ?? '', reason, target: serviceLabel(svc, this.withNamespace)}
    this.unskip(event.namespace, event.target)
    this.skippedList.push(event)
    this.ctx.reporter.skipped(event)
  }

  async start(svc: Service): Promise<void> {
    const {ctx} = this
    const label = serviceLabel(svc, this.withNamespace)
    const forward: TargetForward = {abort: new AbortController(), namespace: svc.metadata.namespace ?? '', spec: {portArgs: [], target: label}}
    this.unskip(forward.namespace, label)
    ctx.forwards.push(forward)
    try {
      const reporter = createReporter({live: ctx.live, mode: ctx.request.mode, sink: ctx.request.sink, target: label})
      await makeSession(forward, serviceTarget(svc), ctx, reporter, AbortSignal.any([ctx.stop, forward.abort?.signal ?? ctx.stop]))
      await checkAliases([forward])
      const session = forward.session
      if (!session) return
      forward.bound = await session.listen()
      void session.finished.then(error => {
        if (!error || !ctx.forwards.includes(forward)) return
        ctx.reporter.error({fatal: true, message: `${label}: ${error.message}`})
        void this.remove(forward).then(() => this.onChange?.())
      })
      if (this.onChange) {
        ctx.reporter.targetAdded(session.readyEvent())
        this.onChange()
      }
    } catch (error) {
      await this.remove(forward)
      throw error
    }
  }

  async stop(namespace: string, name: string, deleted: boolean): Promise<void> {
    const forward = this.ctx.forwards.find(f => f.namespace === namespace && f.resolved?.ref.name === name)
    if (!forward) return
    await this.remove(forward)
    this.ctx.reporter.targetRemoved({namespace, reason: deleted ? 'deleted' : 'changed', target: forward.spec.target})
    this.onChange?.()
  }

  private async remove(forward: TargetForward): Promise<void> {
    this.ctx.forwards.splice(this.ctx.forwards.indexOf(forward), 1)
    forward.abort?.abort()
    await forward.session?.close()
  }

  /** Takes a target off the skipped list (it is forwarded now, or skipped for another reason). */
  private unskip(namespace: string, target: string): void {
    const at = this.skippedList.findIndex(s => s.namespace === namespace && s.target === target)
    if (at >= 0) this.skippedList.splice(at, 1)
  }
}

/** A Service as a svc/ target forwarding every TCP port on a free local port (no pod needed: its endpoints are followed). */
export function serviceTarget(svc: Service): ResolvedTarget {
  const servicePorts = tcpPorts(svc)
  return {
    object: svc,
    ports: servicePorts.map(p => ({local: 0, remote: targetNumber(p)})),
    ref: parseTarget(`svc/${svc.metadata.name}`),
    remoteArgs: servicePorts.map(p => p.name || String(p.port)),
    remotePortsFor: () => servicePorts.map(targetNumber),
    selector: labelSelectorString({matchLabels: svc.spec?.selector ?? {}}),
    servicePorts,
  }
}

/** The port shown as `-> N`: a numeric targetPort, else the service port (a named targetPort differs per pod). */
function targetNumber(p: ServicePort): number {
  const target = p.targetPort
  if (typeof target === 'number' && target > 0) return target
  if (typeof target === 'string' && isNumericPort(target) && Number(target) > 0) return Number(target)
  return p.port
}
