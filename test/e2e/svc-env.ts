// A local cluster (its simulation runs Deployments and pods), a kubeconfig on disk, an API client for setting
// objects up, and runSvc bound to that kubeconfig: what the get/describe/delete end-to-end tests
// share. SVC_NOW freezes the clock svc uses for ages, so AGE columns are exact.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import type {Service, UnstructuredObject} from '../../src/kube/types.ts'
import {type LocalCluster, startCluster} from '../cluster/index.ts'
import {type RunOptions, type RunResult, runSvc} from '../helpers/run-svc.ts'

export interface SvcEnv {
  api: KubeClient
  cluster: LocalCluster
  /** Creates an object under an API path (e.g. /api/v1/namespaces/default/services). */
  create<T = UnstructuredObject>(apiPath: string, body: unknown): Promise<T>
  /** Reads what an API path holds (a Service unless told; a list is a `List<T>`). */
  get<T = Service>(apiPath: string, query?: Record<string, string>): Promise<T>
  kubeconfig: string
  /** Runs the built svc with --kubeconfig; `now` (ms) sets SVC_NOW. */
  svc(args: string[], options?: RunOptions & {now?: number}): Promise<RunResult>
  stop(): Promise<void>
}

export async function startEnv(): Promise<SvcEnv> {
  const cluster = await startCluster()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-e2e-'))
  const kubeconfig = path.join(dir, 'kubeconfig')
  cluster.writeKubeconfig(kubeconfig)
  const kc = new KubeConfig()
  kc.loadFromFile(kubeconfig)
  const api = new KubeClient(kc)
  return {
    api,
    cluster,
    async create<T>(apiPath: string, body: unknown): Promise<T> {
      return (await api.request<T>({body, method: 'POST', path: apiPath})).body
    },
    async get<T>(apiPath: string, query?: Record<string, string>): Promise<T> {
      return (await api.request<T>({path: apiPath, query})).body
    },
    kubeconfig,
    svc(args, options = {}) {
      const env = {...options.env, ...(options.now === undefined ? {} : {SVC_NOW: String(options.now)})}
      return runSvc([...args, '--kubeconfig', kubeconfig], {...options, env})
    },
    async stop() {
      await cluster.stop()
      fs.rmSync(dir, {force: true, recursive: true})
    },
  }
}

/** What a list request answers, as far as the tests read it. */
export interface List<T> {
  items: T[]
}

export const SERVICES = '/api/v1/namespaces/default/services'
export const DEPLOYMENTS = '/apis/apps/v1/namespaces/default/deployments'

/** A Deployment whose pods serve `ports` (name -> containerPort); annotations go on the pods. */
export function deployment(name: string, replicas: number, ports: Record<string, number>, podAnnotations: Record<string, string> = {}): unknown {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {labels: {app: name}, name},
    spec: {
      replicas,
      selector: {matchLabels: {app: name}},
      template: {
        metadata: {annotations: podAnnotations, labels: {app: name}},
        spec: {containers: [{image: 'nginx', name: 'app', ports: Object.entries(ports).map(([n, p]) => ({containerPort: p, name: n, protocol: 'TCP'}))}]},
      },
    },
  }
}

/** The tests' one polling helper, re-exported for the e2e tests that import it from here. */
export {until} from '../helpers/poll.ts'
