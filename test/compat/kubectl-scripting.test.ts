// The cross-check for what CI scripts type: for the same objects in the same local cluster, svc
// prints what kubectl 1.35 prints (stdout, stderr and exit code, byte for byte) for every template
// output format (jsonpath, jsonpath-file, jsonpath-as-json, custom-columns, custom-columns-file,
// go-template, go-template-file, --template) on get, create and expose, their error cases, and the
// get flags scripts rely on (--ignore-not-found, --field-selector, --chunk-size,
// --output-watch-events, --show-kind, -L).

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {after, before, test} from 'node:test'

import {BIN, runSvc} from '../helpers/run-svc.ts'
import {eventually, runKubectl, startCompat, type Compat} from './helpers.ts'

let c: Compat

const MANIFESTS = `
apiVersion: v1
kind: Pod
metadata: {name: web-0, labels: {app: web}}
spec: {containers: [{name: c, image: nginx, ports: [{containerPort: 8080, name: http}]}]}
---
apiVersion: v1
kind: Service
metadata: {name: web, labels: {app: web, team: edge, example.com/tier: front}, annotations: {example.com/owner: me}}
spec: {clusterIP: 10.96.120.10, selector: {app: web}, ports: [{port: 80, targetPort: http}]}
---
apiVersion: v1
kind: Service
metadata: {name: np, labels: {team: core}}
spec: {type: NodePort, clusterIP: 10.96.120.11, selector: {app: web}, externalIPs: [198.51.100.7], ports: [{name: http, port: 80, targetPort: 8080, nodePort: 30280}, {name: dns, port: 53, protocol: UDP, nodePort: 30253}]}
---
apiVersion: v1
kind: Service
metadata: {name: lb}
spec: {type: LoadBalancer, clusterIP: 10.96.120.12, selector: {app: web}, ports: [{port: 443, targetPort: 8443, nodePort: 31543}]}
---
apiVersion: v1
kind: Service
metadata: {name: en}
spec: {type: ExternalName, externalName: db.example.com}
`

before(async () => {
  c = await startCompat()
  const r = await c.kubectl(['apply', '-f', c.file('x.yaml', MANIFESTS)])
  assert.equal(r.code, 0, r.stderr)
  const status = await c.kubectl(['patch', 'svc', 'lb', '--subresource=status', '--type=merge', '-p', '{"status":{"loadBalancer":{"ingress":[{"hostname":"lb.example.com"},{"ip":"203.0.113.10","ipMode":"VIP"}]}}}'])
  assert.equal(status.code, 0, status.stderr)
})
after(() => c?.stop())

function svc(args: string[]) {
  return runSvc(args, {env: {KUBECONFIG: c.kubeconfig}})
}

async function same(mine: string[], theirs: string[], options: {ages?: boolean} = {}): Promise<void> {
  const [a, b] = await Promise.all([svc(mine), c.kubectl(theirs)])
  // ages tick between the two runs and change the column's width: with ages, cells are compared
  // with the padding collapsed (the padding itself is checked by the tests without an AGE column)
  const norm = (s: string) => (options.ages ? s.replace(/(?<=\s)\d+[smhd][0-9smhd]*(?=\s|$)/gm, 'AGE').replace(/ {2,}/g, '  ').replace(/ +$/gm, '') : s)
  assert.equal(a.stderr, b.stderr, 'stderr')
  assert.equal(norm(a.stdout), norm(b.stdout), 'stdout')
  assert.equal(a.code, b.code, 'exit code')
}

const GET: string[][] = [
  // jsonpath: fields, filters, ranges, unions, slices, literals
  ['web', '-o', 'jsonpath={.spec.clusterIP}'],
  ['-o', 'jsonpath={range .items[*]}{.metadata.name}{"\\t"}{.spec.type}{"\\n"}{end}'],
  ['np', '-o', 'jsonpath={.spec.ports[?(@.protocol=="UDP")].nodePort}'],
  ['np', '-o', "jsonpath={.spec.ports[?(@.name=='http')].port}"],
  ['np', '-o', 'jsonpath={.spec.ports[*]}'],
  ['np', '-o', 'jsonpath={.spec.ports[-1:].name} {.spec.ports[0,1].port}'],
  ['lb', '-o', 'jsonpath={.status.loadBalancer.ingress[0].hostname}'],
  ['lb', '-o', 'jsonpath={..ip}'],
  ['web', 'np', '-o', 'jsonpath={.items[*].metadata.name}'],
  ['web', '-o', "jsonpath={.metadata.labels['team']} {.metadata.annotations.example\\.com/owner}"],
  ['np', '-o', 'jsonpath-as-json={.spec.ports[*].port}'],
  ['-o', 'jsonpath-as-json={range .items[*]}{.metadata.name}{end}'],
  ['web', '--template={.metadata.name}', '-o', 'jsonpath'],
  // jsonpath errors: missing keys (with the object dump), bad indexes, bad templates
  ['web', '-o', 'jsonpath={.nope}'],
  ['web', '-o', 'jsonpath={.spec.nope}', '--allow-missing-template-keys=false'],
  ['web', 'np', '-o', 'jsonpath={.items[0].spec.nope}', '--allow-missing-template-keys=false'],
  ['web', '-o', 'jsonpath={.spec.ports[3].port}'],
  ['web', '-o', 'jsonpath={.spec.ports[?(@.port=="80")].name}'],
  ['web', '-o', 'jsonpath={.metadata.name'],
  ['web', '-o', 'jsonpath={.spec.ports[x]}'],
  ['web', '-o', 'jsonpath={end}'],
  ['web', '-o', 'jsonpath'],
  ['web', '-o', 'jsonpath-file=/nonexistent/template'],
  // go-template
  ['np', '-o', 'go-template={{range .spec.ports}}{{.name}}={{.port}}{{"\\n"}}{{end}}'],
  ['-o', 'go-template={{range .items}}{{.metadata.name}}{{if eq .spec.type "LoadBalancer"}} {{(index .status.loadBalancer.ingress 1).ip}}{{end}}{{"\\n"}}{{end}}'],
  ['np', '-o', 'go-template={{$n := .metadata.name}}{{range $i, $p := .spec.ports}}{{printf "%s[%d]=%v/%s " $n $i $p.port $p.protocol}}{{end}}'],
  ['web', '-o', 'go-template={{with .metadata.labels}}{{.team}}{{else}}none{{end}} {{len .spec.ports}} {{index .metadata.labels "example.com/tier"}}'],
  ['web', '--template={{.spec.clusterIP}}'],
  ['web', '-o', 'go-template={{.nope}} {{.spec.nope.deeper}}'],
  ['web', '-o', 'go-template=before {{.nope.x}}', '--allow-missing-template-keys=false'],
  ['web', '-o', 'go-template={{index .spec.ports 3}}'],
  ['web', '-o', 'go-template={{.metadata.name'],
  ['web', '-o', 'go-template={{nope .metadata.name}}'],
  ['web', '-o', 'go-template'],
  // custom columns
  ['-o', 'custom-columns=NAME:.metadata.name,TYPE:.spec.type,PORTS:.spec.ports[*].port,IP:.status.loadBalancer.ingress[*].ip'],
  ['-o', 'custom-columns=NAME:metadata.name,TEAM:{.metadata.labels.team}', '--no-headers'],
  ['web', '-o', 'custom-columns=NAME:.metadata.name,SEL:.spec.selector,PORTS:.spec.ports'],
  ['-l', 'nothing=here', '-o', 'custom-columns=NAME:.metadata.name'],
  ['web', '-o', 'custom-columns=NAME'],
  ['web', '-o', 'custom-columns=NAME:.metadata.name,X:{{.a}}'],
  ['web', '-o', 'custom-columns=NAME:.spec.ports[x].port'],
  ['web', '-o', 'custom-columns'],
  ['web', '-o', 'custom-columns-file=/nonexistent/columns'],
  // get flags
  ['nosuch', '--ignore-not-found'],
  ['nosuch', '--ignore-not-found', '-o', 'jsonpath={.metadata.name}'],
  ['web', 'nosuch', '--ignore-not-found', '-o', 'name'],
  ['nosuch', '-o', 'jsonpath={.metadata.name}'],
  ['--field-selector', 'metadata.name=np', '-o', 'name'],
  ['--field-selector', 'metadata.name!=np', '-o', 'jsonpath={.items[*].metadata.name}'],
  ['--field-selector', 'spec.type=NodePort'],
  ['--chunk-size=2', '-o', 'name'],
  ['--show-kind'],
  ['--show-kind', '-A', '-o', 'wide'],
  ['-L', 'team,example.com/tier'],
  ['-L', 'team', '-L', 'app', '--show-labels', 'web', 'np'],
  ['web', '--output-watch-events'],
  // a bad selector: the server's BadRequest with what was listed (cli-runtime's EnhanceListError)
  ['-l', 'bad label!'],
  ['--field-selector', 'status.x=1', '-o', 'name'],
  ['-l', 'team', '--field-selector', 'nope=1', '-o', 'name'],
  // --sort-by where kubectl leaves the order alone: one named object, a table of one row; a list
  // of one object still needs the field; a watch's first table is sorted, and the field checked
  ['web', '--sort-by=.nope', '-o', 'name'],
  ['-l', 'team=edge', '--sort-by=.nope'],
  ['-l', 'team=edge', '--sort-by=.nope', '-o', 'name'],
  ['-w', '--sort-by=.nope'],
  // [*]: the first value the path finds; on a field that is not a list, kubectl's error
  ['--sort-by={.spec.ports[*].port}'],
  ['--sort-by=.spec.ports[*].name', '-o', 'name'],
  ['--sort-by={.spec.type[*]}', '-o', 'name'],
]

for (const args of GET) {
  test(`svc get ${args.join(' ')} = kubectl get svc ${args.join(' ')}`, async () => {
    await same(['get', ...args], ['get', 'svc', ...args], {ages: true})
  })
}

test('template files: jsonpath-file, custom-columns-file = kubectl', async () => {
  const jp = c.file('t.jsonpath', '{range .items[*]}{.metadata.name}={.spec.clusterIP}{"\\n"}{end}')
  const cols = c.file('t.columns', 'NAME   TYPE         PORTS\n.metadata.name  {.spec.type}  .spec.ports[*].port\n')
  const short = c.file('t.short', 'NAME TYPE\n.metadata.name\n')
  const gt = c.file('t.gotemplate', '{{range .items}}{{.metadata.name}}: {{range .spec.ports}}{{.port}} {{end}}\n{{end}}')
  for (const output of [`jsonpath-file=${jp}`, `custom-columns-file=${cols}`, `custom-columns-file=${short}`, `go-template-file=${gt}`, `templatefile=${gt}`]) {
    await same(['get', '-o', output], ['get', 'svc', '-o', output])
  }
})

// The other commands that list by selector word a bad one as get does.
for (const args of [['describe', '-l', 'bad label!'], ['delete', '-l', 'bad label!'], ['delete', '--field-selector', 'status.x=1'], ['wait', '-l', 'a b', '--for=delete', '--timeout=90s']]) {
  const theirs = [args[0], 'svc', ...args.slice(1)]
  test(`svc ${args.join(' ')} = kubectl ${theirs.join(' ')}`, async () => {
    await same(args, theirs)
  })
}

const WRITE: Array<[string[], string[]]> = [
  [['create', 'clusterip', 'made', '--tcp=80:8080', '--dry-run=client', '-o', 'jsonpath={.spec.ports[0].targetPort}']],
  [['create', 'nodeport', 'made', '--tcp=80', '--dry-run=client', '-o', 'jsonpath={.spec.ports[?(@.port==80)].name}']],
  [['create', 'clusterip', 'made', '--tcp=80', '--dry-run=client', '-o', 'jsonpath={.spec.nope}', '--allow-missing-template-keys=false']],
  [['create', 'clusterip', 'made', '--tcp=80', '--dry-run=client', '-o', 'jsonpath-as-json={.metadata}']],
  [['expose', 'svc', 'web', '--name=cs2', '--port=8080', '--dry-run=client', '-o', 'jsonpath={.spec.selector.app}:{.spec.ports[0].port}']],
  [['create', 'clusterip', 'made', '--tcp=80:8080', '--dry-run=client', '-o', 'go-template={{range .spec.ports}}{{.port}}>{{.targetPort}}{{end}} {{.metadata.creationTimestamp}}']],
  [['create', 'clusterip', 'made', '--tcp=80', '--dry-run=client', '-o', 'go-template={{.spec.nope}}', '--allow-missing-template-keys=false']],
  [['expose', 'svc', 'np', '--name=np2', '--dry-run=client', '-o', 'go-template={{range .spec.ports}}{{.name}} {{end}}']],
].map(([args]) => [args, args[0] === 'create' ? ['create', 'service', ...args.slice(1)] : args])

for (const [mine, theirs] of WRITE) {
  test(`svc ${mine.join(' ')} = kubectl ${theirs.join(' ')}`, async () => {
    await same(mine, theirs)
  })
}

test('create has no custom-columns: kubectl\'s error, less the kyaml format svc does not print', async () => {
  const args = ['clusterip', 'made', '--tcp=80', '--dry-run=client', '-o', 'custom-columns=N:.metadata.name']
  const [a, b] = await Promise.all([svc(['create', ...args]), c.kubectl(['create', 'service', ...args])])
  // svc has no kyaml printer
  assert.equal(a.stderr, b.stderr.replace('kyaml,', ''))
  assert.equal(a.code, b.code)
})

const WAIT: string[][] = [
  ['svc/web', '--for=jsonpath={.spec.type}=ClusterIP'],
  ['svc/web', 'svc/np', '--for=jsonpath={.spec.sessionAffinity}=None'],
  ['svc', '-l', 'team', '--for=jsonpath={.spec.ports[?(@.port==80)].protocol}=TCP'],
  ['svc/web', '--for=jsonpath={.spec.type}=ClusterIP', '-o', 'name'],
  ['svc/web', '--for=jsonpath={.spec.type}', '-o', 'jsonpath={.spec.clusterIP}'],
  ['svc/web', '--for=create'],
  // Answered at the first read (gone, NotFound, a jsonpath error, nothing selected): a timeout far
  // beyond it, which the answer must not race (with 1 s, svc's first read took longer at a load
  // average of 15 and svc timed out); were the answer not given at once, svc would time out
  // while kubectl answers, and the test would still fail.
  ['svc/nosuch', '--for=delete', '--timeout=90s'],
  ['svc/nosuch', '--for=jsonpath={.spec.type}=X', '--timeout=90s'],
  ['svc/web', 'svc/nosuch', '--for=jsonpath={.spec.type}=ClusterIP', '--timeout=90s'],
  ['svc/web', '--for=jsonpath={.spec.ports}=x', '--timeout=90s'],
  ['svc', '-l', 'nothing=here', '--for=jsonpath={.a}=b', '--timeout=90s'],
  // Timing out is the answer: the same words whether the first read came back within 1 s or not.
  ['svc/web', '--for=jsonpath={.spec.type}=NodePort', '--timeout=1s'],
  ['svc/web', '--for=jsonpath={.spec.type}=NodePort', '--timeout=0'],
  ['svc/nosuch', '--for=create', '--timeout=1s'],
  ['svc/web', '--for=condition=Ready', '--timeout=1s'],
  ['svc', '--for=create'],
  ['svc/web', '--for=bogus'],
  ['svc/web'],
  ['svc/web', '--for=jsonpath='],
  ['svc/web', '--for=jsonpath={.spec.type}='],
]

for (const args of WAIT) {
  test(`svc wait ${args.join(' ')} = kubectl wait ${args.join(' ')}`, async () => {
    await same(['wait', ...args], ['wait', ...args])
  })
}

// A server slower than --timeout: kubectl reads named objects first with no deadline (the
// resource builder WithLatest()), so a missing one is still NotFound and --for=delete of one still
// done; one that exists has no time left for the condition's list and watch.
test('svc wait = kubectl wait when each answer takes longer than --timeout', async t => {
  c.cluster.setLatency(1500)
  t.after(() => c.cluster.setLatency(0))
  for (const args of [
    ['svc/nosuch', '--for=jsonpath={.spec.type}=X', '--timeout=1s'],
    ['svc/nosuch', '--for=delete', '--timeout=1s'],
    ['svc/web', '--for=jsonpath={.spec.type}=ClusterIP', '--timeout=1s'],
  ]) {
    await same(['wait', ...args], ['wait', ...args])
  }
})

/** The query strings of the list requests a -v=6 run made, in order. */
function listQueries(stderr: string): string[] {
  return [...stderr.matchAll(/services(\?[^" ]*)?["\s]/g)].map(m => m[1] ?? '')
}

test('--chunk-size pages through the list with limit/continue as kubectl does (default 500)', async () => {
  for (const size of [['--chunk-size=2'], [], ['--chunk-size=0']]) {
    const [mine, theirs] = await Promise.all([svc(['get', ...size, '-o', 'name', '-v', '6']), c.kubectl(['get', 'svc', ...size, '-o', 'name', '-v=6'])])
    assert.equal(mine.stdout, theirs.stdout)
    const a = listQueries(mine.stderr)
    const b = listQueries(theirs.stderr)
    assert.deepEqual(a, b)
    if (size[0] === '--chunk-size=2') assert.ok(a.length >= 3 && a.slice(1).every(q => q.includes('continue=')), a.join('\n'))
  }
})

/** Starts a long-running command; its stdout can be awaited. */
function start(command: string, args: string[]) {
  const child = spawn(command === 'svc' ? process.execPath : c.kubectlPath, command === 'svc' ? [BIN, ...args] : args, {
    env: c.env(), stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  child.stdout!.setEncoding('utf8').on('data', d => (out += d))
  child.stderr!.setEncoding('utf8').on('data', d => (err += d))
  const exited = new Promise<number | null>(resolve => child.on('close', code => resolve(code)))
  return {
    err: () => err,
    exited,
    out: () => out,
    async stop() {
      if (child.exitCode === null) child.kill('SIGINT')
      return exited
    },
  }
}

/** svc's and kubectl's `get ARGS` through a label change on np (which `changed` sees): the same output, ages aside. */
async function sameThroughAChange(args: string[], changed: RegExp, options: {stderr?: boolean} = {}): Promise<void> {
  const mine = start('svc', ['get', ...args])
  const theirs = runKubectl(c, ['get', 'svc', ...args])
  const initial = /np/
  await eventually(async () => initial.test(mine.out()), 'svc prints the initial objects')
  await theirs.waitFor(initial)
  const r = await c.kubectl(['label', 'svc', 'np', 'touched=yes', '--overwrite'])
  assert.equal(r.code, 0, r.stderr)
  await eventually(async () => changed.test(mine.out()), 'svc prints the change')
  await theirs.waitFor(changed)
  // the two print their rows at different moments: ages (any width) are not compared
  const strip = (s: string) => s.replace(/(?<=\s)\d+[smhd]\S*(?=\s*$)/gm, 'AGE').replace(/ +$/gm, '')
  // The change shows before the rest of its object: kubectl's watch writes an object line by line
  // (through its tabwriter), so a SIGINT sent now could cut it short. Stop both once they have
  // printed the same; if they never do, the assertion below shows how they differ.
  await eventually(() => strip(mine.out()) === strip(theirs.stdout()), 'svc and kubectl to print the same', 5_000).catch(() => undefined)
  await Promise.all([mine.stop(), theirs.stop()])
  assert.equal(strip(mine.out()), strip(theirs.stdout()))
  if (options.stderr) assert.equal(mine.err(), theirs.stderr())
  await c.kubectl(['label', 'svc', 'np', 'touched-'])
}

for (const output of [[], ['-o', 'json'], ['-o', 'yaml'], ['-o', 'jsonpath={.type} {.object.metadata.name}{"\\n"}'], ['-o', 'custom-columns=EVENT:.type,NAME:.object.metadata.name']]) {
  test(`svc get web np -w --output-watch-events ${output.join(' ')} = kubectl's, through a change`, async () => {
    await sameThroughAChange(['-l', 'team', '-w', '--output-watch-events', ...output], /MODIFIED/)
  })
}

// Without --output-watch-events each object is printed on its own, managedFields hidden unless asked for.
for (const output of [['-o', 'json'], ['-o', 'yaml'], ['-o', 'json', '--show-managed-fields'], ['-o', 'yaml', '--show-managed-fields']]) {
  test(`svc get web np -w ${output.join(' ')} = kubectl's, through a change`, async () => {
    await sameThroughAChange(['-l', 'team', '-w', ...output], /touched"?: "yes"/)
  })
}

// --sort-by: kubectl sorts with Go's sort.Sort (not stable above 12 items) and a Less that puts an
// object without the field before any other, one without it included; two strings that are both
// quantities (a resourceVersion, `500Mi`, `2`) compare by value. 30 Services in their own namespace
// (so that the cases above do not see them) with equal, missing and quantity keys.
test('--sort-by = kubectl: equal keys and missing fields in Go\'s order, quantities by value', async () => {
  const QS = ['', '2', '10', '1Gi', '500Mi', '3e2', 'x', '', '0.5']
  const docs = ['apiVersion: v1\nkind: Namespace\nmetadata: {name: sorting}']
  for (let i = 0; i < 30; i++) {
    const q = QS[(i * 7) % QS.length]
    const annotations = q ? `, annotations: {q: '${q}'}` : ''
    docs.push(`apiVersion: v1\nkind: Service\nmetadata: {name: s${(i * 13) % 30}, namespace: sorting, labels: {t: t${i % 3}}${annotations}}\nspec: {ports: [{port: ${[80, 443, 8080][i % 3]}}]}`)
  }
  const made = await c.kubectl(['apply', '-f', c.file('sorting.yaml', docs.join('\n---\n'))])
  assert.equal(made.code, 0, made.stderr)
  try {
    for (const key of ['.metadata.annotations.q', '.metadata.labels.t', '{.spec.ports[0].port}', '.metadata.resourceVersion', '.metadata.name', '.spec.type']) {
      await same(['-n', 'sorting', 'get', '--sort-by', key, '-o', 'name'], ['-n', 'sorting', 'get', 'svc', '--sort-by', key, '-o', 'name'])
    }
    await same(['-n', 'sorting', 'get', '--sort-by=.metadata.annotations.q'], ['-n', 'sorting', 'get', 'svc', '--sort-by=.metadata.annotations.q'], {ages: true})
    await same(['get', '-A', '--sort-by=.metadata.labels.t', '-o', 'wide'], ['get', 'svc', '-A', '--sort-by=.metadata.labels.t', '-o', 'wide'], {ages: true})
  } finally {
    await c.kubectl(['delete', 'svc', '--all', '-n', 'sorting'])
  }
})

// -w with --sort-by: kubectl warns, sorts the first Table (web's ClusterIP before np's NodePort)
// but not objects printed one by one (np, web as listed), and never the events.
for (const [output, changed] of [[[], /^np .*\n[^]*^np /m], [['-o', 'name'], /service\/np\n[^]*service\/np\n/]] as Array<[string[], RegExp]>) {
  test(`svc get -l team -w --sort-by=.spec.type ${output.join(' ')} = kubectl's, through a change`, async () => {
    await sameThroughAChange(['-l', 'team', '-w', '--sort-by=.spec.type', ...output], changed, {stderr: true})
  })
}

test('svc get --watch-only --sort-by = kubectl\'s warning', async () => {
  const mine = start('svc', ['get', '--watch-only', '--sort-by=.spec.type'])
  const theirs = runKubectl(c, ['get', 'svc', '--watch-only', '--sort-by=.spec.type'])
  await eventually(async () => mine.err().endsWith('\n'), 'svc warns')
  await eventually(async () => theirs.stderr().endsWith('\n'), 'kubectl warns')
  await Promise.all([mine.stop(), theirs.stop()])
  assert.equal(mine.err(), 'warning: --watch-only requested, --sort-by will be ignored\n')
  assert.equal(mine.err(), theirs.stderr())
})
