// Either cluster from one test body. SVC_TEST_CLUSTER picks which: `local` (the default: our own
// API server, test/cluster), `real` (the real control plane, test/real-cluster) or `both`. A test
// file loops over clusterKinds() and starts each with startTestCluster(kind).
//
// `npm run test:real` starts one real control plane for the whole tier and hands its kubeconfigs
// over in SVC_REAL_CLUSTER_DIR (one file per user), so the tier pays the start once.

import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../../src/kube/client.ts'
import {startCluster} from '../cluster/index.ts'
import {type RealUser, startRealCluster} from '../real-cluster/index.ts'

export type ClusterKind = 'local' | 'real'
export type TestUser = RealUser

export interface TestCluster {
  kind: ClusterKind
  /** An admin client for arranging objects. */
  client: KubeClient
  /** The path of a kubeconfig file for `user` (token by default). */
  kubeconfig(user?: TestUser): string
  stop(): Promise<void>
}

/** The clusters the current run asks for (SVC_TEST_CLUSTER). */
export function clusterKinds(): ClusterKind[] {
  const raw = (process.env.SVC_TEST_CLUSTER ?? 'local').trim()
  if (raw === 'both') return ['local', 'real']
  if (raw === 'local' || raw === 'real') return [raw]
  throw new Error(`SVC_TEST_CLUSTER=${JSON.stringify(raw)}: want local, real or both`)
}

/** The kubeconfig file name of a user in SVC_REAL_CLUSTER_DIR. */
export function realKubeconfigName(user: TestUser): string {
  return `kubeconfig-${user}`
}

function clientFor(kubeconfigText: string): KubeClient {
  const kc = new KubeConfig()
  kc.loadFromString(kubeconfigText)
  return new KubeClient(kc, {timeoutMs: 10_000})
}

export async function startTestCluster(kind: ClusterKind): Promise<TestCluster> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `svc-${kind}-`))
  const cleanup = () => fs.rmSync(dir, {force: true, recursive: true})
  if (kind === 'local') {
    const cluster = await startCluster()
    const files: Partial<Record<TestUser, string>> = {}
    return {
      client: clientFor(cluster.kubeconfig('token')),
      kind,
      kubeconfig(user = 'token') {
        files[user] ??= path.join(dir, realKubeconfigName(user))
        cluster.writeKubeconfig(files[user], user)
        return files[user]
      },
      async stop() {
        await cluster.stop()
        cleanup()
      },
    }
  }
  const shared = process.env.SVC_REAL_CLUSTER_DIR
  if (shared) {
    cleanup()
    return {
      client: clientFor(fs.readFileSync(path.join(shared, realKubeconfigName('token')), 'utf8')),
      kind,
      kubeconfig: (user = 'token') => path.join(shared, realKubeconfigName(user)),
      async stop() {},
    }
  }
  const cluster = await startRealCluster()
  return {
    client: clientFor(cluster.kubeconfig('token')),
    kind,
    kubeconfig(user = 'token') {
      const file = path.join(dir, realKubeconfigName(user))
      if (!fs.existsSync(file)) cluster.writeKubeconfig(file, user)
      return file
    },
    async stop() {
      await cluster.stop()
      cleanup()
    },
  }
}
