// svc against real kubectl 1.35 on the argv a script written for kubectl uses: resource type
// words, delete's flags, repeated names, create service spellings, kubeconfig errors, expose
// lookups, --save-config. Every case runs the same argv through both tools against the same cluster
// with the same objects set up first, on each cluster SVC_TEST_CLUSTER asks for (the local one in
// `npm test`, the real control plane too in `npm run test:real`); the report
// (.cache/parity-report.md, parity-report-real.md; printed by `npm run parity`) lists each as SAME
// or DIFF, and a DIFF fails unless docs/kubectl-differences.md documents it.

import assert from 'node:assert/strict'
import {copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import yaml from 'js-yaml'

import {type ParityCase, Parity} from '../compat/parity.ts'
import {startKubectlRig, type KubectlRig} from '../compat/helpers.ts'
import {runSvc} from '../helpers/run-svc.ts'
import {clusterKinds, startTestCluster, type TestCluster} from '../helpers/test-cluster.ts'

const SERVICES = '/api/v1/namespaces/default/services'

function service(name: string, spec: Record<string, unknown> = {}): unknown {
  return {apiVersion: 'v1', kind: 'Service', metadata: {labels: {app: name}, name}, spec: {ports: [{name: 'http', port: 80, targetPort: 8080}], selector: {app: name}, ...spec}}
}

const DEPLOYMENT = {
  apiVersion: 'apps/v1', kind: 'Deployment', metadata: {labels: {app: 'web'}, name: 'web'},
  spec: {replicas: 1, selector: {matchLabels: {app: 'web'}}, template: {metadata: {labels: {app: 'web'}}, spec: {containers: [{image: 'nginx', name: 'app', ports: [{containerPort: 8080, name: 'http'}]}]}}},
}
const INGRESS = {
  apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: {name: 'ing1'},
  spec: {rules: [{http: {paths: [{backend: {service: {name: 'web', port: {number: 80}}}, path: '/', pathType: 'Prefix'}]}}]},
}
const ANNOTATIONS = ['get', 'svc', 'sv1', '-o', 'jsonpath={.metadata.annotations}']

const SERVICES_ONLY = 'svc works with Services only'
const DESCRIBE_SECTIONS = 'svc describe adds the Backends, Routes, Access and Diagnosis sections'

/** Kubeconfig files with one thing wrong each, written from the cluster's own kubeconfig in before(). */
const KDIR = mkdtempSync(path.join(tmpdir(), 'svc-parity-kubeconfig-'))
const kfile = (name: string) => path.join(KDIR, name)

function writeKubeconfigs(good: string): void {
  const base = yaml.load(readFileSync(good, 'utf8')) as any
  const variant = (name: string, change: (k: any) => void) => {
    const k = structuredClone(base)
    change(k)
    writeFileSync(kfile(name), yaml.dump(k))
  }
  variant('ghost-current', k => (k['current-context'] = 'ghost'))
  variant('no-current', k => delete k['current-context'])
  variant('context-cluster-missing', k => (k.contexts[0].context.cluster = 'ghost-cluster'))
  variant('context-user-missing', k => (k.contexts[0].context.user = 'ghost-user'))
  variant('no-server', k => delete k.clusters[0].cluster.server)
  variant('missing-ca', k => {
    delete k.clusters[0].cluster['certificate-authority-data']
    k.clusters[0].cluster['certificate-authority'] = kfile('no-such-ca.crt')
  })
  variant('missing-client-cert', k => {
    const user = k.users.find((u: any) => u.name === k.contexts[0].context.user)
    user.user['client-certificate'] = kfile('no-such-client.crt')
    user.user['client-key'] = kfile('no-such-client.key')
  })
  writeFileSync(kfile('bad-yaml'), 'apiVersion: v1\nkind: Config\nclusters: [\n  bad yaml\n')
}

/** Service manifests for create -f: plain, headless (nothing allocated: a server dry run compares), with annotations of its own. */
const manifest = (name: string, doc: unknown) => {
  writeFileSync(kfile(name), yaml.dump(doc))
  return kfile(name)
}
const FILE_PLAIN = manifest('sv1.yaml', service('sv1'))
const FILE_HEADLESS = manifest('sv1-headless.yaml', service('sv1', {clusterIP: 'None'}))
const FILE_ANNOTATED = manifest('sv1-annotated.json', {...(service('sv1') as object), metadata: {annotations: {team: 'a'}, labels: {app: 'sv1'}, name: 'sv1'}})

const CONFIG_FALLBACK = 'where kubectl falls back to http://localhost:8080'

/** The cases, grouped as the report shows them. */
export const CASES: Record<string, ParityCase[]> = {
  'resource type words': [
    ...[['get', 'pods'], ['get', 'po'], ['get', 'Pods'], ['get', 'deploy'], ['get', 'deployments.apps'], ['get', 'deployments.v1.apps'],
      ['get', 'ing.networking.k8s.io'], ['get', 'svc,pods'], ['describe', 'pod', 'web'], ['delete', 'pod', 'p1'], ['delete', 'deploy', 'web'],
      ['get', 'pods/web']].map(argv => ({argv, documented: SERVICES_ONLY, name: `${argv[1]} is a type svc refuses`})),
    ...[['get', 'Service', 's1', '-o', 'name'], ['get', 'SERVICES', 's1', '-o', 'name'], ['get', 'services.v1.', 's1', '-o', 'name'],
      ['get', 'svc.', 's1', '-o', 'name'], ['get', 'service', 's1']].map(argv => ({argv, name: `${argv[1]} is the Service type`, objects: [service('s1')]})),
    {argv: ['get', 'svc/pods'], name: 'a Service named like a type, as svc/NAME', objects: [service('pods')]},
    {argv: ['get', 'svc', 'pods', '-o', 'name'], name: 'a Service named like a type, after the type', objects: [service('pods')]},
    {argv: ['describe', 'svc/pods'], documented: DESCRIBE_SECTIONS, name: 'describe a Service named like a type', objects: [service('pods')]},
    {argv: ['delete', 'svc/pods'], check: ['get', 'svc', 'pods'], name: 'delete a Service named like a type', objects: [service('pods')]},
  ],
  'delete flags': [
    ...[
      ['--force', '--grace-period=0'], ['--force'], ['--grace-period=0'], ['--grace-period=1'], ['--now'], ['--now', '--grace-period=5'],
      ['--now', '--force'], ['--force', '--grace-period=3'], ['--force', '--dry-run=client'], ['--force', '--grace-period=0', '--dry-run=server'],
      ['--force', '--grace-period=0', '-o', 'name'], ['--cascade=orphan'], ['--cascade=foreground'], ['--cascade=background'], ['--cascade'],
      ['--cascade=false'], ['--cascade=true'], ['--cascade=bogus'], ['--cascade=Orphan'],
    ].map(flags => ({argv: ['delete', 'svc', 'd1', ...flags], check: ['get', 'svc', 'd1', '-o', 'name'], name: `delete ${flags.join(' ')}`, objects: [service('d1')]})),
  ],
  'repeated names': [
    {argv: ['delete', 'svc', 'r1', 'r1'], check: ['get', 'svc', 'r1', '-o', 'name'], name: 'delete the same name twice', objects: [service('r1')]},
    {argv: ['delete', 'r1', 'r1'], documented: 'also take a bare NAME', name: 'delete NAME NAME without the type', objects: [service('r1')]},
    {argv: ['get', 'svc', 'r1', 'r1'], name: 'get the same name twice', objects: [service('r1')]},
    {argv: ['get', 'svc', 'r1', 'r1', '-o', 'name'], name: 'get -o name the same name twice', objects: [service('r1')]},
    {argv: ['get', 'svc', 'r1', 'nosuch', 'r1', '-o', 'name'], absent: [`${SERVICES}/nosuch`], name: 'get a repeat around a missing name', objects: [service('r1')]},
    {argv: ['describe', 'svc', 'r1', 'r1'], documented: DESCRIBE_SECTIONS, name: 'describe the same name twice', objects: [service('r1')]},
  ],
  'kubeconfig errors': [
    ...[['--context', 'nosuch'], ['--cluster', 'nosuch'], ['--user', 'nosuch'], ['--context', 'nosuch', '--cluster', 'nosuch'],
      ['--context', 'nosuch', '--user', 'nosuch'], ['--cluster', 'nosuch', '--user', 'nosuch'], ['--cluster', 'local', '-o', 'name'],
      ['--user', 'readonly', '-o', 'name'], ['--context', 'local', '--user', 'nosuch'], ['--kubeconfig', kfile('nosuch')]]
      .map(flags => ({argv: ['get', 'svc', ...flags], name: `get ${flags.join(' ')}`})),
    {argv: ['delete', 'svc', 'k1', '--context', 'nosuch'], name: 'delete with an unknown context', objects: [service('k1')]},
    {argv: ['get', 'svc', '-o', 'name'], env: {KUBECONFIG: kfile('ghost-current')}, name: 'current-context names a missing context'},
    {argv: ['get', 'svc', '-o', 'name'], env: {KUBECONFIG: kfile('missing-ca')}, name: 'certificate-authority file missing'},
    {argv: ['get', 'svc', '-o', 'name', '--user', 'nosuch'], env: {KUBECONFIG: kfile('missing-ca')}, name: 'certificate-authority file missing, unknown --user'},
    {argv: ['get', 'svc', '-o', 'name', '--context', 'nosuch'], env: {KUBECONFIG: kfile('missing-ca')}, name: 'certificate-authority file missing, unknown --context'},
    {argv: ['get', 'svc', '-o', 'name'], env: {KUBECONFIG: kfile('missing-client-cert')}, name: 'client-certificate and client-key files missing'},
    {argv: ['get', 'svc', '-o', 'name'], documented: 'the YAML parser', env: {KUBECONFIG: kfile('bad-yaml')}, name: 'not YAML'},
    {argv: ['get', 'svc', '-o', 'name'], documented: CONFIG_FALLBACK, env: {KUBECONFIG: kfile('no-current')}, name: 'no current-context'},
    {argv: ['get', 'svc', '-o', 'name'], documented: CONFIG_FALLBACK, env: {KUBECONFIG: kfile('context-cluster-missing')}, name: "the context's cluster is missing"},
    {argv: ['get', 'svc', '-o', 'name'], documented: CONFIG_FALLBACK, env: {KUBECONFIG: kfile('no-server')}, name: 'a cluster without a server'},
    {argv: ['get', 'svc', '-o', 'name'], documented: CONFIG_FALLBACK, env: {KUBECONFIG: kfile('nosuch')}, name: 'KUBECONFIG names no existing file'},
    {argv: ['get', 'svc', '-o', 'name'], documented: 'asks for a username', env: {KUBECONFIG: kfile('context-user-missing')}, name: "the context's user is missing"},
  ],
  '--save-config': [
    ...[['clusterip', 'sv1', '--tcp=80:8080'], ['clusterip', 'sv1', '--clusterip=None'], ['nodeport', 'sv1', '--tcp=80'], ['loadbalancer', 'sv1', '--tcp=80'],
      ['externalname', 'sv1', '--external-name=db.example.com']].flatMap(args => [
      {absent: [`${SERVICES}/sv1`], argv: ['create', 'service', ...args, '--save-config'], check: ANNOTATIONS, name: `create service ${args[0]} --save-config`},
      {absent: [`${SERVICES}/sv1`], argv: ['create', 'service', ...args, '--save-config', '--dry-run=client', '-o', 'json'], name: `create service ${args[0]} --save-config, client dry run`},
    ]),
    ...[['clusterip', 'sv1', '--clusterip=None', '--tcp=80'], ['externalname', 'sv1', '--external-name=db.example.com']].map(args => (
      {absent: [`${SERVICES}/sv1`], argv: ['create', 'service', ...args, '--save-config', '--dry-run=server', '-o', 'yaml'], name: `create service ${args[0]} --save-config, server dry run`})),
    ...[['plain', FILE_PLAIN], ['with annotations', FILE_ANNOTATED]].flatMap(([what, file]) => [
      {absent: [`${SERVICES}/sv1`], argv: ['create', '-f', file, '--save-config'], check: ANNOTATIONS, name: `create -f (${what}) --save-config`},
      {absent: [`${SERVICES}/sv1`], argv: ['create', '-f', file, '--save-config', '--dry-run=client', '-o', 'json'], name: `create -f (${what}) --save-config, client dry run`},
    ]),
    {absent: [`${SERVICES}/sv1`], argv: ['create', '-f', FILE_HEADLESS, '--save-config', '--dry-run=server', '-o', 'yaml'], name: 'create -f (headless) --save-config, server dry run'},
    {absent: [`${SERVICES}/sv1`], argv: ['create', '-f', FILE_HEADLESS, '--save-config', '--dry-run=client', '-o', 'yaml'], name: 'create -f (headless) --save-config, client dry run, yaml'},
    {absent: [`${SERVICES}/sv1`], argv: ['expose', 'deployment', 'web', '--name=sv1', '--port=80', '--save-config'], check: ANNOTATIONS, name: 'expose --save-config', objects: [DEPLOYMENT]},
    {absent: [`${SERVICES}/sv1`], argv: ['expose', 'deployment', 'web', '--name=sv1', '--port=80', '--save-config', '--dry-run=client', '-o', 'yaml'], name: 'expose --save-config, client dry run', objects: [DEPLOYMENT]},
    {absent: [`${SERVICES}/sv1`], argv: ['expose', 'deployment', 'web', '--name=sv1', '--port=80', '--cluster-ip=None', '--save-config', '--dry-run=server', '-o', 'yaml'], name: 'expose --save-config, server dry run', objects: [DEPLOYMENT]},
  ],
  'expose: look up before refusing': [
    ...[['ingress', 'nope'], ['ing/nope'], ['ingresses.networking.k8s.io', 'nope'], ['ingress', 'ing1'], ['ing.networking.k8s.io/ing1'],
      ['statefulset', 'x'], ['configmap', 'x'], ['nosuchtype', 'x'], ['deployment', 'nope']]
      .map(args => ({argv: ['expose', ...args, '--port=80'], name: `expose ${args.join(' ')}`, objects: [INGRESS]})),
  ],
  'errors documented as kubectl\'s words': [
    ...[['create', 'service', 'clusterip'], ['create', 'service', 'clusterip', 'e1'], ['create', 'service', 'clusterip', 'e1', '--tcp=65536'],
      ['create', 'service', 'clusterip', 'e1', '--tcp=abc'], ['create', 'service', 'clusterip', 'e1', '--tcp=80:-abc'], ['create', 'service', 'clusterip', 'e1', '--tcp=80:0'],
      ['create', 'service', 'externalname', 'e1', '--external-name=Bad_'], ['create', 'service', 'externalname', 'e1'],
      ['create', 'service', 'clusterip', 'e1', '--tcp=80', '--dry-run=foo'], ['create', 'service', 'clusterip', 'e1', '--tcp=80', '--validate=foo'],
      ['create', 'service', 'clusterip', 'e1', 'e2', '--tcp=80'], ['create', 'service', 'nodeport', 'e1', '--tcp=80', '--node-port=abc'],
      ['delete', 'svc'], ['delete', 'svc', 'e1', '-o', 'json'], ['delete', 'svc', '--all', '-l', 'a=b'], ['delete', 'svc', '--all', '--field-selector=metadata.name=x'], ['delete', 'svc', '--all', '-l', 'a=b', '-o', 'json'], ['delete', 'svc', 'e1', '--all'], ['delete', 'svc', 'e1', '-l', 'a=b'],
      ['delete', 'svc', '--dry-run=foo', 'e1'], ['get', 'svc', 'e1', '-A'], ['get', 'svc', 'e1', '-l', 'a=b'],
      ['expose', 'deployment'], ['expose', 'deployment', 'web', '--port=abc'], ['expose', 'deployment', 'web', '--session-affinity=x'],
      ['expose', 'deployment', 'web', '--selector=a==b'], ['expose', 'deployment', 'web', '--dry-run=client', '--overrides={}', '--override-type=x']]
      .map(argv => ({absent: [`${SERVICES}/e1`], argv, name: argv.join(' '), objects: [DEPLOYMENT]})),
    {absent: [`${SERVICES}/e1`], argv: ['create', 'service', 'clusterip', 'e1', '--tcp=80', '-o', 'wide'], documented: 'the list of allowed formats in the unable to match a printer error lacks kyaml', name: 'an output format create does not have'},
  ],
  'create service spellings': [
    ...[['clusterip', 'c1', '--tcp=80:8080'], ['nodeport', 'c1', '--tcp=80:8080'], ['loadbalancer', 'c1', '--tcp=80'], ['externalname', 'c1', '--external-name=db.example.com']]
      .flatMap(args => [
        {absent: [`${SERVICES}/c1`], argv: ['create', 'service', ...args], check: ['get', 'svc', 'c1', '-o', 'jsonpath={.spec.type} {.spec.ports[*].name}'], name: `create service ${args[0]}`},
        {absent: [`${SERVICES}/c1`], argv: ['create', 'svc', ...args, '--dry-run=client', '-o', 'yaml'], name: `create svc ${args[0]} --dry-run=client`},
      ]),
    {absent: [`${SERVICES}/c1`], argv: ['create', 'service', 'headless', 'c1', '--tcp=80'], documented: 'the svc create headless type', name: 'create service headless (svc only)'},
    {absent: [`${SERVICES}/c1`], argv: ['create', 'service', 'clusterip', 'c1', '--tcp=0:80'], documented: 'Client-side checks of names, ports', name: 'a port svc refuses before sending'},
  ],
}

after(() => rmSync(KDIR, {force: true, recursive: true}))

for (const kind of clusterKinds()) {
  describe(`parity on the ${kind} cluster`, () => {
    let cluster: TestCluster
    let rig: KubectlRig
    let parity: Parity

    before(async () => {
      cluster = await startTestCluster(kind)
      rig = await startKubectlRig(file => copyFileSync(cluster.kubeconfig(), file))
      // the kubeconfig variants are the same for both clusters (same names, users and contexts)
      writeKubeconfigs(rig.kubeconfig)
      parity = new Parity(rig, kind)
    })
    after(async () => {
      if (parity?.outcomes.length) process.stdout.write(`# parity report (${kind}): ${parity.writeReport()}\n`)
      await rig?.stop()
      await cluster?.stop()
    })

    for (const [group, cases] of Object.entries(CASES)) {
      describe(group, () => {
        for (const pc of cases) {
          it(`${pc.name}: ${pc.argv.join(' ')}`, async () => {
            const outcome = await parity.run(pc)
            const problem = parity.problem(outcome)
            assert.equal(problem, undefined, problem)
          })
        }
      })
    }
  })
}

// Every type `svc create service` lists takes the same flags in both spellings, svc's own flags
// included (no cluster needed: a client dry run, so once, with the local half).
describe('svc create service TYPE = svc create TYPE', {skip: !clusterKinds().includes('local') && 'runs with the local cluster\'s half (npm test)'}, () => {
  const TYPES: string[][] = [
    ['clusterip', 'x1', '--tcp=80:8080', '--clusterip=10.96.0.50', '--udp=53'],
    ['externalname', 'x1', '--external-name=db.example.com', '--tcp=5432'],
    ['headless', 'x1', '--tcp=80', '--selector=app=db'],
    ['loadbalancer', 'x1', '--tcp=443:https', '--session-affinity=ClientIP'],
    ['nodeport', 'x1', '--tcp=80:8080', '--node-port=30080', '--labels=team=a'],
  ]
  for (const args of TYPES) {
    for (const noun of ['service', 'svc']) {
      it(`create ${noun} ${args.join(' ')}`, async () => {
        const tail = ['--dry-run=client', '-o', 'yaml']
        const [long, short] = await Promise.all([runSvc(['create', noun, ...args, ...tail]), runSvc(['create', ...args, ...tail])])
        assert.equal(short.code, 0, short.stderr)
        assert.deepEqual(long, short)
      })
    }
  }
})
