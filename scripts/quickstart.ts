// `npm run quickstart`: brings up the local cluster, deploys a small web app, and runs svc against
// it the way a person would: expose, get, describe, and a port-forward that runs a command. Then
// the cluster keeps serving, so you can go on by hand, until Ctrl-C.
//
//   npm run quickstart                 # demo, then keep serving (prints the KUBECONFIG to use)
//   npm run quickstart -- --exit       # demo only (what the test runs)
//   npm run quickstart -- --kubeconfig FILE   # write the kubeconfig there (default .cache/quickstart/)

import {spawn} from 'node:child_process'
import {mkdirSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {KubeConfig} from '@kubernetes/client-node'

import {KubeClient} from '../src/kube/client.ts'
import {startCluster} from '../test/cluster/index.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const exitAfterDemo = process.argv.includes('--exit')
const flagAt = process.argv.indexOf('--kubeconfig')
const kubeconfig = path.resolve(flagAt > 0 && process.argv[flagAt + 1] ? process.argv[flagAt + 1] : path.join(ROOT, '.cache', 'quickstart', 'kubeconfig'))
mkdirSync(path.dirname(kubeconfig), {recursive: true})

const cluster = await startCluster()
cluster.writeKubeconfig(kubeconfig)
process.stdout.write(`# local cluster at ${cluster.url}; kubeconfig ${kubeconfig}\n`)

const kc = new KubeConfig()
kc.loadFromFile(kubeconfig)
const client = new KubeClient(kc)

// A Deployment of two pods whose port 8080 answers HTTP (GET /hostname returns the pod's name).
await client.request({
  body: {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: {labels: {app: 'web'}, name: 'web'},
    spec: {
      replicas: 2,
      selector: {matchLabels: {app: 'web'}},
      template: {
        metadata: {annotations: {'sim.svc.local/port-8080': 'http'}, labels: {app: 'web'}},
        spec: {containers: [{image: 'nginx:1.27', name: 'web', ports: [{containerPort: 8080, name: 'http'}]}]},
      },
    },
  },
  method: 'POST',
  path: '/apis/apps/v1/namespaces/default/deployments',
})
const deadline = Date.now() + 30_000
while ((await client.request<{status?: {readyReplicas?: number}}>({path: '/apis/apps/v1/namespaces/default/deployments/web'})).body.status?.readyReplicas !== 2) {
  if (Date.now() > deadline) throw new Error('the web deployment did not become ready')
  await new Promise(resolve => setTimeout(resolve, 50))
}

/** Runs svc as a user would, echoing the command line and its output; stops the demo on failure. */
function svc(...args: string[]): Promise<void> {
  process.stdout.write(`\n$ svc ${args.map(a => (/[\s"'$]/.test(a) ? `'${a}'` : a)).join(' ')}\n`)
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(ROOT, 'bin', 'run.js'), ...args], {
      env: {...process.env, KUBECONFIG: kubeconfig},
      stdio: ['ignore', 'inherit', 'inherit'],
    })
    child.on('error', reject)
    child.on('exit', code => (code === 0 ? resolve() : reject(new Error(`svc ${args[0]} exited with ${code}`))))
  })
}

const fetchTwice = 'for (let i = 0; i < 2; i++) { const r = await fetch(`http://127.0.0.1:${process.env.SVC_PORT}/hostname`); console.log("GET /hostname ->", await r.text()) }'

try {
  await svc('expose', 'deployment', 'web', '--port', '80', '--target-port', 'http')
  await svc('create', 'nodeport', 'web-public', '--tcp', '80:http', '--selector', 'app=web')
  await svc('get', '-o', 'wide')
  await svc('describe', 'web')
  await svc('port-forward', 'svc/web', ':80', '--quiet', '--', process.execPath, '--input-type=module', '-e', fetchTwice)
} catch (error) {
  process.stderr.write(`quickstart failed: ${(error as Error).message}\n`)
  process.exitCode = 1
}

if (exitAfterDemo || process.exitCode) {
  await cluster.stop()
} else {
  process.stdout.write(`\n# The cluster keeps serving. In another shell:\n#   export KUBECONFIG=${kubeconfig}\n#   svc get\n# Ctrl-C stops it.\n`)
  const stop = () => cluster.stop().then(() => process.exit(0))
  process.once('SIGINT', stop)
  process.once('SIGTERM', stop)
}
