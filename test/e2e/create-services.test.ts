// svc create TYPE NAME through the built binary against the local cluster: every type, single and
// multi-port, named ports, headless, session affinity, dry runs, -o yaml|json|name, and the error
// paths with their exact stdout, stderr and exit code.

import assert from 'node:assert/strict'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import path from 'node:path'
import {after, before, describe, it} from 'node:test'

import type {ServicePort} from '../../src/kube/types.ts'
import {type LocalCluster, startCluster} from '../cluster/index.ts'
import {runSvc} from '../helpers/run-svc.ts'

let cluster: LocalCluster
let dir: string
let env: Record<string, string>

before(async () => {
  cluster = await startCluster()
  dir = mkdtempSync(path.join(tmpdir(), 'svc-create-'))
  const kubeconfig = path.join(dir, 'kubeconfig')
  cluster.writeKubeconfig(kubeconfig)
  env = {KUBECONFIG: kubeconfig}
})

after(async () => {
  await cluster?.stop()
  if (dir) rmSync(dir, {force: true, recursive: true})
})

const svc = (args: string[], input?: string) => runSvc(args, {env, input})

/** Replaces the values the server makes up (uid, times, IPs, node ports, versions) with placeholders. */
function normalize(text: string): string {
  return text
    .replace(/(uid: |"uid": ")[0-9a-f-]{36}/g, '$1UID')
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, 'TIME')
    .replace(/\b10\.\d+\.\d+\.\d+\b/g, 'IP')
    .replace(/(resourceVersion: |"resourceVersion": )"\d+"/g, '$1"RV"')
}

describe('svc create: success', () => {
  it('clusterip prints kubectl\'s message and the object exists as kubectl would build it', async () => {
    const r = await svc(['create', 'clusterip', 'my-cs', '--tcp=5678:8080'])
    assert.deepEqual(r, {code: 0, signal: null, stderr: '', stdout: 'service/my-cs created\n'})
    const stored = cluster.getObject('services', 'default', 'my-cs')
    assert.deepEqual(stored.metadata.labels, {app: 'my-cs'})
    assert.deepEqual(stored.spec.selector, {app: 'my-cs'})
    assert.deepEqual(stored.spec.ports, [{name: '5678-8080', port: 5678, protocol: 'TCP', targetPort: 8080}])
    assert.equal(stored.spec.type, 'ClusterIP')
    assert.equal(stored.metadata.managedFields[0].manager, 'kubectl-create')
  })

  it('nodeport over TCP and UDP with a fixed node port', async () => {
    const r = await svc(['create', 'service', 'nodeport', 'my-ns', '--tcp=53:dns', '--udp=53:dns', '--node-port=30053', '-o', 'yaml'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(r.stderr, '')
    const out = normalize(r.stdout)
    assert.match(out, /^apiVersion: v1\nkind: Service\nmetadata:\n {2}creationTimestamp: "TIME"\n/)
    assert.equal(out.slice(out.indexOf('\nspec:\n')), '\nspec:\n  clusterIP: IP\n  clusterIPs:\n  - IP\n  externalTrafficPolicy: Cluster\n  internalTrafficPolicy: Cluster\n  ipFamilies:\n  - IPv4\n  ipFamilyPolicy: SingleStack\n  ports:\n  - name: 53-dns\n    nodePort: 30053\n    port: 53\n    protocol: TCP\n    targetPort: dns\n  - name: 53-dns-udp\n    nodePort: 30053\n    port: 53\n    protocol: UDP\n    targetPort: dns\n  selector:\n    app: my-ns\n  sessionAffinity: None\n  type: NodePort\nstatus:\n  loadBalancer: {}\n')
  })

  it('nodeport with several ports and named target ports; the cluster picks node ports', async () => {
    assert.deepEqual(await svc(['create', 'nodeport', 'multi', '--tcp=80:http,443:https']), {code: 0, signal: null, stderr: '', stdout: 'service/multi created\n'})
    const ports: ServicePort[] = cluster.getObject('services', 'default', 'multi').spec.ports
    assert.deepEqual(ports.map(p => `${p.name} ${p.port}->${p.targetPort}`), ['80-http 80->http', '443-https 443->https'])
    assert.ok(ports.every(p => p.nodePort! >= 30000 && p.nodePort! <= 32767))
  })

  it('-o yaml hides managedFields as kubectl does; --show-managed-fields keeps them', async () => {
    const hidden = await svc(['create', 'clusterip', 'mf1', '--tcp=80', '-o', 'yaml'])
    assert.equal(hidden.code, 0, hidden.stderr)
    assert.doesNotMatch(hidden.stdout, /managedFields/)
    const shown = await svc(['create', 'clusterip', 'mf2', '--tcp=80', '-o', 'yaml', '--show-managed-fields'])
    assert.match(shown.stdout, /\n {2}managedFields:\n {2}- apiVersion: v1\n {4}fieldsType: FieldsV1\n/)
    assert.match(shown.stdout, /\n {4}manager: kubectl-create\n {4}operation: Update\n/)
  })

  it('loadbalancer -o json is in kubectl\'s typed field order', async () => {
    const r = await svc(['create', 'loadbalancer', 'my-lbs', '--tcp=5678:8080', '-o', 'json'])
    assert.equal(r.code, 0, r.stderr)
    const keys = Object.keys(JSON.parse(r.stdout))
    assert.deepEqual(keys, ['kind', 'apiVersion', 'metadata', 'spec', 'status'])
    assert.match(r.stdout, /^\{\n {4}"kind": "Service",\n {4}"apiVersion": "v1",\n {4}"metadata": \{\n {8}"name": "my-lbs",\n {8}"namespace": "default",\n/)
    assert.match(r.stdout, /"type": "LoadBalancer"/)
  })

  it('externalname, headless and -o name', async () => {
    assert.deepEqual(await svc(['create', 'externalname', 'my-en', '--external-name', 'bar.com', '-o', 'name']), {code: 0, signal: null, stderr: '', stdout: 'service/my-en\n'})
    assert.equal(cluster.getObject('services', 'default', 'my-en').spec.externalName, 'bar.com')
    assert.deepEqual(await svc(['create', 'headless', 'my-hl']), {code: 0, signal: null, stderr: '', stdout: 'service/my-hl created\n'})
    assert.equal(cluster.getObject('services', 'default', 'my-hl').spec.clusterIP, 'None')
    assert.deepEqual(await svc(['create', 'clusterip', 'my-hl2', '--clusterip=None']), {code: 0, signal: null, stderr: '', stdout: 'service/my-hl2 created\n'})
  })

  it('session affinity, selector and labels', async () => {
    const r = await svc(['create', 'clusterip', 'sticky', '--tcp=80', '--session-affinity=ClientIP', '--session-affinity-timeout=600', '--selector=app=web,tier=fe', '--labels=team=a'])
    assert.deepEqual(r, {code: 0, signal: null, stderr: '', stdout: 'service/sticky created\n'})
    const stored = cluster.getObject('services', 'default', 'sticky')
    assert.deepEqual(stored.spec.sessionAffinityConfig, {clientIP: {timeoutSeconds: 600}})
    assert.deepEqual(stored.spec.selector, {app: 'web', tier: 'fe'})
    assert.deepEqual(stored.metadata.labels, {team: 'a'})
  })

  it('-n puts the service in that namespace', async () => {
    assert.deepEqual(await svc(['create', 'clusterip', 'in-ks', '--tcp=80', '-n', 'kube-system']), {code: 0, signal: null, stderr: '', stdout: 'service/in-ks created\n'})
    assert.ok(cluster.getObject('services', 'kube-system', 'in-ks'))
  })

  it('--save-config is accepted and, as in kubectl 1.35, writes no annotation', async () => {
    const r = await svc(['create', 'clusterip', 'saved', '--tcp=80', '--save-config'])
    assert.equal(r.code, 0, r.stderr)
    assert.equal(cluster.getObject('services', 'default', 'saved').metadata.annotations, undefined)
  })
})

describe('svc create: dry runs', () => {
  it('client dry run needs no cluster and prints kubectl 1.35\'s YAML', async () => {
    const r = await runSvc(['create', 'clusterip', 'my-cs', '--tcp=5678:8080', '--dry-run=client', '-o', 'yaml'])
    assert.deepEqual(r, {code: 0, signal: null, stderr: '', stdout: 'apiVersion: v1\nkind: Service\nmetadata:\n  labels:\n    app: my-cs\n  name: my-cs\nspec:\n  ports:\n  - name: 5678-8080\n    port: 5678\n    protocol: TCP\n    targetPort: 8080\n  selector:\n    app: my-cs\n  type: ClusterIP\nstatus:\n  loadBalancer: {}\n'})
  })

  it('client dry run: message, -n in the object, json', async () => {
    assert.deepEqual(await svc(['create', 'nodeport', 'dry', '--tcp=80', '--dry-run=client']), {code: 0, signal: null, stderr: '', stdout: 'service/dry created (dry run)\n'})
    assert.equal(cluster.getObject('services', 'default', 'dry'), undefined)
    const r = await runSvc(['create', 'externalname', 'en', '--external-name=bar.com', '--dry-run=client', '-o', 'json', '-n', 'foo'])
    assert.equal(r.stdout, '{\n    "kind": "Service",\n    "apiVersion": "v1",\n    "metadata": {\n        "name": "en",\n        "namespace": "foo",\n        "labels": {\n            "app": "en"\n        }\n    },\n    "spec": {\n        "selector": {\n            "app": "en"\n        },\n        "type": "ExternalName",\n        "externalName": "bar.com"\n    },\n    "status": {\n        "loadBalancer": {}\n    }\n}\n')
  })

  it('server dry run: the server\'s object, nothing stored', async () => {
    assert.deepEqual(await svc(['create', 'clusterip', 'sdry', '--tcp=80', '--dry-run=server']), {code: 0, signal: null, stderr: '', stdout: 'service/sdry created (server dry run)\n'})
    assert.equal(cluster.getObject('services', 'default', 'sdry'), undefined)
    const r = await svc(['create', 'clusterip', 'sdry', '--tcp=80', '--dry-run=server', '-o', 'yaml'])
    assert.match(normalize(r.stdout), /\n {2}clusterIP: IP\n/)
  })

  it('bare --dry-run means client, with kubectl\'s deprecation warning', async () => {
    const r = await runSvc(['create', 'clusterip', 'x', '--tcp=80', '--dry-run', '-o', 'name'])
    assert.equal(r.code, 0)
    assert.equal(r.stdout, 'service/x\n')
    assert.match(r.stderr, /^W\d{4} \d\d:\d\d:\d\d\.\d{6} +\d+ helpers\.go:703\] --dry-run is deprecated and can be replaced with --dry-run=client\.\n$/)
  })
})

describe('svc create: errors', () => {
  const cases: Array<[string, string[], string]> = [
    ['no NAME', ['create', 'clusterip', '--tcp=80'], "error: exactly one NAME is required, got 0\nSee 'svc create clusterip -h' for help and examples\n"],
    ['two NAMEs (kubectl spelling)', ['create', 'service', 'clusterip', 'a', 'b', '--tcp=80'], "error: exactly one NAME is required, got 2\nSee 'svc create service clusterip -h' for help and examples\n"],
    ['no ports', ['create', 'clusterip', 'x'], 'error: at least one tcp port specifier must be provided\n'],
    ['port out of range', ['create', 'clusterip', 'x', '--tcp=65536'], 'error: strconv.ParseUint: parsing "65536": value out of range\n'],
    ['bad target port name', ['create', 'clusterip', 'x', '--tcp=80:-abc'], 'error: must not begin or end with a hyphen\n'],
    ['bad external name', ['create', 'externalname', 'x', '--external-name=Bad_'], 'error: invalid service external name Bad_\n'],
    ['missing external name', ['create', 'externalname', 'x'], 'error: required flag(s) "external-name" not set\n'],
    ['bad dry-run', ['create', 'clusterip', 'x', '--tcp=80', '--dry-run=foo'], 'error: Invalid dry-run value (foo). Must be "none", "server", or "client".\n'],
    ['bad validate', ['create', 'clusterip', 'x', '--tcp=80', '--validate=foo'], 'error: invalid - validate option "foo"; must be one of: strict (or true), warn, ignore (or false)\n'],
    ['bad output', ['create', 'clusterip', 'x', '--tcp=80', '-o', 'wide'], 'error: unable to match a printer suitable for the output format "wide", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml\n'],
    ['bad node port value', ['create', 'nodeport', 'x', '--tcp=80', '--node-port=abc'], 'error: invalid argument "abc" for "--node-port" flag: strconv.ParseInt: parsing "abc": invalid syntax\nSee \'svc create nodeport --help\' for usage.\n'],
    ['svc: name', ['create', 'clusterip', 'Web_1', '--tcp=80'], 'error: invalid service name "Web_1": a DNS-1035 label must consist of lower case alphanumeric characters or \'-\', start with an alphabetic character, and end with an alphanumeric character (e.g. \'my-name\',  or \'abc-123\', regex used for validation is \'[a-z]([-a-z0-9]*[a-z0-9])?\'); for example "web-1"\n'],
    ['svc: node port range', ['create', 'nodeport', 'x', '--tcp=80', '--node-port=80'], 'error: invalid --node-port=80: must be between 30000 and 32767 (the default range), or 0 to let the cluster pick one; pass --validate=ignore if your cluster uses another range\n'],
    ['svc: affinity timeout', ['create', 'clusterip', 'x', '--tcp=80', '--session-affinity=ClientIP', '--session-affinity-timeout=0'], 'error: invalid --session-affinity-timeout=0: must be a whole number of seconds from 1 to 86400 (default 10800)\n'],
  ]
  for (const [title, args, stderr] of cases) {
    it(title, async () => assert.deepEqual(await svc(args), {code: 1, signal: null, stderr, stdout: ''}))
  }

  it('server errors are wrapped as kubectl does', async () => {
    assert.equal((await svc(['create', 'clusterip', 'dup', '--tcp=80'])).code, 0)
    assert.deepEqual(await svc(['create', 'clusterip', 'dup', '--tcp=80']), {code: 1, signal: null, stderr: 'error: failed to create ClusterIP service: services "dup" already exists\n', stdout: ''})
    assert.deepEqual(await svc(['create', 'clusterip', 'x', '--tcp=80', '-n', 'nope']), {code: 1, signal: null, stderr: 'error: failed to create ClusterIP service: namespaces "nope" not found\n', stdout: ''})
  })

  it('server validation and allocation errors, wrapped (rule 4 of kubectl\'s error rendering)', async () => {
    assert.deepEqual(await svc(['create', 'clusterip', 'twice', '--tcp=80', '--tcp=80']), {code: 1, signal: null, stdout: '',
      stderr: 'error: failed to create ClusterIP service: Service "twice" is invalid: [spec.ports[1].name: Duplicate value: "80", spec.ports[1]: Duplicate value: {"Name":"","Protocol":"TCP","AppProtocol":null,"Port":80,"TargetPort":0,"NodePort":0}]\n'})
    assert.deepEqual(await svc(['create', 'nodeport', 'np80', '--tcp=80', '--node-port=80', '--validate=ignore']), {code: 1, signal: null, stdout: '',
      stderr: 'error: failed to create NodePort service: Service "np80" is invalid: spec.ports[0].nodePort: Invalid value: 80: provided port is not in the valid range. The range of valid ports is 30000-32767\n'})
    assert.equal((await svc(['create', 'nodeport', 'np1', '--tcp=80', '--node-port=30500'])).code, 0)
    assert.deepEqual(await svc(['create', 'nodeport', 'np2', '--tcp=80', '--node-port=30500']), {code: 1, signal: null, stdout: '',
      stderr: 'error: failed to create NodePort service: Service "np2" is invalid: spec.ports[0].nodePort: Invalid value: 30500: provided port is already allocated\n'})
    assert.deepEqual(await svc(['create', 'clusterip', 'ip', '--tcp=80', '--clusterip=1.1.1.1']), {code: 1, signal: null, stdout: '',
      stderr: 'error: failed to create ClusterIP service: Service "ip" is invalid: spec.clusterIPs: Invalid value: ["1.1.1.1"]: failed to allocate IP 1.1.1.1: the provided network does not match the current range\n'})
  })

  it('a read-only user is refused by the server', async () => {
    const kubeconfig = path.join(dir, 'readonly')
    cluster.writeKubeconfig(kubeconfig, 'readonly')
    const r = await runSvc(['create', 'clusterip', 'ro', '--tcp=80'], {env: {KUBECONFIG: kubeconfig}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^error: failed to create ClusterIP service: services is forbidden: /)
  })

  it('an unreachable server', async () => {
    const kubeconfig = path.join(dir, 'down')
    const other = await startCluster()
    other.writeKubeconfig(kubeconfig)
    await other.stop()
    const r = await runSvc(['create', 'clusterip', 'x', '--tcp=80'], {env: {KUBECONFIG: kubeconfig}})
    assert.equal(r.code, 1)
    assert.match(r.stderr, /^error: failed to create ClusterIP service: Post "https:\/\/127\.0\.0\.1:\d+\/api\/v1\/namespaces\/default\/services\?fieldManager=kubectl-create&fieldValidation=Strict": dial tcp 127\.0\.0\.1:\d+: connect: connection refused\n$/)
  })
})
