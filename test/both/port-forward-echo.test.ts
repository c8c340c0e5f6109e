// The rig proven with a client no one here wrote: on each cluster SVC_TEST_CLUSTER asks for (the
// local one by default; `npm run test:real` runs the real control plane too), svc port-forward
// svc/echo echoes 64 MiB byte for byte, spreads connections over the Service's two pods and
// follows a deleted pod, and the real kubectl 1.35 port-forward through the same cluster echoes
// the same 64 MiB and ends when its pod is deleted (kubectl forwards to one pod, chosen once).

import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'

import {ensureKubectl} from '../../scripts/fetch-kubectl.ts'
import {echoRandom} from '../helpers/forward-listener.ts'
import {createDeployment, createService, deletePod, listPods, startCommand, startSvc, until} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const MiB64 = 64 * 1024 * 1024
const POD = {
  annotations: {'sim.svc.local/port-8080': 'http'},
  labels: {app: 'echo'},
  ports: [{containerPort: 7000, name: 'echo'}, {containerPort: 8080, name: 'web'}],
}

async function connect(port: number): Promise<net.Socket> {
  const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port})
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve)
    socket.once('error', reject)
  })
  return socket
}

async function echoSha(port: number, size = MiB64): Promise<void> {
  const socket = await connect(port)
  try {
    const {got, sent} = await echoRandom(socket, size)
    assert.equal(got, sent, `sha256 of the ${size} bytes echoed`)
  } finally {
    socket.destroy()
  }
}

/**
 * GET /hostname, read by Content-Length. Not until the connection closes: behind kwok's port-forward
 * a connection the pod closes first stays open for a client that cannot half-close (svc over v4),
 * where containerd closes it a second later (docs/real-cluster.md).
 */
async function hostname(port: number): Promise<string> {
  const socket = await connect(port)
  try {
    socket.write('GET /hostname HTTP/1.1\r\nHost: x\r\n\r\n')
    let text = ''
    for await (const chunk of socket) {
      text += (chunk as Buffer).toString('latin1')
      const split = text.indexOf('\r\n\r\n')
      const length = /content-length: (\d+)/i.exec(text)
      if (split >= 0 && length && text.length >= split + 4 + Number(length[1])) return text.slice(split + 4, split + 4 + Number(length[1]))
    }
    throw new Error(`the connection ended before a whole response: ${JSON.stringify(text)}`)
  } finally {
    socket.destroy()
  }
}

async function hostnames(port: number, n: number): Promise<string[]> {
  const names: string[] = []
  for (let i = 0; i < n; i++) names.push(await hostname(port))
  return names
}

for (const kind of clusterKinds()) {
  describe(`port-forward svc/echo on the ${kind} cluster`, () => {
    let c: TestCluster
    let kubectl: string

    const readyPods = async (): Promise<string[]> => (await listPods(c.client, 'app=echo'))
      .filter(p => !p.metadata.deletionTimestamp && p.status?.conditions?.some((x: any) => x.type === 'Ready' && x.status === 'True'))
      .map(p => p.metadata.name).sort()

    before(async () => {
      kubectl = await ensureKubectl()
      c = await startTestCluster(kind)
      await createDeployment(c.client, 'echo', 2, POD)
      await createService(c.client, 'echo', {ports: [{name: 'echo', port: 70, targetPort: 'echo'}, {name: 'http', port: 80, targetPort: 'web'}], selector: {app: 'echo'}})
      await until(async () => (await readyPods()).length === 2, 'two ready echo pods', 60_000)
      await until(async () => {
        const slices = (await c.client.request<any>({path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', query: {labelSelector: 'kubernetes.io/service-name=echo'}})).body.items
        return slices.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready).length === 2
      }, 'two ready endpoints', 60_000)
    })
    after(() => c?.stop())

    test('svc: 64 MiB echoed with matching sha256, connections over both pods, a deleted pod followed', async t => {
      const svc = startSvc(['port-forward', '--kubeconfig', c.kubeconfig(), 'svc/echo', ':70', ':80', '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/, 'stdout', 60_000)
      const ports = svc.events().find(e => e.event === 'ready').ports as Array<{localPort: number; remotePort: number}>
      const echoPort = ports.find(p => p.remotePort === 7000)!.localPort
      const webPort = ports.find(p => p.remotePort === 8080)!.localPort

      await echoSha(echoPort)

      const pods = await readyPods()
      await until(async () => {
        const seen = new Set(await hostnames(webPort, 4))
        return pods.every(p => seen.has(p)) || undefined
      }, `connections reaching both ${pods.join(' and ')}`)

      const [victim, survivor] = pods
      await deletePod(c.client, victim)
      // A connection placed on the victim before svc saw it go fails (svc reports it and goes on):
      // a failed round is "not yet", not a failure of the test.
      await until(async () => {
        const names = await hostnames(webPort, 4)
        return names.every(n => n !== victim) && names.includes(survivor) ? true : undefined
      }, `connections avoiding the deleted ${victim}`, {retryErrors: true, timeoutMs: 20_000})
      // The Deployment's replacement joins the rotation.
      await until(async () => (await readyPods()).length === 2 || undefined, 'a replacement pod', 60_000)
      const replacement = (await readyPods()).find(p => p !== survivor)!
      await until(async () => new Set(await hostnames(webPort, 4)).has(replacement) || undefined, `connections reaching the replacement ${replacement}`)
      await echoSha(echoPort, 1024 * 1024)

      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0, svc.stderr)
    })

    test('kubectl: 64 MiB echoed with matching sha256 through one pod; deleting it ends kubectl', async t => {
      const kc = startCommand(kubectl, ['port-forward', 'svc/echo', ':70', ':80'], {KUBECONFIG: c.kubeconfig()})
      t.after(() => kc.kill('SIGKILL'))
      const [, echoPort] = await kc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 7000$/, 'stdout', 60_000)
      const [, webPort] = await kc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 8080$/)

      await echoSha(Number(echoPort))

      const names = new Set(await hostnames(Number(webPort), 4))
      assert.equal(names.size, 1, `kubectl forwards to one pod: ${[...names].join(', ')}`)
      const [pod] = names
      assert.ok((await readyPods()).includes(pod), `${pod} is one of the Service's pods`)

      await deletePod(c.client, pod)
      // kubectl does not follow the Service: a new connection after the pod is gone fails. kubectl
      // 1.35 ends itself when the node writes an error on the error stream (the kubelet does);
      // kwok may instead close the streams without one once the pod's forward rule is gone, and
      // kubectl then stays up with every new connection failing.
      await until(async () => {
        const reply = await hostname(Number(webPort)).catch(() => undefined)
        return kc.child.exitCode !== null || reply === undefined || undefined
      }, 'a connection through kubectl to fail after its pod was deleted', 60_000)
      if (kc.child.exitCode !== null) {
        assert.notEqual((await kc.exited).code, 0)
        assert.match(kc.stderr, /lost connection to pod|error forwarding port|not found/)
      }
    })
  })
}
