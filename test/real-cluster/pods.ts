// Pods that answer on the real control plane. kwok runs no containers: for each pod on the kwok
// node this agent serves the local cluster's simulated containers (test/cluster/sim/containers.ts:
// echo, hostname, http, refuse, chosen per port by `sim.svc.local/port-N`) on loopback and keeps a
// PortForward object named after the pod that points kwok's port-forward at them; once that object
// exists it marks the pod with FORWARD_ANNOTATION, which kwok's start stage waits for
// (kwok-config.ts), so the pod is Running only when its ports can be forwarded. It also applies
// later flips of `sim.svc.local/ready` to the pod's status (kwok's start stage set the first value).

import {setTimeout as delay} from 'node:timers/promises'

import {PodContainers} from '../cluster/sim/containers.ts'
import {declaredTcpPorts, portBehaviour, simSettings} from '../cluster/sim/pod-status.ts'
import type {KubeClient} from '../../src/kube/client.ts'
import {ApiError} from '../../src/kube/errors.ts'
import {FORWARD_ANNOTATION} from './kwok-config.ts'

interface Served {
  uid: string
  containers: PodContainers
  /** the pod as last seen (its annotations pick each connection's behaviour) */
  pod: any
  /** whether the PortForward is published and the pod marked (publishWithRetry; tried again on the pod's next event if not) */
  published: boolean
}

const FIELD_MANAGER = 'svc-real-cluster'

function key(pod: any): string {
  return `${pod.metadata.namespace}/${pod.metadata.name}`
}

/** The Ready condition the pod should have, or undefined when kwok has not started it yet. */
function readinessFlip(pod: any): boolean | undefined {
  if (!pod.status?.podIP || pod.status?.phase !== 'Running' || pod.metadata.deletionTimestamp) return undefined
  const want = simSettings(pod).ready
  const have = (pod.status.conditions ?? []).find((c: any) => c.type === 'Ready')?.status === 'True'
  return want === have ? undefined : want
}

export class PodAgent {
  private readonly client: KubeClient
  private readonly served = new Map<string, Served>()
  private readonly abort = new AbortController()
  private readonly onError: (error: Error) => void
  private loop: Promise<void> | undefined

  constructor(client: KubeClient, onError: (error: Error) => void) {
    this.client = client
    this.onError = onError
  }

  /** Resolves once the first list has been applied; then follows the watch until stop(). */
  async start(): Promise<void> {
    const rv = await this.relist()
    this.loop = this.follow(rv)
  }

  async stop(): Promise<void> {
    this.abort.abort()
    await this.loop?.catch(() => {})
    for (const s of this.served.values()) s.containers.close()
    this.served.clear()
  }

  private async relist(): Promise<string> {
    const list = (await this.client.request<any>({path: '/api/v1/pods'})).body
    const seen = new Set<string>()
    for (const pod of list.items) {
      seen.add(key(pod))
      await this.apply(pod)
    }
    for (const [k, s] of this.served) {
      if (!seen.has(k)) {
        s.containers.close()
        this.served.delete(k)
      }
    }
    return list.metadata.resourceVersion
  }

  private async follow(resourceVersion: string): Promise<void> {
    let rv = resourceVersion
    while (!this.abort.signal.aborted) {
      try {
        for await (const event of this.client.watch('/api/v1/pods', {resourceVersion: rv}, this.abort.signal)) {
          const pod = event.object as any
          if (pod?.metadata?.resourceVersion) rv = pod.metadata.resourceVersion
          if (event.type === 'BOOKMARK') continue
          if (event.type === 'DELETED') this.forget(pod)
          else await this.apply(pod)
        }
      } catch {
        if (this.abort.signal.aborted) return
        // 410 Expired or a broken stream: start over from a fresh list.
        try {
          rv = await this.relist()
        } catch (relistError) {
          this.onError(relistError as Error)
          // A back-off before listing again, so an API server that is down is not asked in a
          // tight loop; closing the agent ends it at once.
          await delay(500, undefined, {signal: this.abort.signal}).catch(() => undefined)
        }
      }
    }
  }

  private forget(pod: any): void {
    const s = this.served.get(key(pod))
    if (s && s.uid === pod.metadata.uid) {
      s.containers.close()
      this.served.delete(key(pod))
    }
  }

  private async apply(pod: any): Promise<void> {
    const k = key(pod)
    let s = this.served.get(k)
    if (s && s.uid !== pod.metadata.uid) {
      s.containers.close()
      this.served.delete(k)
      s = undefined
    }
    if (!s) {
      s = {containers: undefined as unknown as PodContainers, pod, published: false, uid: pod.metadata.uid}
      const served = s
      s.containers = new PodContainers(pod.metadata.name, declaredTcpPorts(pod), port => portBehaviour(served.pod, port))
      this.served.set(k, s)
    }
    s.pod = pod
    if (!s.published && !pod.metadata.deletionTimestamp) await this.publishWithRetry(pod, s)
    const flip = readinessFlip(pod)
    if (flip !== undefined) {
      try {
        await this.setReady(pod, flip)
      } catch (error) {
        // 404/409: the pod went away or moved on; the next event brings the current state.
        if (!(error instanceof ApiError && [404, 409].includes(error.code))) this.onError(error as Error)
      }
    }
  }

  /**
   * Publishes the pod's PortForward and marks the pod. An error that may pass (a 429 of the API
   * server's priority and fairness, a 500, a broken connection) is tried again with a doubling
   * back-off (100 to 800 ms, five tries), as the kubelet's pod workers retry a failed sync
   * (pkg/kubelet/pod_workers.go): until the pod is marked, kwok keeps it Pending, and a pod already
   * bound may get no further event to retry on. 404, 409, or 422 for the uid (ObjectMeta's uid is
   * immutable): the pod went away or was replaced under its name; its successor's events bring it
   * back here.
   */
  private async publishWithRetry(pod: any, s: Served): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.publish(pod, s.containers)
        await this.markPublished(pod)
        s.published = true
        return
      } catch (error) {
        if (error instanceof ApiError && [404, 409, 422].includes(error.code)) return
        if (attempt === 4 || this.abort.signal.aborted) {
          this.onError(error as Error)
          return
        }
      }
      // A back-off between tries, not a wait for a state: the next try is what asks again (closing
      // the agent ends the pause at once).
      await delay(100 * 2 ** attempt, undefined, {signal: this.abort.signal}).catch(() => undefined)
    }
  }

  /** Creates or replaces the pod's PortForward (server-side apply), owned by the pod. */
  private async publish(pod: any, containers: PodContainers): Promise<void> {
    const forwards = []
    for (const port of declaredTcpPorts(pod)) {
      forwards.push({ports: [port], target: {address: '127.0.0.1', port: await containers.hostPort(port)}})
    }
    const body = {
      apiVersion: 'kwok.x-k8s.io/v1alpha1',
      kind: 'PortForward',
      metadata: {
        name: pod.metadata.name,
        namespace: pod.metadata.namespace,
        ownerReferences: [{apiVersion: 'v1', kind: 'Pod', name: pod.metadata.name, uid: pod.metadata.uid}],
      },
      spec: {forwards},
    }
    const path = `/apis/kwok.x-k8s.io/v1alpha1/namespaces/${pod.metadata.namespace}/portforwards/${pod.metadata.name}`
    await this.client.request({body, contentType: 'application/apply-patch+yaml', method: 'PATCH', path, query: {fieldManager: FIELD_MANAGER, force: true}})
    // A second write, one round trip later. kwok memoizes its PortForward list under the
    // informer's LastSyncResourceVersion (pkg/config/resources/cache.go cacheGetter.Get), which
    // client-go's reflector advances when it queues an event (tools/cache/reflector.go
    // handleWatch), before the store holds the object: a port-forward to another pod in between
    // memoizes the list without this one until the next PortForward event. This write is that
    // next event; it comes a round trip after the first, by when kwok's store holds the object
    // (unless kwok's informer lags by more than that).
    await this.client.request({body: {status: {pod: pod.metadata.uid}}, contentType: 'application/merge-patch+json', method: 'PATCH', path: `${path}/status`})
  }

  /**
   * Marks this pod (this uid: a pod recreated under the same name refuses the patch) as having its
   * PortForward, unless it already says so; kwok's start stage waits for the mark.
   */
  private async markPublished(pod: any): Promise<void> {
    if (pod.metadata.annotations?.[FORWARD_ANNOTATION] !== undefined) return
    await this.client.request({
      body: {metadata: {annotations: {[FORWARD_ANNOTATION]: 'published'}, uid: pod.metadata.uid}},
      contentType: 'application/merge-patch+json',
      method: 'PATCH',
      path: `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}`,
    })
  }

  /** What the kubelet's status manager writes when a container's readiness changes. */
  private async setReady(pod: any, ready: boolean): Promise<void> {
    const now = new Date().toISOString().replace(/\.\d+Z$/, 'Z')
    const names = (pod.spec.containers ?? []).map((c: any) => c.name)
    const condition = (type: string) => ({
      lastProbeTime: null, lastTransitionTime: now, message: ready ? null : `containers with unready status: [${names.join(' ')}]`,
      reason: ready ? null : 'ContainersNotReady', status: ready ? 'True' : 'False', type,
    })
    const patch = {
      metadata: {resourceVersion: pod.metadata.resourceVersion},
      status: {
        conditions: [condition('Ready'), condition('ContainersReady')],
        containerStatuses: (pod.status.containerStatuses ?? []).map((c: any) => ({...c, ready})),
      },
    }
    await this.client.request({
      body: patch,
      contentType: 'application/strategic-merge-patch+json',
      method: 'PATCH',
      path: `/api/v1/namespaces/${pod.metadata.namespace}/pods/${pod.metadata.name}/status`,
    })
  }
}
