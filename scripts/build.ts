// `npm run build`: bundles svc with esbuild into dist/, then `oclif manifest` records the commands
// and scripts/warm-cache.ts writes V8's code cache for the bundle.
// Type checking is `npm run typecheck` (part of `npm run lint`); this step only emits JavaScript.
//
// What goes in:
//   dist/svc.cjs           one CommonJS file: @oclif/core, svc's commands and the commands of the
//                          oclif plugins svc ships as its own (help, autocomplete), the not-found
//                          hook, and what bin/run.js calls first (entrySource below)
//   dist/lazy/*.cjs        packages only some kubeconfigs or a terminal prompt need (SEPARATE_PACKAGES)
//   dist/svc.cjs*.v8cache  V8's code caches for svc.cjs, one for each common command and one for
//                          every other, each taken after running those commands
//                          (scripts/warm-cache.ts; bin/bundle.js picks one for each run)
// The installed package then needs no runtime dependency at all, and oclif has no plugin to find,
// read and load on each start: only svc's package.json and oclif.manifest.json.
//
// Why a bundle: start-up. Loading @kubernetes/client-node module by module costs about 0.45 s and
// 85 MB on every run (its index loads the whole generated API, undici, tar, ...). svc needs only
// its KubeConfig (kubeconfig loading and auth); bundled, unused modules are dropped and the rest is
// one file that Node's compile cache keeps warm. undici, which client-node loads only for its fetch
// dispatchers, is replaced by scripts/undici-unused.js.

import {createHash} from 'node:crypto'
import {appendFileSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import path from 'node:path'
import {fileURLToPath} from 'node:url'

import {build, type BuildOptions, type Plugin} from 'esbuild'

import {LAZY_BUILTIN_MARK} from './lazy-builtin.ts'

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const modules = (p: string) => path.join(ROOT, 'node_modules', p)

/** The oclif plugins' code that svc ships as its own: output name (under dist/) to source file. */
export const PLUGIN_ENTRIES: Record<string, string> = {
  'commands/autocomplete/create': modules('@oclif/plugin-autocomplete/lib/commands/autocomplete/create.js'),
  'commands/autocomplete/index': modules('@oclif/plugin-autocomplete/lib/commands/autocomplete/index.js'),
  'commands/autocomplete/script': modules('@oclif/plugin-autocomplete/lib/commands/autocomplete/script.js'),
  'commands/help': modules('@oclif/plugin-help/lib/commands/help.js'),
  'hooks/command-not-found': modules('@oclif/plugin-not-found/lib/index.js'),
  oclif: modules('@oclif/core/lib/index.js'),
}

/** client-node's KubeConfig imports its generated API only for makeApiClient, which svc never calls. */
const clientNodeGenUnused: Plugin = {
  name: 'client-node-gen-unused',
  setup(b) {
    b.onResolve({filter: /^\.\/gen\/index\.js$/}, args =>
      args.importer.endsWith(path.join('@kubernetes', 'client-node', 'dist', 'config.js')) ? {path: path.join(ROOT, 'scripts', 'client-node-gen-unused.js')} : undefined,
    )
  },
}

/**
 * Built-in modules reached through a stand-in that loads the module on first use
 * (scripts/lazy-builtin.ts): an object with the module's export names, read from the Node that
 * builds (a name the running Node lacks reads as undefined, as it would from the module).
 * - svc's code and its dependencies import many built-ins at the top of a module and use them only
 *   on some paths: oclif's readline (piped input), child_process (the Windows shell), perf_hooks
 *   (its debug timings); client-node's https, tls, net, dns and crypto (a request). `svc --help`
 *   needs none of them, `svc create --dry-run=client` none of the network ones.
 * - An ES import of a built-in builds a namespace from every export, which runs the module's lazy
 *   getters: `import {promisify} from 'node:util'` loads util.TextDecoder's worker_threads,
 *   `import http from 'node:http'` Node's internal undici, http2 and zlib. The stand-in reads no
 *   export until it is used.
 * Measured on `svc create clusterip --dry-run=client`: 189 built-in modules loaded instead of 115
 * (`node -e 0`: 78), CPU 133 -> 108 ms, peak RSS 68.1 -> 62.1 MiB.
 */
export const LAZY_BUILTINS = [
  'buffer', 'child_process', 'crypto', 'dns', 'fs', 'fs/promises', 'http', 'https', 'net', 'os', 'perf_hooks', 'readline', 'tls', 'tty', 'util', 'v8', 'vm',
  'worker_threads', 'zlib',
]
/** Built-ins whose module object has methods that need it as `this`: required as they are (no ES import, so no namespace). */
const BUILTINS_BY_REQUIRE = ['process']

const lazyBuiltins: Plugin = {
  name: 'lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${[...LAZY_BUILTINS, ...BUILTINS_BY_REQUIRE].join('|')})$`)
    b.onResolve({filter}, args =>
      args.namespace !== 'lazy-builtin' && (args.kind === 'import-statement' || args.kind === 'require-call')
        ? {namespace: 'lazy-builtin', path: args.path.replace(/^node:/, '')}
        : undefined,
    )
    b.onLoad({filter: /.*/, namespace: 'lazy-builtin'}, async args => {
      if (BUILTINS_BY_REQUIRE.includes(args.path)) return {contents: `module.exports = require('node:${args.path}')`, loader: 'js'}
      const names = Object.getOwnPropertyNames(await import(`node:${args.path}`).then(m => m.default as object))
      const helper = JSON.stringify(path.join(ROOT, 'scripts', 'lazy-builtin.ts'))
      return {resolveDir: ROOT, contents: `const {lazyBuiltin} = require(${helper})\nmodule.exports = lazyBuiltin(() => require('node:${args.path}'), ${JSON.stringify(names)})`, loader: 'js'}
    })
  },
}

/**
 * Modules that dependencies load up front and svc needs only sometimes, turned into a require() at
 * the one place each is used, so it is evaluated only when that code runs; the code is the same.
 * Keyed by path under node_modules. An edit that no longer matches its file (a new version of the
 * dependency) fails the build rather than silently loading everything again.
 * - client-node's KubeConfig imports the code for every kind of proxy and auth provider: a SOCKS
 *   client (with an IP address library), HTTP proxy agents, JSONPath for the gcp and azure
 *   providers, an OpenID Connect client. A kubeconfig uses one of them, if any.
 * - oclif's Plugin loads a glob library to find command files when a plugin has no manifest; svc
 *   always has one. It also sorts the command ids with localeCompare, whose first call builds an
 *   ICU collator (5-8 ms of every start, and 2 MiB more of the node binary's data resident); the
 *   ids are lower-case ASCII, where comparing code units gives the same order.
 * - oclif's package.json reader loads lilconfig, to look for `.oclifrc` and `oclif.config.js` files,
 *   which it does only for a package.json without an `oclif` section (svc's has one). lilconfig
 *   reads `fs.promises` when it loads, which loads Node's promise-based fs and, through it,
 *   readline and the REPL's history: about 2 ms of every start.
 * - oclif's index checks the Node version against @oclif/core's own `engines` by reading its
 *   package.json next to `__dirname`, which a bundle does not have: the check fails quietly every
 *   time (svc checks the Node version itself, in bin/node-check.js), after loading semver.
 * - oclif's help passes every text it prints through an EJS template (to expand `<%= config.bin %>`),
 *   which compiles each one into a function: about 5 ms of `svc --help`'s 80. A text without EJS's
 *   `<%` or `%>` renders as itself, so it is printed as it is.
 * - oclif reads package.json and its manifest (and looks for a user plugin list) with fs/promises'
 *   readFile: each read is several trips through libuv's thread pool, which it starts for them (four
 *   threads). Read synchronously inside the same async function (same results, same errors): on
 *   the loaded 2-core machine `svc --help` wall 0.80-0.91x, CPU 0.95-0.97x (farm-bench, 16 pairs).
 * - oclif's WSL detection (run by every start) loads wsl-utils and powershell-utils, which promisify
 *   child_process.execFile at load, loading child_process (see LAZY_BUILTINS) for a call made only
 *   on WSL or Windows: promisified at the call instead.
 * - client-node's ExecAuth keeps child_process.spawn in a field from its constructor, which every
 *   KubeConfig runs: read at the call instead, so only a kubeconfig with an exec plugin loads
 *   child_process (and with it dgram and the process bindings).
 */
const PROMISIFIED_EXEC_FILE = 'const execFile = promisify(childProcess.execFile);'
const LAZY_EXEC_FILE = 'const execFile = (...args) => promisify(childProcess.execFile)(...args);'
const LAZY_EDITS: Record<string, Array<[string, string]>> = {
  '@kubernetes/client-node/dist/config.js': [
    ["import { SocksProxyAgent } from 'socks-proxy-agent';", ''],
    ["import { SocksClient } from 'socks';", ''],
    ["import { HttpProxyAgent, HttpsProxyAgent } from 'hpagent';", ''],
    ['SocksClient.createConnection(', "require('socks').SocksClient.createConnection("],
    ['new SocksProxyAgent(', "new (require('socks-proxy-agent').SocksProxyAgent)("],
    ['new HttpsProxyAgent(', "new (require('hpagent').HttpsProxyAgent)("],
    ['new HttpProxyAgent(', "new (require('hpagent').HttpProxyAgent)("],
  ],
  '@kubernetes/client-node/dist/oidc_auth.js': [["import * as oidc from 'openid-client';", "const oidcModule = () => require('openid-client');"], ['oidc.', 'oidcModule().']],
  '@kubernetes/client-node/dist/exec_auth.js': [['this.execFn = child_process.spawn;', 'this.execFn = (...args) => child_process.spawn(...args);']],
  '@kubernetes/client-node/dist/azure_auth.js': [["import * as jsonpath from 'jsonpath-plus';", ''], ['jsonpath.JSONPath(', "require('jsonpath-plus').JSONPath("]],
  '@kubernetes/client-node/dist/gcp_auth.js': [["import * as jsonpath from 'jsonpath-plus';", ''], ['jsonpath.JSONPath(', "require('jsonpath-plus').JSONPath("]],
  '@oclif/core/lib/config/plugin.js': [
    ['const tinyglobby_1 = require("tinyglobby");', 'const tinyglobby_1 = {get glob() { return require("tinyglobby").glob; }};'],
    ['.sort((a, b) => a.id.localeCompare(b.id));', '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));'],
  ],
  '@oclif/core/lib/help/util.js': [['return ejs_1.default.render(t, context);', "return t.includes('<%') || t.includes('%>') ? ejs_1.default.render(t, context) : t;"]],
  '@oclif/core/lib/index.js': [['\ncheckNodeVersion();\n', '\n']],
  '@oclif/core/lib/util/read-pjson.js': [['const lilconfig_1 = require("lilconfig");', 'const lilconfig_1 = {get lilconfig() { return require("lilconfig").lilconfig; }};']],
  '@oclif/core/lib/util/fs.js': [["const contents = await (0, promises_1.readFile)(path, 'utf8');", "const contents = (0, node_fs_1.readFileSync)(path, 'utf8');"]],
  'powershell-utils/index.js': [[PROMISIFIED_EXEC_FILE, LAZY_EXEC_FILE]],
  'wsl-utils/index.js': [[PROMISIFIED_EXEC_FILE, LAZY_EXEC_FILE]],
}

const lazyImports: Plugin = {
  name: 'lazy-imports',
  setup(b) {
    b.onLoad({filter: /[\\/]node_modules[\\/](@kubernetes|@oclif|powershell-utils|wsl-utils)[\\/].*\.js$/}, args => {
      const key = args.path.split(`node_modules${path.sep}`).at(-1)!.split(path.sep).join('/')
      const edits = LAZY_EDITS[key]
      if (!edits) return undefined
      let contents = readFileSync(args.path, 'utf8')
      for (const [from, to] of edits) {
        if (!contents.includes(from)) throw new Error(`${args.path}: "${from}" not found; update LAZY_EDITS in scripts/build.ts`)
        contents = contents.replaceAll(from, to)
      }
      return {contents, loader: 'js'}
    })
  },
}

/**
 * Packages that only some kubeconfigs or a terminal prompt need, built into files of their own
 * under dist/lazy/ that the main bundle require()s where they are used: Node reads and compiles
 * every byte of a bundle it loads (with the compile cache: reads it and deserialises its cache),
 * and these are 0.9 MB of svc.cjs's 2.1. None of them holds state shared with the rest of svc.
 * - @inquirer/prompts: the not-found hook's "Did you mean ...?" question on a terminal; it brings
 *   iconv-lite and chardet (0.55 MB) for its external editor.
 * - openid-client, socks, socks-proxy-agent, hpagent, jsonpath-plus: client-node's OIDC auth, proxy
 *   agents and the gcp/azure providers' JSONPath (required at their one use, see LAZY_EDITS).
 * - tinyglobby: oclif's command search for a plugin without a manifest (see LAZY_EDITS).
 */
const SEPARATE_PACKAGES = ['@inquirer/prompts', 'hpagent', 'jsonpath-plus', 'openid-client', 'socks', 'socks-proxy-agent', 'tinyglobby']

/** Resolves each SEPARATE_PACKAGES import to its file under dist/lazy/ and records what it stands for in `files`. */
function separatePackages(files: Map<string, string>): Plugin {
  return {
    name: 'separate-packages',
    setup(b) {
      const filter = new RegExp(`^(${SEPARATE_PACKAGES.map(p => p.replace(/[/.]/g, '\\$&')).join('|')})$`)
      b.onResolve({filter}, async args => {
        if (args.pluginData === 'separate') return undefined
        const resolved = await b.resolve(args.path, {importer: args.importer, kind: args.kind, pluginData: 'separate', resolveDir: args.resolveDir})
        if (resolved.errors.length > 0) return {errors: resolved.errors}
        const name = args.path.replace(/^@/, '').replace(/\//g, '-')
        const known = files.get(name)
        if (known !== undefined && known !== resolved.path) throw new Error(`${args.path} resolves to both ${known} and ${resolved.path}`)
        files.set(name, resolved.path)
        return {external: true, path: `./lazy/${name}.cjs`}
      })
    },
  }
}

/**
 * The bundle's one entry, written here rather than kept as a source file because it is a list of
 * what the bundle holds: every command under src/commands and the oclif plugins' (PLUGIN_ENTRIES),
 * by oclif command ID, in the shape oclif's explicit command strategy reads (package.json
 * `oclif.commands`), and the not-found hook. Each is a getter that require()s its module, which the
 * bundler turns into a function that evaluates that module on first use: a run evaluates the one
 * command it runs (and what that imports), nothing else.
 */
function entrySource(commands: Record<string, string>): string {
  const lazy = (name: string, file: string, member = 'default') => `  get ${JSON.stringify(name)}() { return require(${JSON.stringify(file)}).${member} },`
  return [
    'exports.COMMANDS = {',
    ...Object.entries(commands).map(([id, file]) => lazy(id, file)),
    '}',
    'Object.defineProperties(exports, Object.getOwnPropertyDescriptors({',
    lazy('commandNotFound', PLUGIN_ENTRIES['hooks/command-not-found']),
    lazy('kubectlArgv', path.join(ROOT, 'src', 'base', 'argv.ts'), 'kubectlArgv'),
    lazy('oclif', PLUGIN_ENTRIES.oclif, 'execute'),
    lazy('startAsForwarder', path.join(ROOT, 'src', 'portforward', 'heap.ts'), 'startAsForwarder'),
    '}))',
    '',
  ].join('\n')
}

/**
 * esbuild's __toESM gives each ES module that imports a CommonJS module a namespace object of its
 * own, with a getter for every export name: for a built-in's stand-in (lazyBuiltins), 14 modules
 * importing fs made 14 objects of about 100 getters each. A stand-in's names never change, so
 * every importer of one gets the same namespace object, made on the first import (as an ES
 * module's namespace is one object); any other CommonJS module is converted as esbuild does.
 * `lazyBuiltin` marks its objects with LAZY_BUILTIN_MARK.
 */
function oneNamespacePerBuiltin(code: string): string {
  const helper = 'var __toESM=(mod,isNodeMode,target)=>'
  if (!code.includes(helper)) throw new Error(`esbuild's __toESM helper ("${helper}") not found in the bundle; update oneNamespacePerBuiltin in scripts/build.ts`)
  return code.replace(helper, [
    'var __svcNamespaces=new WeakMap',
    `var __toESM=(mod,isNodeMode)=>{if(mod==null||!mod[Symbol.for(${JSON.stringify(LAZY_BUILTIN_MARK)})])return __toESMEach(mod,isNodeMode);let ns=__svcNamespaces.get(mod);if(ns===void 0)__svcNamespaces.set(mod,ns=__toESMEach(mod,isNodeMode));return ns}`,
    'var __toESMEach=(mod,isNodeMode,target)=>',
  ].join('\n'))
}

/**
 * The bundle in ASCII only, which bin/bundle.js reads as latin1 (readBundleSource says why).
 * esbuild's `charset: 'ascii'` escapes strings and identifiers but leaves a regular expression
 * literal as written (ansis's pattern of escape sequences holds U+009B, svc's durations `µs`).
 * Every other character becomes `\uXXXX` (each half of a pair for one past U+FFFF), which a string,
 * a template's value, an identifier and a regular expression read as the character itself; after a
 * backslash it would read otherwise, so that fails the build.
 */
export function asciiOnly(code: string): string {
  return code.replace(/(\\?)([\u0080-\uffff])/g, (_, slash: string, char: string) => {
    const escaped = `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`
    if (slash) throw new Error(`a backslash before ${escaped} in the bundle: update asciiOnly in scripts/build.ts`)
    return escaped
  })
}

/** The oclif command ID of a command module under src/commands (`create/index.ts` is `create`). */
function commandId(file: string): string {
  return path.relative(path.join(ROOT, 'src', 'commands'), file).replace(/\.ts$/, '').split(path.sep).filter(part => part !== 'index').join(':')
}

export async function buildDist(): Promise<void> {
  const dist = path.join(ROOT, 'dist')
  rmSync(dist, {force: true, recursive: true})
  const commands: Record<string, string> = {}
  for (const [name, file] of Object.entries(PLUGIN_ENTRIES)) if (name.startsWith('commands/')) commands[name.slice('commands/'.length).replace(/\/index$/, '').split('/').join(':')] = file
  for (const e of readdirSync(path.join(ROOT, 'src', 'commands'), {recursive: true, withFileTypes: true})) {
    if (e.isFile() && e.name.endsWith('.ts')) commands[commandId(path.join(e.parentPath, e.name))] = path.join(e.parentPath, e.name)
  }
  // What every file of the bundle is built with. Comments and whitespace are dropped (Node reads
  // and hashes every byte on each start); names are kept, so stack traces and class names read as
  // in the source. ASCII only: Node keeps an ASCII source as one byte a character.
  const common = {
    bundle: true,
    charset: 'ascii',
    format: 'cjs',
    legalComments: 'linked',
    logLevel: 'warning',
    minifySyntax: true,
    minifyWhitespace: true,
    platform: 'node',
    target: 'node22.19',
  } satisfies BuildOptions
  const separate = new Map<string, string>()
  const result = await build({
    ...common,
    alias: {undici: path.join(ROOT, 'scripts', 'undici-unused.js')},
    // The file is the function Node's CommonJS loader wraps a module in, called at once when the
    // file is required (by oclif's manifest step, say) and the file's value when bin/bundle.js
    // compiles it as it is, with V8's code cache. Inside, import.meta.url for the few ES modules
    // that locate files next to themselves (ws-pipe.ts's bufferutil).
    banner: {js: "(typeof module === 'object' ? run => run(exports, require, module, __filename, __dirname) : run => run)(function (exports, require, module, __filename, __dirname) {\nconst svcImportMetaUrl = require('node:url').pathToFileURL(__filename).href;"},
    footer: {js: '})'},
    define: {'import.meta.url': 'svcImportMetaUrl'},
    // oclif reads tsconfig.json with TypeScript only in development (NODE_ENV=development or test),
    // from wherever TypeScript is installed; it is no part of svc.
    // bufferutil: ws's optional native masking, loaded from node_modules at run time (a native addon
    // cannot be bundled); without it ws masks in JavaScript.
    external: ['typescript', 'bufferutil'],
    metafile: Boolean(process.env.SVC_BUILD_META),
    outfile: path.join(dist, 'svc.cjs'),
    plugins: [lazyBuiltins, clientNodeGenUnused, lazyImports, separatePackages(separate)],
    stdin: {contents: entrySource(commands), loader: 'js', resolveDir: ROOT, sourcefile: 'svc-entry.js'},
  })
  await build({...common, entryPoints: Object.fromEntries(separate), outExtension: {'.js': '.cjs'}, outdir: path.join(dist, 'lazy'), plugins: [lazyBuiltins]})
  // SVC_BUILD_META=FILE writes esbuild's account of what the main bundle holds, module by module.
  if (process.env.SVC_BUILD_META) writeFileSync(process.env.SVC_BUILD_META, JSON.stringify(result.metafile))
  const bundle = path.join(dist, 'svc.cjs')
  writeFileSync(bundle, asciiOnly(oneNamespacePerBuiltin(readFileSync(bundle, 'utf8'))))
  // The build's ID ends the bundle: bin/bundle.js uses the code cache only with the bundle it was made from.
  const id = createHash('sha256').update(readFileSync(bundle)).digest('hex').slice(0, 16)
  appendFileSync(bundle, `//# svc-build=${id}\n`)
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await buildDist()
