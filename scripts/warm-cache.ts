// The last step of `npm run build` (scripts/build.ts): runs the commands people and scripts call
// most, once each, from the freshly built dist/svc.cjs in this one process, against the local
// cluster (test/cluster), then writes V8's code cache for the bundle to dist/svc.cjs.v8cache: the
// functions those runs compiled, so that bin/run.js does not compile them again on every start
// (bin/bundle.js says why Node's own compile cache does not hold them). `npm run build` sends what
// the runs print to stdout to /dev/null; a run that fails fails the build, its error on stderr.

import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

import {bundleId, CACHE_SUFFIX, compileBundle} from '../bin/bundle.js'
import {startCluster} from '../test/cluster/index.ts'

interface Bundle {
  kubectlArgv: (argv: string[]) => string[]
  oclif: (options: {args: string[]; dir: string}) => Promise<unknown>
}

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

/** The runs, each as typed after `svc`; KUBECONFIG stands for the local cluster's kubeconfig. */
const RUNS = [
  ['--help'],
  ['get', '--help'],
  ['version', '--client'],
  ['create', 'clusterip', 'web', '--tcp', '80', '--dry-run=client'],
  ['create', 'clusterip', 'web', '--tcp', '80', '--dry-run=client', '-o', 'yaml'],
  ['get', 'svc', '--kubeconfig', 'KUBECONFIG'],
  ['get', 'svc', '-o', 'json', '--kubeconfig', 'KUBECONFIG'],
  ['describe', 'svc', 'kubernetes', '--kubeconfig', 'KUBECONFIG'],
  ['version', '--kubeconfig', 'KUBECONFIG'],
]

async function main(): Promise<void> {
  const file = path.join(ROOT, 'dist', 'svc.cjs')
  const source = readFileSync(file, 'utf8')
  const id = bundleId(source)
  if (!id) throw new Error(`${file} has no build ID`)
  const {exports, script} = compileBundle(file, source)
  const svc = exports as unknown as Bundle
  const cluster = await startCluster()
  const dir = mkdtempSync(path.join(os.tmpdir(), 'svc-warm-'))
  try {
    const kubeconfig = path.join(dir, 'kubeconfig')
    cluster.writeKubeconfig(kubeconfig)
    for (const run of RUNS) {
      const args = run.map(arg => (arg === 'KUBECONFIG' ? kubeconfig : arg))
      await svc.oclif({args: svc.kubectlArgv(args), dir: pathToFileURL(path.join(ROOT, 'bin', 'run.js')).href})
      if (process.exitCode) throw new Error(`svc ${args.join(' ')} exited with ${process.exitCode}`)
    }
  } finally {
    await cluster.stop()
    rmSync(dir, {force: true, recursive: true})
  }
  writeFileSync(file + CACHE_SUFFIX, Buffer.concat([Buffer.from(id, 'latin1'), script.createCachedData()]))
}

main().then(() => process.exit(0), (error: unknown) => {
  process.stderr.write(`warm-cache: ${(error as Error)?.stack ?? String(error)}\n`)
  process.exit(1)
})
