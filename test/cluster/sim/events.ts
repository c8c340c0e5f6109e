// core/v1 Events as a 1.35 cluster shows them. Two shapes exist:
// - legacy recorders (kubelet, deployment-controller, replicaset-controller; client-go
//   tools/record): source {component, host}, reportingComponent = source.component,
//   reportingInstance = source.host, count 1, firstTimestamp = lastTimestamp, eventTime null;
//   a repeated identical event bumps count and lastTimestamp;
// - events.k8s.io recorders (default-scheduler): eventTime with microseconds, action, source {},
//   reportingComponent/reportingInstance, first/lastTimestamp null and no count.
// Names are "<involvedObject.name>.<unix nanoseconds in hex>" in both cases.
//
// Services get no events in a cluster without a cloud provider: the service controller that
// records EnsuringLoadBalancer / Type / ... runs in a cloud-controller-manager, and the endpoints
// and endpointslice controllers record only failures. So the simulation records none for them.

import {rfc3339, rfc3339Micro} from './meta.ts'
import type {SimStore} from './types.ts'
import {R} from './types.ts'

let lastNanos = 0n

/** Strictly increasing Unix nanoseconds (for unique event names within one process). */
export function uniqueNanos(now: Date): bigint {
  let n = BigInt(now.getTime()) * 1_000_000n + (process.hrtime.bigint() % 1_000_000n)
  if (n <= lastNanos) n = lastNanos + 1n
  lastNanos = n
  return n
}

export function eventName(objectName: string, nanos: bigint): string {
  return `${objectName}.${nanos.toString(16)}`
}

/** ref.GetReference: what involvedObject holds (fieldPath for a container). */
export function objectReference(obj: any, apiVersion: string, kind: string, fieldPath?: string): any {
  const ref: any = {apiVersion, kind, name: obj.metadata.name, namespace: obj.metadata.namespace}
  if (obj.metadata.resourceVersion != null) ref.resourceVersion = String(obj.metadata.resourceVersion)
  if (obj.metadata.uid != null) ref.uid = obj.metadata.uid
  if (fieldPath) ref.fieldPath = fieldPath
  return ref
}

export interface LegacyEventInput {
  involvedObject: any
  type: 'Normal' | 'Warning'
  reason: string
  message: string
  component: string
  host?: string
  now: Date
  nanos?: bigint
}

export function legacyEvent(input: LegacyEventInput): any {
  const t = rfc3339(input.now)
  const source: any = {component: input.component}
  if (input.host) source.host = input.host
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {
      name: eventName(input.involvedObject.name, input.nanos ?? uniqueNanos(input.now)),
      namespace: input.involvedObject.namespace || 'default',
    },
    involvedObject: input.involvedObject,
    reason: input.reason,
    message: input.message,
    source,
    firstTimestamp: t,
    lastTimestamp: t,
    count: 1,
    type: input.type,
    eventTime: null,
    reportingComponent: input.component,
    reportingInstance: input.host ?? '',
  }
}

export interface SchedulerEventInput {
  pod: any
  nodeName: string
  schedulerHost: string
  now: Date
  nanos?: bigint
}

/** The Scheduled event of default-scheduler, read back through core/v1. */
export function scheduledEvent(input: SchedulerEventInput): any {
  const pod = input.pod
  return {
    apiVersion: 'v1',
    kind: 'Event',
    metadata: {name: eventName(pod.metadata.name, input.nanos ?? uniqueNanos(input.now)), namespace: pod.metadata.namespace},
    involvedObject: objectReference(pod, 'v1', 'Pod'),
    reason: 'Scheduled',
    message: `Successfully assigned ${pod.metadata.namespace}/${pod.metadata.name} to ${input.nodeName}`,
    source: {},
    firstTimestamp: null,
    lastTimestamp: null,
    type: 'Normal',
    eventTime: rfc3339Micro(input.now),
    action: 'Binding',
    reportingComponent: 'default-scheduler',
    reportingInstance: `default-scheduler-${input.schedulerHost}`,
  }
}

function correlationKey(ev: any): string {
  const io = ev.involvedObject ?? {}
  return JSON.stringify([ev.source?.component, ev.source?.host, io.apiVersion, io.kind, io.namespace, io.name, io.uid, io.fieldPath, ev.type, ev.reason, ev.message])
}

/**
 * Writes events to the store. Identical legacy events (same source, object, type, reason and
 * message) are aggregated the way the client-go EventCorrelator does: count + 1, new lastTimestamp.
 */
export class EventRecorder {
  private readonly store: SimStore
  private readonly seen = new Map<string, {namespace: string; name: string}>()

  constructor(store: SimStore) {
    this.store = store
  }

  async record(event: any): Promise<void> {
    if (event.count == null) {
      await this.store.create(R.events, event)
      return
    }
    const k = correlationKey(event)
    const prior = this.seen.get(k)
    if (prior) {
      const existing = await this.store.get(R.events, prior.namespace, prior.name)
      if (existing) {
        await this.store.update(R.events, {...existing, count: (existing.count ?? 1) + 1, lastTimestamp: event.lastTimestamp})
        return
      }
    }
    const created = await this.store.create(R.events, event)
    const meta = created?.metadata ?? event.metadata
    this.seen.set(k, {namespace: meta.namespace, name: meta.name})
  }
}
