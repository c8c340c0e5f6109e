// The local cluster measured against the real one: the same scripted kubectl 1.35 session (create,
// expose, get in every output, describe, delete, errors, watch, port-forward errors, auth can-i) runs
// against both, and the normalised outputs must match, except for the differences listed in
// KNOWN_DIFFERENCES, each documented with its reason in docs/local-cluster.md. Runs whenever the
// real control plane is asked for (SVC_TEST_CLUSTER=real or both, as `npm run test:real` does): the
// local cluster it compares with is started here.

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {after, before, describe, test} from 'node:test'

import {ensureKubectl} from '../../scripts/fetch-kubectl.ts'
import {until} from '../helpers/pf-cluster.ts'
import {clusterKinds, startTestCluster, type TestCluster, type TestUser} from '../helpers/test-cluster.ts'

interface Step {
  /** kubectl arguments; the session's namespace is appended as -n */
  args: string[]
  user?: TestUser
  input?: string
  /** wait for the previous steps' effects to settle (pods Running, endpoints ready) first */
  settle?: boolean
  /** a watch of this collection of the namespace: ended (SIGTERM) once it has printed its header and a line per object listed, keeping what it printed */
  watchOf?: 'services'
}

const NS = 'diff'

const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata: {name: web, labels: {app: web}}
spec:
  replicas: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec: {containers: [{name: web, image: nginx:1.27, ports: [{containerPort: 8080, name: http}]}]}
`

/** The session. Names and IPs are fixed so the outputs can be compared. */
const SESSION: Step[] = [
  {args: ['create', '-f', '-'], input: DEPLOYMENT},
  {args: ['create', 'service', 'clusterip', 'cs', '--tcp=80:8080', '--clusterip=10.96.120.10']},
  {args: ['create', 'service', 'nodeport', 'np', '--tcp=80:8080', '--node-port=30280']},
  {args: ['create', 'service', 'loadbalancer', 'lb', '--tcp=443:8443']},
  {args: ['create', 'service', 'externalname', 'en', '--external-name=db.example.com']},
  {args: ['create', 'service', 'clusterip', 'hl', '--clusterip=None', '--tcp=5432']},
  {args: ['expose', 'deployment', 'web', '--name=web-exp', '--port=80', '--target-port=http', '--cluster-ip=10.96.120.11']},
  {args: ['get', 'services'], settle: true},
  {args: ['get', 'services', '-o', 'wide']},
  {args: ['get', 'service', 'cs', '-o', 'yaml']},
  {args: ['get', 'service', 'web-exp', '-o', 'json']},
  {args: ['get', 'services', '-o', 'name']},
  {args: ['get', 'service', 'np', '-o', 'jsonpath={.spec.ports[0].nodePort} {.spec.type}']},
  {args: ['get', 'services', '-o', 'custom-columns=NAME:.metadata.name,TYPE:.spec.type,IP:.spec.clusterIP']},
  {args: ['get', 'services', '--show-labels']},
  {args: ['get', 'endpointslices', '-l', 'kubernetes.io/service-name=web-exp', '-o', 'jsonpath={range .items[*].endpoints[*]}{.conditions.ready}{"\\n"}{end}']},
  {args: ['describe', 'service', 'cs']},
  {args: ['describe', 'service', 'np']},
  {args: ['describe', 'service', 'web-exp']},
  {args: ['describe', 'service', 'en']},
  {args: ['get', 'service', 'missing']},
  {args: ['create', 'service', 'clusterip', 'cs', '--tcp=80:8080']},
  {args: ['create', 'service', 'clusterip', 'bad', '--tcp=80:8080', '--clusterip=10.0.0.1']},
  {args: ['create', 'service', 'nodeport', 'np2', '--tcp=80:8080', '--node-port=30280']},
  {args: ['get', 'services', '--watch', '--output-watch-events'], watchOf: 'services'},
  {args: ['port-forward', 'pod/missing', '8080']},
  {args: ['port-forward', 'svc/en', '8080']},
  {args: ['port-forward', 'svc/cs', '8080']},
  {args: ['auth', 'can-i', 'create', 'pods', '--subresource=portforward']},
  {args: ['auth', 'can-i', 'create', 'pods', '--subresource=portforward'], user: 'readonly'},
  {args: ['auth', 'can-i', 'delete', 'services'], user: 'readonly'},
  {args: ['auth', 'can-i', 'create', 'pods', '--subresource=portforward'], user: 'create-only'},
  {args: ['auth', 'can-i', 'get', 'pods', '--subresource=portforward'], user: 'create-only'},
  {args: ['auth', 'can-i', 'create', 'pods', '--subresource=portforward'], user: 'get-only'},
  {args: ['auth', 'can-i', 'list', 'deployments.apps'], user: 'get-only'},
  {args: ['auth', 'can-i', 'create', 'selfsubjectaccessreviews.authorization.k8s.io'], user: 'readonly'},
  {args: ['auth', 'can-i', 'get', '/api'], user: 'readonly'},
  {args: ['auth', 'can-i', 'get', '/logs'], user: 'readonly'},
  {args: ['create', '-f', '-', '-o', 'json'], input: JSON.stringify({apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {resourceAttributes: {namespace: NS, resource: 'pods', subresource: 'portforward', verb: 'create'}}})},
  {args: ['create', '-f', '-'], input: JSON.stringify({apiVersion: 'authorization.k8s.io/v1', kind: 'SelfSubjectAccessReview', spec: {}})},
  {args: ['delete', 'service', 'cs', 'np']},
  {args: ['delete', 'service', 'cs']},
  {args: ['delete', 'service', 'cs', '--ignore-not-found']},
  {args: ['get', 'services']},
]

/**
 * Differences between the clusters that stay, by step and the reason (docs/local-cluster.md,
 * "Measured against the real control plane"). A difference not listed fails the test.
 */
export const KNOWN_DIFFERENCES: Record<string, string> = {}

interface Outcome {
  code: number | null
  stdout: string
  stderr: string
}

/**
 * Runs one step; `watchLines`: the step is a watch, ended with SIGTERM once stdout has that many
 * lines (its exit code is then reported as 0). Any step is killed after 60 s: its output up to then
 * is compared, so a watch that printed less fails by its output, not by hanging.
 */
function runKubectl(kubectl: string, kubeconfig: string, home: string, step: Step, watchLines?: number): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(kubectl, [...step.args, '-n', NS], {env: {HOME: home, KUBECONFIG: kubeconfig, PATH: process.env.PATH}, stdio: ['pipe', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => {
      stdout += d
      if (watchLines !== undefined && stdout.split('\n').length > watchLines) child.kill('SIGTERM')
    })
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000)
    child.on('error', reject)
    child.on('close', code => {
      clearTimeout(timer)
      resolve({code: watchLines === undefined ? code : 0, stderr, stdout})
    })
    // kubectl may exit before it reads its input (a refusal): the write then fails with EPIPE
    child.stdin.on('error', () => undefined)
    child.stdin.end(step.input ?? '')
  })
}

/** What differs by nature between any two clusters: generated names and IPs, times, ports. */
export function normalise(text: string): string {
  return text
    .replace(/\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\b/g, 'UID')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME')
    .replace(/"resourceVersion": "\d+"|resourceVersion: "\d+"/g, m => m.replace(/\d+/, 'RV'))
    .replace(/\bweb-[0-9a-f]{8,10}-[0-9a-z]{5}\b/g, 'web-POD')
    .replace(/\bweb-[0-9a-f]{8,10}\b/g, 'web-RS')
    // allocated cluster IPs (10.96.0.0/12); the session's own 10.96.120.x stay
    .replace(/\b10\.(9[6-9]|10\d|11[01])\.\d+\.\d+\b/g, m => (m.startsWith('10.96.120.') ? m : 'CLUSTER-IP'))
    .replace(/\b(10\.244|10\.0)\.\d+\.\d+\b/g, 'POD-IP')
    .replace(/\b3[0-2]\d{3}\b(?!\d)/g, m => (m === '30280' ? m : 'NODE-PORT'))
    .replace(/127\.0\.0\.1:\d+/g, '127.0.0.1:PORT')
    .replace(/(?<=\s|^)(\d+d)?(\d+h)?(\d+m)?(\d+s)?(?=\s|$)/gm, m => (m ? 'AGE' : m))
    .replace(/ +$/gm, '')
    // column widths follow the values normalised above
    .replace(/ {2,}/g, '  ')
}

if (clusterKinds().includes('real')) {
  describe('the same kubectl session against the local and the real cluster', () => {
    const outcomes: Record<'local' | 'real', Outcome[]> = {local: [], real: []}
    const clusters: TestCluster[] = []
    let home: string

    before(async () => {
      const kubectl = await ensureKubectl()
      home = mkdtempSync(path.join(os.tmpdir(), 'svc-diff-'))
      // The two sessions are independent: they run side by side (the tier's longest suite).
      await Promise.all((['local', 'real'] as const).map(async kind => {
        const c = await startTestCluster(kind)
        clusters.push(c)
        await c.client.request({body: {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}}, method: 'POST', path: '/api/v1/namespaces'})
        // kubectl caches discovery per server under HOME; one HOME per cluster.
        const kindHome = path.join(home, kind)
        mkdirSync(kindHome)
        for (const step of SESSION) {
          if (step.settle) {
            await until(async () => {
              const pods = (await c.client.request<any>({path: `/api/v1/namespaces/${NS}/pods`})).body.items
              const slices = (await c.client.request<any>({path: `/apis/discovery.k8s.io/v1/namespaces/${NS}/endpointslices`, query: {labelSelector: 'kubernetes.io/service-name=web-exp'}})).body.items
              return pods.length === 2 && pods.every((p: any) => p.status?.phase === 'Running') &&
                slices.flatMap((s: any) => s.endpoints ?? []).filter((e: any) => e.conditions?.ready).length === 2
            }, `the ${kind} cluster settling`, 60_000)
          }
          const kubeconfig = c.kubeconfig(step.user ?? 'token')
          // A watch prints its header, then an ADDED line per object the list returns.
          const watchLines = step.watchOf && 1 + (await c.client.request<any>({path: `/api/v1/namespaces/${NS}/${step.watchOf}`})).body.items.length
          outcomes[kind].push(await runKubectl(kubectl, kubeconfig, kindHome, step, watchLines))
        }
      }))
    })
    after(async () => {
      for (const c of clusters) await c.stop()
      if (home) rmSync(home, {force: true, recursive: true})
    })

    SESSION.forEach((step, i) => {
      const name = `kubectl ${step.args.join(' ')}${step.user ? ` (as ${step.user})` : ''}`
      test(name, () => {
        const [local, real] = [outcomes.local[i], outcomes.real[i]]
        const shown = (o: Outcome) => `exit ${o.code}\n--- stdout\n${normalise(o.stdout)}--- stderr\n${normalise(o.stderr)}`
        if (KNOWN_DIFFERENCES[name] !== undefined) {
          assert.notEqual(shown(local), shown(real), `listed as a difference (${KNOWN_DIFFERENCES[name]}) but the outputs now match: take it off the list`)
          return
        }
        assert.equal(shown(local), shown(real))
      })
    })
  })
}
