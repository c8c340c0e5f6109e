// Builds the real control plane's binaries from the Go modules in this folder (k8s/, etcd/, kwok/)
// and caches them under the user's cache directory, keyed by the Kubernetes release and a hash of
// each module's files, the Go version and the build flags: the first start pays the build (minutes),
// every later one finds the binaries.
//
//   node test/real-cluster/build.ts [--kube-version 1.35.4]   -> builds (or finds) and prints the directory
//   import {ensureBinaries} from './build.ts'                   (the launcher)

import {execFile, spawn} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, mkdirSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {parseArgs, promisify} from 'node:util'

const run = promisify(execFile)
const HERE = dirname(fileURLToPath(import.meta.url))

/** The release the committed k8s/go.mod pins: the kubectl the tests use is 1.35. */
export const DEFAULT_KUBE_VERSION = '1.35.4'

export interface Binaries {
  dir: string
  etcd: string
  kubeApiserver: string
  kubeControllerManager: string
  kubeScheduler: string
  kwok: string
  kubeVersion: string
}

interface Component {
  /** the module folder under test/real-cluster */
  module: 'etcd' | 'k8s' | 'kwok'
  /** the binaries its build writes */
  outputs: string[]
  /** `go build` package pattern */
  pattern: string
}

const COMPONENTS: Component[] = [
  {module: 'k8s', outputs: ['kube-apiserver', 'kube-controller-manager', 'kube-scheduler'], pattern: 'tool'},
  {module: 'etcd', outputs: ['etcd'], pattern: '.'},
  {module: 'kwok', outputs: ['kwok'], pattern: 'tool'},
]

/** Thrown when `go` is not on PATH: the one line `npm test` prints instead of the real tier. */
export class GoMissingError extends Error {}

export const GO_MISSING = 'the real-cluster tier needs Go >= 1.26 on PATH (https://go.dev/dl/); with Go installed run `npm run test:real`'

export function cacheRoot(): string {
  return join(process.env.XDG_CACHE_HOME || join(os.homedir(), '.cache'), 'svc-real-cluster')
}

/** `go env GOVERSION`, or GoMissingError. */
export async function goVersion(): Promise<string> {
  try {
    return (await run('go', ['env', 'GOVERSION'])).stdout.trim()
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') throw new GoMissingError(GO_MISSING)
    throw error
  }
}

/**
 * -ldflags for the Kubernetes binaries: strip symbols, and set the version variables the release
 * build sets (hack/lib/version.sh, kube::version::ldflags) so clients see the release, not
 * `v0.0.0-master`.
 */
export function kubeLdflags(kubeVersion: string): string {
  const [major, minor] = kubeVersion.split('.')
  const flags = ['-s', '-w']
  for (const pkg of ['k8s.io/component-base/version', 'k8s.io/client-go/pkg/version']) {
    const vars = {buildDate: '1970-01-01T00:00:00Z', gitCommit: '', gitMajor: major, gitMinor: minor, gitTreeState: 'clean', gitVersion: `v${kubeVersion}`}
    for (const [name, value] of Object.entries(vars)) flags.push(`-X ${pkg}.${name}=${value}`)
  }
  return flags.join(' ')
}

function ldflagsOf(component: Component, kubeVersion: string): string {
  return component.module === 'k8s' ? kubeLdflags(kubeVersion) : '-s -w'
}

/**
 * The module folder to build. The committed k8s/ pins DEFAULT_KUBE_VERSION; another release gets a
 * copy under the cache whose go.mod requires that release and replaces its staging modules (read
 * from the release's own go.mod) at the matching v0 version, then `go mod tidy`.
 */
async function moduleDir(component: Component, kubeVersion: string, log: (line: string) => void): Promise<string> {
  const committed = join(HERE, component.module)
  if (component.module !== 'k8s' || kubeVersion === DEFAULT_KUBE_VERSION) return committed
  const work = join(cacheRoot(), 'modules', `k8s-v${kubeVersion}`)
  if (existsSync(join(work, 'go.sum'))) return work
  log(`resolving k8s.io/kubernetes v${kubeVersion} and its staging modules`)
  const {stdout} = await run('go', ['mod', 'download', '-json', `k8s.io/kubernetes@v${kubeVersion}`], {maxBuffer: 1 << 20})
  const upstream = readFileSync(JSON.parse(stdout).GoMod, 'utf8')
  const staging = [...upstream.matchAll(/^\s+(k8s\.io\/[\w.-]+) => \.\/staging\//gm)].map(m => m[1])
  const v0 = `v0.${kubeVersion.split('.').slice(1).join('.')}`
  // A fresh go.mod, not an edit of the committed one: the committed require list pins every
  // indirect dependency at the default release's versions, which an older or newer release's
  // packages do not build against. `go mod tidy` fills the list in for this release.
  const tools = /^tool \([\s\S]*?^\)$/m.exec(readFileSync(join(committed, 'go.mod'), 'utf8'))?.[0]
  if (!tools) throw new Error(`${join(committed, 'go.mod')} has no tool block`)
  const goLine = /^go \S+$/m.exec(upstream)?.[0] ?? 'go 1.25.0'
  const godebug = /^godebug .+$/m.exec(upstream)?.[0]
  const ours = [
    'module svc.local/real-cluster/k8s', '', goLine, ...(godebug ? ['', godebug] : []), '', tools, '',
    `require k8s.io/kubernetes v${kubeVersion}`, '',
    `replace (\n${staging.map(m => `\t${m} => ${m} ${v0}`).join('\n')}\n)`, '',
  ].join('\n')
  rmSync(work, {force: true, recursive: true})
  mkdirSync(work, {recursive: true})
  writeFileSync(join(work, 'go.mod'), ours)
  await run('go', ['mod', 'tidy'], {cwd: work, maxBuffer: 16 << 20})
  return work
}

function hashOf(dir: string, component: Component, kubeVersion: string, go: string): string {
  const hash = createHash('sha256').update(`${go}\n${process.platform}/${process.arch}\n${ldflagsOf(component, kubeVersion)}\n`)
  for (const file of readdirSync(dir).filter(f => /^(go\.mod|go\.sum|.*\.go)$/.test(f)).sort()) {
    hash.update(`${file}\n`).update(readFileSync(join(dir, file)))
  }
  return hash.digest('hex').slice(0, 16)
}

function goBuild(dir: string, out: string, component: Component, kubeVersion: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const args = ['build', '-trimpath', `-ldflags=${ldflagsOf(component, kubeVersion)}`, '-o', `${out}/`, component.pattern]
    const child = spawn('go', args, {cwd: dir, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.setEncoding('utf8').on('data', d => {
      stderr = (stderr + d).slice(-8000)
    })
    child.on('error', reject)
    child.on('close', code => (code === 0 ? resolve() : reject(new Error(`go build in ${dir} failed (exit ${code}):\n${stderr}`))))
  })
}

async function ensureComponent(component: Component, kubeVersion: string, go: string, log: (line: string) => void): Promise<string> {
  const dir = await moduleDir(component, kubeVersion, log)
  const target = join(cacheRoot(), `v${kubeVersion}`, `${component.module}-${hashOf(dir, component, kubeVersion, go)}`)
  if (component.outputs.every(o => existsSync(join(target, o)))) return target
  const names = component.outputs.join(', ')
  log(`building ${names} (${component.module === 'k8s' ? `v${kubeVersion}` : component.module} module, first use: minutes on 2 cores)`)
  const started = Date.now()
  const temp = `${target}.tmp-${process.pid}`
  rmSync(temp, {force: true, recursive: true})
  mkdirSync(temp, {recursive: true})
  try {
    await goBuild(dir, temp, component, kubeVersion)
    // Another process may have finished the same build meanwhile: theirs is as good as ours.
    if (!existsSync(target)) renameSync(temp, target)
  } finally {
    rmSync(temp, {force: true, recursive: true})
  }
  log(`built ${names} in ${((Date.now() - started) / 1000).toFixed(0)} s`)
  return target
}

/** Builds (or finds in the cache) every component; one progress line per component built. */
export async function ensureBinaries(options: {kubeVersion?: string; log?: (line: string) => void} = {}): Promise<Binaries> {
  const kubeVersion = (options.kubeVersion ?? DEFAULT_KUBE_VERSION).replace(/^v/, '')
  if (!/^\d+\.\d+\.\d+$/.test(kubeVersion)) throw new Error(`invalid --kube-version ${JSON.stringify(options.kubeVersion)}: want a release such as ${DEFAULT_KUBE_VERSION}`)
  const log = options.log ?? (line => process.stderr.write(`real-cluster: ${line}\n`))
  const go = await goVersion()
  // The three builds share no packages; run side by side, they keep both cores busy through each
  // other's link steps.
  const [k8s, etcd, kwok] = await Promise.all(COMPONENTS.map(c => ensureComponent(c, kubeVersion, go, log)))
  return {
    dir: join(cacheRoot(), `v${kubeVersion}`),
    etcd: join(etcd, 'etcd'),
    kubeApiserver: join(k8s, 'kube-apiserver'),
    kubeControllerManager: join(k8s, 'kube-controller-manager'),
    kubeScheduler: join(k8s, 'kube-scheduler'),
    kubeVersion,
    kwok: join(kwok, 'kwok'),
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const {values} = parseArgs({options: {'kube-version': {type: 'string'}}, strict: true})
  ensureBinaries({kubeVersion: values['kube-version']}).then(b => {
    process.stdout.write(`${b.dir}\n`)
  }, (error: Error) => {
    process.stderr.write(`error: ${error.message}\n`)
    process.exit(1)
  })
}
