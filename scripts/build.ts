// `npm run build`: bundles each command with esbuild into dist/commands/, shared code split into
// dist/chunks/, then `oclif manifest` records the commands. Type checking is `npm run typecheck`
// (part of `npm run lint`); this step only emits JavaScript.
//
// Why a bundle: start-up. Loading @kubernetes/client-node module by module costs about 0.45 s and
// 85 MB on every run (its index loads the whole generated API, undici, tar, ...). svc needs only
// its KubeConfig (kubeconfig loading and auth); bundled, unused modules are dropped and the rest is
// one file that Node's compile cache keeps warm. undici, which client-node loads only for its fetch
// dispatchers, is replaced by scripts/undici-unused.js. @oclif/core stays external: oclif's runtime
// and the commands must share one instance of it.
//
// Measured on 2 cores: `svc get` 0.46 s and 157 MB unbundled; bundled 0.22 s and 94 MB; without
// undici 0.19 s and 89 MB.

import {readdirSync, rmSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build} from 'esbuild'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export async function buildDist(): Promise<void> {
  const dist = path.join(ROOT, 'dist')
  rmSync(dist, {force: true, recursive: true})
  const entryPoints = readdirSync(path.join(ROOT, 'src', 'commands'), {recursive: true, withFileTypes: true})
    .filter(e => e.isFile() && e.name.endsWith('.ts'))
    .map(e => path.join(e.parentPath, e.name))
  await build({
    alias: {undici: path.join(ROOT, 'scripts', 'undici-unused.js')},
    // CommonJS dependencies inside an ES module bundle still call require().
    banner: {js: "import {createRequire as svcCreateRequire} from 'node:module';\nconst require = svcCreateRequire(import.meta.url);"},
    bundle: true,
    chunkNames: 'chunks/[name]-[hash]',
    entryPoints,
    external: ['@oclif/core'],
    format: 'esm',
    legalComments: 'linked',
    logLevel: 'warning',
    outbase: path.join(ROOT, 'src'),
    outdir: dist,
    platform: 'node',
    splitting: true,
    target: 'node22.19',
  })
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDist()
