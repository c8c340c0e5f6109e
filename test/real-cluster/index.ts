/**
 * The real control plane for the tests: etcd, kube-apiserver, kube-controller-manager and
 * kube-scheduler built from the upstream Go modules, kwok as the node agent, all on loopback and
 * free ports, each in its own process group. startRealCluster() gives the same kubeconfig users as
 * the local cluster (token, cert, readonly) plus create-only and get-only (the two verbs on
 * pods/portforward; the local cluster's policy, RBAC_OBJECTS), a kwok-managed Node, and pods that
 * answer (pods.ts).
 */
import {type ChildProcess, spawn} from 'node:child_process'
import {generateKeyPairSync, randomBytes} from 'node:crypto'
import {mkdtempSync, openSync, closeSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'

import {KubeConfig} from '@kubernetes/client-node'
import yaml from 'js-yaml'

import {KubeClient} from '../../src/kube/client.ts'
import {ApiError} from '../../src/kube/errors.ts'
import {RBAC_OBJECTS} from '../cluster/auth.ts'
import {until as poll} from '../helpers/poll.ts'
import {createPKI} from '../cluster/certs.ts'
import {type Binaries, ensureBinaries} from './build.ts'
import {NODE_ANNOTATION, NODE_NAME, nodeObject, podStages, portForwardCrd} from './kwok-config.ts'
import {recordFile, stopLeftovers, writeRecord} from './leftovers.ts'
import {PodAgent} from './pods.ts'

export type RealUser = 'cert' | 'create-only' | 'get-only' | 'readonly' | 'token'
export const REAL_USERS: RealUser[] = ['token', 'cert', 'readonly', 'create-only', 'get-only']

export interface RealStartOptions {
  /** the API server's port (default: a free one) */
  port?: number
  kubeVersion?: string
  /** progress lines (builds, start); default: stderr */
  log?: (line: string) => void
}

export interface RealCluster {
  readonly url: string
  readonly port: number
  readonly binaries: Binaries
  /** the folder with certificates, configuration and each component's log */
  readonly dir: string
  kubeconfig(user?: RealUser): string
  writeKubeconfig(file: string, user?: RealUser): void
  stop(): Promise<void>
}

/** The service range kind and kubeadm use (and the local cluster's). */
export const SERVICE_CIDR = '10.96.0.0/12'

/** A free loopback port (the kernel's pick; released at once for the component to bind). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer()
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as net.AddressInfo
      server.close(() => resolve(port))
    })
  })
}

interface Proc {
  binary: string
  name: string
  child: ChildProcess
  exited: Promise<void>
  log: string
}

/** Starts a component in its own process group (so stop() reaches every child it forks), output to DIR/NAME.log. */
function startProcess(dir: string, name: string, binary: string, args: string[]): Proc {
  const log = path.join(dir, `${name}.log`)
  const fd = openSync(log, 'a')
  const child = spawn(binary, args, {cwd: dir, detached: true, env: {...process.env, HOME: dir}, stdio: ['ignore', fd, fd]})
  closeSync(fd)
  const exited = new Promise<void>(resolve => {
    if (child.exitCode !== null || child.signalCode !== null) resolve()
    else child.once('exit', () => resolve())
  })
  child.on('error', () => {})
  return {binary, child, exited, log, name}
}

async function stopProcess(proc: Proc): Promise<void> {
  const {pid} = proc.child
  if (pid === undefined || proc.child.exitCode !== null || proc.child.signalCode !== null) return
  const signal = (sig: NodeJS.Signals) => {
    try {
      process.kill(-pid, sig)
    } catch {
      // the group is gone
    }
  }
  signal('SIGTERM')
  const timer = setTimeout(() => signal('SIGKILL'), 5000)
  await proc.exited
  clearTimeout(timer)
  // Anything the component forked and left behind in its group.
  signal('SIGKILL')
}

function tail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n')
  } catch {
    return ''
  }
}

/**
 * Polls `check` (test/helpers/poll.ts's `until`, every 100 ms) until it returns a value; fails
 * naming `what`, or at once naming a component that died meanwhile. A thrown error means "not yet".
 */
async function until<T>(procs: Proc[], what: string, check: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const found = await poll(async (): Promise<{dead: Proc} | {value: T} | undefined> => {
    const dead = procs.find(p => p.child.exitCode !== null || p.child.signalCode !== null)
    if (dead) return {dead}
    const value = await check().catch(() => undefined)
    return value === undefined ? undefined : {value}
  }, what, {intervalMs: 100, timeoutMs})
  if ('dead' in found) {
    const {child, log, name} = found.dead
    throw new Error(`${name} exited (${child.exitCode ?? child.signalCode}) while waiting for ${what}:\n${tail(log)}`)
  }
  return found.value
}

function collectionPath(obj: any): string {
  const [group, version] = obj.apiVersion.includes('/') ? obj.apiVersion.split('/') : ['', obj.apiVersion]
  const base = group ? `/apis/${group}/${version}` : `/api/${version}`
  return `${base}/${obj.kind.toLowerCase()}s`
}

async function createAll(client: KubeClient, objects: any[]): Promise<void> {
  for (const obj of objects) {
    try {
      await client.request({body: obj, method: 'POST', path: collectionPath(obj)})
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 409)) throw error
    }
  }
}

export async function startRealCluster(options: RealStartOptions = {}): Promise<RealCluster> {
  const log = options.log ?? (line => process.stderr.write(`real-cluster: ${line}\n`))
  const binaries = await ensureBinaries({kubeVersion: options.kubeVersion ?? process.env.SVC_REAL_KUBE_VERSION, log})
  await stopLeftovers(log)
  const started = Date.now()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-real-cluster-'))
  const file = (name: string, content: string) => {
    const p = path.join(dir, name)
    writeFileSync(p, content, {mode: 0o600})
    return p
  }
  const pki = createPKI()
  const sa = generateKeyPairSync('ec', {namedCurve: 'P-256'})
  const tokens = {
    'create-only': `co-${randomBytes(24).toString('hex')}`,
    'get-only': `go-${randomBytes(24).toString('hex')}`,
    readonly: `ro-${randomBytes(24).toString('hex')}`,
    token: `svc-${randomBytes(24).toString('hex')}`,
  }
  const f = {
    ca: file('ca.crt', pki.ca.certPem),
    serverCert: file('apiserver.crt', pki.server.certPem),
    serverKey: file('apiserver.key', pki.server.keyPem),
    adminCert: file('admin.crt', pki.admin.certPem),
    adminKey: file('admin.key', pki.admin.keyPem),
    saKey: file('sa.key', sa.privateKey.export({format: 'pem', type: 'pkcs8'}) as string),
    saPub: file('sa.pub', sa.publicKey.export({format: 'pem', type: 'spki'}) as string),
    // token,user,uid,"group1,group2" (the API server's --token-auth-file format)
    tokens: file('tokens.csv', [
      `${tokens.token},token,token,"system:masters"`,
      `${tokens.readonly},readonly,readonly`,
      `${tokens['create-only']},create-only,create-only`,
      `${tokens['get-only']},get-only,get-only`,
    ].join('\n') + '\n'),
    kwokConfig: file('kwok.yaml', podStages()),
  }
  const [etcdPort, etcdPeerPort, kwokPort] = [await freePort(), await freePort(), await freePort()]
  const port = options.port || await freePort()
  const url = `https://127.0.0.1:${port}`

  const kubeconfigDoc = (user: RealUser): string => {
    const context = user === 'token' ? 'local' : `local-${user}`
    const userEntry = (name: RealUser) => name === 'cert'
      ? {name, user: {'client-certificate-data': Buffer.from(pki.admin.certPem).toString('base64'), 'client-key-data': Buffer.from(pki.admin.keyPem).toString('base64')}}
      : {name, user: {token: tokens[name]}}
    const doc = {
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{name: 'local', cluster: {server: url, 'certificate-authority-data': Buffer.from(pki.ca.certPem).toString('base64')}}],
      users: REAL_USERS.map(userEntry),
      contexts: REAL_USERS.map(u => ({name: u === 'token' ? 'local' : `local-${u}`, context: {cluster: 'local', user: u, namespace: 'default'}})),
      'current-context': context,
      preferences: {},
    }
    return yaml.dump(doc, {lineWidth: -1, noRefs: true})
  }
  const componentKubeconfig = file('components.kubeconfig', kubeconfigDoc('cert'))

  const procs: Proc[] = []
  // This run's record for the next start to find should this process die without stop().
  const record = (): void => writeRecord({
    components: procs.map(p => ({binary: p.binary, name: p.name, pid: p.child.pid!})).filter(c => c.pid !== undefined),
    dir,
    launcher: {exe: process.execPath, pid: process.pid},
  })
  const launch = (name: string, binary: string, args: string[]): void => {
    procs.push(startProcess(dir, name, binary, args))
    record()
  }
  const agentErrors: Error[] = []
  let agent: PodAgent | undefined
  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> => {
    stopped ??= (async () => {
      await agent?.stop()
      // Clients first, etcd last.
      for (const p of [...procs].reverse()) await stopProcess(p)
      rmSync(dir, {force: true, recursive: true})
      rmSync(recordFile(), {force: true})
    })()
    return stopped
  }

  try {
    const loopback = (p: number) => `http://127.0.0.1:${p}`
    launch('etcd', binaries.etcd, [
      '--name=svc-test', `--data-dir=${path.join(dir, 'etcd')}`,
      `--listen-client-urls=${loopback(etcdPort)}`, `--advertise-client-urls=${loopback(etcdPort)}`,
      `--listen-peer-urls=${loopback(etcdPeerPort)}`, `--initial-advertise-peer-urls=${loopback(etcdPeerPort)}`,
      `--initial-cluster=svc-test=${loopback(etcdPeerPort)}`,
      // test data: nothing to keep across a crash, and fsync is most of etcd's latency on a busy disk
      '--unsafe-no-fsync', '--quota-backend-bytes=2147483648',
    ])
    log(`starting kube-apiserver v${binaries.kubeVersion} on ${url}`)
    launch('kube-apiserver', binaries.kubeApiserver, [
      `--etcd-servers=${loopback(etcdPort)}`,
      '--bind-address=127.0.0.1', `--secure-port=${port}`,
      `--tls-cert-file=${f.serverCert}`, `--tls-private-key-file=${f.serverKey}`,
      `--client-ca-file=${f.ca}`, `--token-auth-file=${f.tokens}`,
      '--authorization-mode=Node,RBAC',
      `--service-account-key-file=${f.saPub}`, `--service-account-signing-key-file=${f.saKey}`,
      '--service-account-issuer=https://kubernetes.default.svc.cluster.local',
      `--service-cluster-ip-range=${SERVICE_CIDR}`,
      // kwok's kubelet API: the Node's InternalIP (127.0.0.1) and its daemon endpoint port; kwok
      // does not check the client certificate, the API server does not check kwok's.
      '--kubelet-preferred-address-types=InternalIP',
      `--kubelet-client-certificate=${f.adminCert}`, `--kubelet-client-key=${f.adminKey}`,
      // The `kubernetes` Service's endpoint would be the loopback advertise address, which
      // EndpointSlice validation rejects: nothing here reaches the API server through it.
      '--endpoint-reconciler-type=none',
      '--allow-privileged=true',
    ])
    const kc = new KubeConfig()
    kc.loadFromString(kubeconfigDoc('token'))
    const client = new KubeClient(kc, {timeoutMs: 10_000})
    await until(procs, 'kube-apiserver /readyz', async () => ((await client.request({path: '/readyz'})).statusCode === 200 ? true : undefined), 120_000)

    launch('kube-controller-manager', binaries.kubeControllerManager, [
      `--kubeconfig=${componentKubeconfig}`, `--authentication-kubeconfig=${componentKubeconfig}`, `--authorization-kubeconfig=${componentKubeconfig}`,
      '--bind-address=127.0.0.1', '--secure-port=0', '--leader-elect=false',
      `--root-ca-file=${f.ca}`, `--service-account-private-key-file=${f.saKey}`,
      `--service-cluster-ip-range=${SERVICE_CIDR}`, '--use-service-account-credentials=true',
    ])
    launch('kube-scheduler', binaries.kubeScheduler, [
      `--kubeconfig=${componentKubeconfig}`, `--authentication-kubeconfig=${componentKubeconfig}`, `--authorization-kubeconfig=${componentKubeconfig}`,
      '--bind-address=127.0.0.1', '--secure-port=0', '--leader-elect=false',
    ])

    await createAll(client, [portForwardCrd(), ...RBAC_OBJECTS, nodeObject()])
    await until(procs, 'the PortForward resource', async () => {
      const crd = (await client.request<any>({path: '/apis/apiextensions.k8s.io/v1/customresourcedefinitions/portforwards.kwok.x-k8s.io'})).body
      return crd.status?.conditions?.some((c: any) => c.type === 'Established' && c.status === 'True') || undefined
    })
    launch('kwok', binaries.kwok, [
      `--kubeconfig=${componentKubeconfig}`, `--config=${f.kwokConfig}`,
      '--manage-all-nodes=false', `--manage-nodes-with-annotation-selector=${NODE_ANNOTATION}=fake`,
      '--enable-crds=PortForward',
      `--tls-cert-file=${f.serverCert}`, `--tls-private-key-file=${f.serverKey}`,
      '--node-ip=127.0.0.1', `--node-name=${NODE_NAME}`, `--node-port=${kwokPort}`, `--server-address=127.0.0.1:${kwokPort}`,
      '--node-lease-duration-seconds=40',
    ])

    agent = new PodAgent(client, error => {
      agentErrors.push(error)
      log(`pod agent: ${error.message}`)
    })
    await agent.start()
    await until(procs, `node ${NODE_NAME} Ready`, async () => {
      const node = (await client.request<any>({path: `/api/v1/nodes/${NODE_NAME}`})).body
      return node.status?.conditions?.some((c: any) => c.type === 'Ready' && c.status === 'True') || undefined
    })
    // Pods need the default ServiceAccount (the ServiceAccount admission plugin), which the
    // controller manager creates.
    await until(procs, 'the default ServiceAccount', async () => ((await client.request({path: '/api/v1/namespaces/default/serviceaccounts/default'})).body ? true : undefined))
    log(`control plane ready in ${((Date.now() - started) / 1000).toFixed(1)} s (logs in ${dir})`)
  } catch (error) {
    await stop()
    throw error
  }

  return {
    binaries,
    dir,
    kubeconfig: (user: RealUser = 'token') => kubeconfigDoc(user),
    port,
    stop,
    url,
    writeKubeconfig(target: string, user?: RealUser): void {
      writeFileSync(target, kubeconfigDoc(user ?? 'token'), {mode: 0o600})
    },
  }
}
