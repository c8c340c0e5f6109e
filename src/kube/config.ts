// Kubeconfig resolution, the way kubectl does it, with every file parsed and every credential
// applied by @kubernetes/client-node.
//
// Precedence (kubectl's clientcmd loading rules):
//   1. --kubeconfig FILE: that file alone; it must exist.
//   2. KUBECONFIG: a list of files (':' separated); missing files are skipped; merged so that the
//      first file to set a value wins (current-context, and each named cluster, user and context).
//   3. ~/.kube/config, when it exists.
//   4. In-cluster: the service account token and KUBERNETES_SERVICE_HOST/PORT.
// --context picks a context by name; -n beats the context's namespace, which beats `default`.

import {existsSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// The module itself, not the package index: the index loads every API client and model.
import {KubeConfig} from '@kubernetes/client-node/dist/config.js'

import {CliError} from './errors.ts'

export interface KubeConfigFlags {
  context?: string
  kubeconfig?: string
  namespace?: string
}

export interface Environment {
  /** process.env or a test double. */
  env: Record<string, string | undefined>
  /** The home folder, for ~/.kube/config. */
  home: string
  /** Where a pod's service account is mounted; overridable for tests. */
  serviceAccountDir?: string
}

export interface ResolvedConfig {
  kubeConfig: KubeConfig
  /** The namespace commands act in: -n, else the context's, else `default`. */
  namespace: string
  /** True when -n was given (kubectl reports "in NS namespace" either way; some messages differ). */
  namespaceExplicit: boolean
  /** The files read, in order, for -v output and error messages. */
  sources: string[]
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

export function defaultEnvironment(): Environment {
  return {env: process.env, home: os.homedir()}
}

/** Loads, merges and selects the kubeconfig; throws CliError with a how-to-fix line when there is none. */
export function resolveKubeConfig(flags: KubeConfigFlags, environment: Environment = defaultEnvironment()): ResolvedConfig {
  const {env, home} = environment
  let kubeConfig: KubeConfig
  let sources: string[]

  if (flags.kubeconfig) {
    const file = path.resolve(flags.kubeconfig)
    if (!existsSync(file)) {
      throw new CliError(`kubeconfig file "${flags.kubeconfig}" does not exist: pass --kubeconfig an existing file, or leave it out to use KUBECONFIG or ~/.kube/config`)
    }
    kubeConfig = loadFile(file)
    sources = [file]
  } else if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter(f => f !== '').map(f => path.resolve(f))
    sources = files.filter(f => existsSync(f))
    if (sources.length === 0) {
      throw new CliError(`none of the files in KUBECONFIG exist (${env.KUBECONFIG}): set KUBECONFIG to a kubeconfig file, or pass --kubeconfig`)
    }
    kubeConfig = mergeFirstWins(sources.map(loadFile))
  } else if (existsSync(path.join(home, '.kube', 'config'))) {
    const file = path.join(home, '.kube', 'config')
    kubeConfig = loadFile(file)
    sources = [file]
  } else if (inCluster(environment)) {
    kubeConfig = new KubeConfig()
    kubeConfig.loadFromCluster()
    sources = ['in-cluster']
  } else {
    throw new CliError('no kubeconfig found: set KUBECONFIG or pass --kubeconfig FILE (or create ~/.kube/config); for the local test cluster run `npm run cluster -- --kubeconfig FILE` first')
  }

  if (flags.context) {
    if (!kubeConfig.getContextObject(flags.context)) {
      throw new CliError(`context "${flags.context}" does not exist in the kubeconfig: list contexts with \`kubectl config get-contexts\``)
    }
    kubeConfig.setCurrentContext(flags.context)
  }

  if (!kubeConfig.getCurrentContext() && sources[0] !== 'in-cluster') {
    throw new CliError('the kubeconfig sets no current-context: pass --context NAME, or run `kubectl config use-context NAME`')
  }
  const context = kubeConfig.getContextObject(kubeConfig.getCurrentContext())
  if (sources[0] !== 'in-cluster') {
    if (!context) {
      throw new CliError(`context "${kubeConfig.getCurrentContext()}" does not exist in the kubeconfig: pass --context with an existing one`)
    }
    if (!kubeConfig.getCurrentCluster()) {
      throw new CliError(`context "${context.name}" names cluster "${context.cluster}", which the kubeconfig does not define`)
    }
  }

  // client-go refuses this pair when it builds the transport (transport.TLSConfigFor), before any
  // request, and kubectl prints it as is: skip-verify would otherwise silently ignore the CA.
  const cluster = kubeConfig.getCurrentCluster()
  if (cluster?.skipTLSVerify && (cluster.caData || cluster.caFile)) {
    throw new CliError('specifying a root certificates file with the insecure flag is not allowed')
  }

  const namespace = flags.namespace || context?.namespace || 'default'
  return {kubeConfig, namespace, namespaceExplicit: Boolean(flags.namespace), sources}
}

function loadFile(file: string): KubeConfig {
  const kc = new KubeConfig()
  try {
    kc.loadFromFile(file)
  } catch (error) {
    throw new CliError(`cannot read kubeconfig ${file}: ${(error as Error).message}`)
  }
  return kc
}

/**
 * kubectl's merge of a KUBECONFIG list: the first file that sets current-context wins, and so does
 * the first definition of each named cluster, user and context. (client-node's own mergeConfig
 * throws on duplicate names and lets the last current-context win, so we merge here.)
 */
export function mergeFirstWins(configs: KubeConfig[]): KubeConfig {
  const merged = new KubeConfig()
  const clusters = new Map<string, unknown>()
  const users = new Map<string, unknown>()
  const contexts = new Map<string, unknown>()
  let currentContext = ''
  for (const kc of configs) {
    if (!currentContext && kc.getCurrentContext()) currentContext = kc.getCurrentContext()
    for (const c of kc.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c)
    for (const u of kc.getUsers()) if (!users.has(u.name)) users.set(u.name, u)
    for (const c of kc.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c)
  }
  merged.loadFromOptions({
    clusters: [...clusters.values()],
    contexts: [...contexts.values()],
    currentContext,
    users: [...users.values()],
  })
  return merged
}

function inCluster(environment: Environment): boolean {
  const dir = environment.serviceAccountDir ?? SERVICE_ACCOUNT_DIR
  return Boolean(environment.env.KUBERNETES_SERVICE_HOST && environment.env.KUBERNETES_SERVICE_PORT && existsSync(path.join(dir, 'token')))
}
