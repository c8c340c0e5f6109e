// svc port-forward following its target, end to end: a Service's ready pods share the connections
// (round-robin, or one pod with ClientIP affinity), readiness and deletion move traffic, a
// Deployment's pod is replaced, a pod/NAME target that does not come back ends svc, and a dropped
// API server connection is survived. On each cluster SVC_TEST_CLUSTER asks for (the real control
// plane too in `npm run test:real`); dropping the API server's connections is the local cluster's
// fault injection, so that test runs there only.

import assert from 'node:assert/strict'
import net from 'node:net'
import {after, before, describe, test} from 'node:test'

import {createDeployment, createPod, createService, deletePod, echo, httpGet, listPods, patchPod, type PfCluster, podRunning, startPfCluster, startSvc, until} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const HTTP = {annotations: {'sim.svc.local/port-8080': 'http'}, ports: [{containerPort: 8080, name: 'web'}]}

/** Hostnames of `n` sequential connections. */
async function hostnames(port: number, n: number): Promise<string[]> {
  const names: string[] = []
  for (let i = 0; i < n; i++) names.push(await httpGet(port, '/hostname'))
  return names
}

for (const kind of clusterKinds()) describe(`port-forward following its target on the ${kind} cluster`, () => {
  let c: TestCluster | PfCluster
  let kc: string

  before(async () => {
    // the local cluster through startPfCluster, for its fault injection (dropConnections)
    c = kind === 'local' ? await startPfCluster() : await startTestCluster(kind)
    kc = c.kubeconfig()
  })
  after(() => c.stop())

  async function running(names: string[]): Promise<void> {
    for (const name of names) {
      await podRunning(c.client, name, 'default', 60_000)
    }
  }

  describe('svc/NAME', () => {
    test('two ready pods behind a Service both receive connections (service port -> named targetPort)', async t => {
      await createPod(c.client, 'rr-a', {...HTTP, labels: {app: 'rr'}})
      await createPod(c.client, 'rr-b', {...HTTP, labels: {app: 'rr'}})
      await createService(c.client, 'rr', {ports: [{name: 'http', port: 80, targetPort: 'web'}], selector: {app: 'rr'}})
      await running(['rr-a', 'rr-b'])
      const svc = startSvc(['port-forward', '--kubeconfig', kc, 'svc/rr', ':80', '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/)
      const ready = svc.events().find(e => e.event === 'ready')
      assert.deepEqual(ready.ports, [{localPort: ready.ports[0].localPort, remotePort: 8080}])
      await until(async () => {
        const seen = new Set(await hostnames(ready.ports[0].localPort, 4))
        return seen.has('rr-a') && seen.has('rr-b')
      }, 'both pods answering')
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0)
    })

    test('sessionAffinity ClientIP keeps one pod; --one-pod too', async t => {
      await createPod(c.client, 'aff-a', {...HTTP, labels: {app: 'aff'}})
      await createPod(c.client, 'aff-b', {...HTTP, labels: {app: 'aff'}})
      await createService(c.client, 'aff', {ports: [{port: 80, targetPort: 8080}], selector: {app: 'aff'}, sessionAffinity: 'ClientIP'})
      await createService(c.client, 'plain', {ports: [{port: 80, targetPort: 8080}], selector: {app: 'aff'}})
      await running(['aff-a', 'aff-b'])
      await until(async () => (await c.client.request<any>({path: '/apis/discovery.k8s.io/v1/namespaces/default/endpointslices', query: {labelSelector: 'kubernetes.io/service-name=aff'}})).body.items[0]?.endpoints?.length === 2, 'two endpoints')
      for (const args of [['svc/aff', ':80'], ['--one-pod', 'svc/plain', ':80']]) {
        const svc = startSvc(['port-forward', '--kubeconfig', kc, ...args])
        t.after(() => svc.kill('SIGKILL'))
        const [, port] = await svc.line(/^Forwarding from 127\.0\.0\.1:(\d+) -> 8080$/)
        const names = await hostnames(Number(port), 6)
        assert.equal(new Set(names).size, 1, `${args.join(' ')}: ${names.join(',')}`)
        svc.kill('SIGTERM')
        assert.equal((await svc.exited).code, 0)
      }
    })

    test('readiness going false moves new connections away; deleting a pod mid-transfer closes its connection and the next one lands on the other pod', async t => {
      await createPod(c.client, 'mv-a', {...HTTP, labels: {app: 'mv'}})
      await createPod(c.client, 'mv-b', {...HTTP, labels: {app: 'mv'}})
      await createService(c.client, 'mv', {ports: [{port: 80, targetPort: 8080}], selector: {app: 'mv'}})
      await running(['mv-a', 'mv-b'])
      const svc = startSvc(['port-forward', '--kubeconfig', kc, 'svc/mv', ':80', '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/)
      const port = svc.events().find(e => e.event === 'ready').ports[0].localPort
      await until(async () => new Set(await hostnames(port, 4)).size === 2, 'both pods in rotation')

      await patchPod(c.client, 'mv-a', {metadata: {annotations: {'sim.svc.local/ready': 'false'}}})
      await until(() => svc.events().some(e => e.event === 'target-changed' && e.pods.join() === 'mv-b'), 'target-changed to mv-b')
      assert.deepEqual(new Set(await hostnames(port, 4)), new Set(['mv-b']))

      await patchPod(c.client, 'mv-a', {metadata: {annotations: {'sim.svc.local/ready': 'true'}}})
      await until(() => svc.events().some(e => e.event === 'target-changed' && e.pods.join() === 'mv-a,mv-b'), 'mv-a back')
      // A long download from whichever pod takes it; delete that pod while the bytes flow.
      const socket = net.connect(port, '127.0.0.1')
      socket.on('error', () => {})
      socket.write('GET /hostname HTTP/1.1\r\nHost: x\r\n\r\nGET /bytes?n=1073741824 HTTP/1.1\r\nHost: x\r\n\r\n')
      let received = ''
      let bytes = 0
      socket.on('data', (d: Buffer) => {
        bytes += d.length
        if (received.length < 200) received += d.toString('latin1')
      })
      await until(() => /\r\n\r\n(mv-[ab])/.exec(received), 'the hostname of the first response')
      const victim = /\r\n\r\n(mv-[ab])/.exec(received)![1]
      await until(() => bytes > 1024 * 1024, 'the download flowing')
      const closed = new Promise(resolve => socket.once('close', resolve))
      await deletePod(c.client, victim)
      await closed
      assert.ok(bytes < 1073741824 + 1000, 'the download did not complete')
      const other = victim === 'mv-a' ? 'mv-b' : 'mv-a'
      await until(async () => (await hostnames(port, 2)).every(n => n === other) || undefined, `connections landing on ${other}`)
      const closedEvent = await until(() => svc.events().find(e => e.event === 'connection-closed' && e.pod === victim && e.bytesIn > 1024 * 1024), 'closed event')
      assert.ok(closedEvent.bytesIn > 1024 * 1024)
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0)
    })

    if (kind === 'local') test('dropping every API connection mid-forward: open tunnels end, new connections work, the watch resumes', async t => {
      if (!('cluster' in c)) throw new Error('the local cluster is started with startPfCluster')
      await createPod(c.client, 'dr-a', {...HTTP, labels: {app: 'dr'}})
      await createPod(c.client, 'dr-b', {...HTTP, labels: {app: 'dr'}})
      await createService(c.client, 'dr', {ports: [{port: 80, targetPort: 8080}], selector: {app: 'dr'}})
      await running(['dr-a', 'dr-b'])
      const svc = startSvc(['port-forward', '--kubeconfig', kc, 'svc/dr', ':80', '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/)
      const port = svc.events().find(e => e.event === 'ready').ports[0].localPort
      const open = net.connect(port, '127.0.0.1')
      open.on('error', () => {})
      // An answer proves the tunnel is up before the drop.
      open.write('GET /hostname HTTP/1.1\r\nHost: x\r\n\r\n')
      await new Promise(resolve => open.once('data', resolve))
      const openClosed = new Promise(resolve => open.once('close', resolve))
      c.cluster.dropConnections()
      await openClosed
      assert.ok(['dr-a', 'dr-b'].includes(await until(async () => {
        try {
          return await httpGet(port, '/hostname')
        } catch {
          return undefined
        }
      }, 'a connection after the drop')))
      // The EndpointSlice watch came back: a deletion after the drop is seen.
      await deletePod(c.client, 'dr-a')
      await until(() => svc.events().some(e => e.event === 'target-changed' && e.pods.join() === 'dr-b'), 'target-changed after the drop')
      assert.deepEqual(new Set(await hostnames(port, 3)), new Set(['dr-b']))
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0)
    })
  })

  describe('deployment/ and pod/ targets', () => {
    test('deployment/NAME: when its pod goes, the next connection goes to another pod of the deployment', async t => {
      await createDeployment(c.client, 'dep', 2, {...HTTP, labels: {app: 'dep'}})
      const pods = await until(async () => {
        const items = await listPods(c.client, 'app=dep')
        return items.filter(p => p.status?.phase === 'Running').length === 2 ? items : undefined
      }, 'two deployment pods')
      const svc = startSvc(['port-forward', '--kubeconfig', kc, 'deploy/dep', ':8080', '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/)
      const ready = svc.events().find(e => e.event === 'ready')
      const port = ready.ports[0].localPort
      const first = await httpGet(port, '/hostname')
      assert.deepEqual(ready.pods, [first])
      assert.ok(pods.some(p => p.metadata.name === first))
      await deletePod(c.client, first)
      const changed = await until(() => svc.events().find(e => e.event === 'target-changed' && e.pods.length === 1 && e.pods[0] !== first), 'target-changed')
      const next = await httpGet(port, '/hostname')
      assert.equal(next, changed.pods[0])
      assert.notEqual(next, first)
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0)
    })

    test('pod/NAME gone and not back within --pod-running-timeout: error: lost connection to pod', async t => {
      await createPod(c.client, 'lonely', {ports: [{containerPort: 7}]})
      await running(['lonely'])
      const svc = startSvc(['port-forward', '--kubeconfig', kc, '--pod-running-timeout', '1s', 'pod/lonely', ':7', '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/)
      const port = svc.events().find(e => e.event === 'ready').ports[0].localPort
      assert.equal((await echo(port, 'hi')).toString(), 'hi')
      // Only once svc has seen that connection end: a connection still open when its pod goes is
      // reported on its own line, which is not what this test is about.
      await svc.line(/"event":"connection-closed"/)
      await deletePod(c.client, 'lonely')
      const {code} = await svc.exited
      assert.equal(code, 1)
      assert.equal(svc.stderr, 'error: lost connection to pod\n')
    })

    test('pod/NAME that comes back in time: the forward goes on', async t => {
      await createPod(c.client, 'phoenix', {ports: [{containerPort: 7}]})
      await running(['phoenix'])
      const svc = startSvc(['port-forward', '--kubeconfig', kc, '--pod-running-timeout', '30s', 'pod/phoenix', ':7', '-o', 'json'])
      t.after(() => svc.kill('SIGKILL'))
      await svc.line(/"event":"ready"/)
      const port = svc.events().find(e => e.event === 'ready').ports[0].localPort
      await deletePod(c.client, 'phoenix')
      await until(() => svc.events().some(e => e.event === 'target-changed' && e.pods.length === 0), 'pod gone')
      await createPod(c.client, 'phoenix', {ports: [{containerPort: 7}]})
      await until(() => svc.events().some(e => e.event === 'target-changed' && e.pods.join() === 'phoenix'), 'pod back')
      assert.equal((await echo(port, 'again')).toString(), 'again')
      svc.kill('SIGTERM')
      assert.equal((await svc.exited).code, 0)
    })
  })
})
