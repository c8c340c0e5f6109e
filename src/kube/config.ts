// Kubeconfig resolution, the way kubectl does it, with every file parsed and every credential
// applied by @kubernetes/client-node.
//
// Precedence (kubectl's clientcmd loading rules):
//   1. --kubeconfig FILE: that file alone; it must exist.
//   2. KUBECONFIG: a list of files (':' separated); missing files are skipped; merged so that the
//      first file to set a value wins (current-context, and each named cluster, user and context).
//   3. ~/.kube/config, when it exists.
//   4. In-cluster: the service account token and KUBERNETES_SERVICE_HOST/PORT.
// --context picks a context by name; --cluster and --user replace its cluster and user; -n beats
// the context's namespace, which beats `default`.
//
// The connection flags override the chosen cluster and user as clientcmd's DirectClientConfig does
// (k8s.io/client-go tools/clientcmd client_config.go getCluster, getAuthInfo; `overrideCluster` and
// `overrideUser` below): each flag that is not empty replaces its field. --server without a
// kubeconfig, or with one that sets no current context, is a cluster of its own with no user but
// the flags' (kubectl 1.35 run side by side); it also bypasses the in-cluster config, which
// otherwise takes only --token and --certificate-authority (inClusterClientConfig.ClientConfig).
//
// A kubeconfig kubectl cannot use gets kubectl's words (k8s.io/client-go tools/clientcmd
// client_config.go ConfirmUsable, validation.go; kubectl 1.35 run side by side): an unknown context
// is `Error in configuration: context was not found for specified context: NAME`, an unknown
// --cluster `no server found for cluster "NAME"`, an unknown --user `auth info "NAME" does not
// exist`. Where kubectl falls back to http://localhost:8080 (no current context, a context whose
// cluster is missing, no kubeconfig at all), svc says what is missing instead.

import {accessSync, constants, existsSync, readFileSync} from 'node:fs'
import os from 'node:os'
import path from 'node:path'

// The module itself, not the package index: the index loads every API client and model.
import {KubeConfig} from '@kubernetes/client-node/dist/config.js'
import type {Cluster, User} from '@kubernetes/client-node/dist/config_types.js'
import yaml from 'js-yaml'

import {CliError, ConfigurationError} from './errors.ts'

export interface KubeConfigFlags extends ConnectionOverrides {
  cluster?: string
  context?: string
  kubeconfig?: string
  namespace?: string
  user?: string
}

/** kubectl's connection flags (clientcmd ConfigOverrides.ClusterInfo and AuthInfo); empty means not given. */
export interface ConnectionOverrides {
  /** --certificate-authority: a CA file, which replaces the cluster's CA and insecure-skip-tls-verify. */
  certificateAuthority?: string
  /** --client-certificate: replaces the user's client certificate (file and data). */
  clientCertificate?: string
  /** --client-key: replaces the user's client key (file and data). */
  clientKey?: string
  /** --insecure-skip-tls-verify: true replaces the cluster's CA and insecure-skip-tls-verify; false changes nothing. */
  insecureSkipTlsVerify?: boolean
  /** --password: basic authentication. */
  password?: string
  /** -s/--server: the API server's address; given, it also replaces the cluster's tls-server-name with --tls-server-name's. */
  server?: string
  /** --tls-server-name: replaces the cluster's tls-server-name. */
  tlsServerName?: string
  /** --token: a bearer token (never logged). */
  token?: string
  /** --username: basic authentication. */
  username?: string
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
  /** Each file's text, in the order of `sources`. */
  texts: string[]
}

const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

export function defaultEnvironment(): Environment {
  return {env: process.env, home: os.homedir()}
}

/** The kubeconfig files read and merged, before a context is chosen: read once per command. */
export interface LoadedKubeConfig {
  kubeConfig: KubeConfig
  /** The files read, in order (`in-cluster` for the service account). */
  sources: string[]
  /** Each file's text, in the order of `sources` (for the fields client-node drops: impersonation). */
  texts: string[]
}

/** Loads, merges and selects the kubeconfig; throws CliError with a how-to-fix line when there is none. */
export function resolveKubeConfig(flags: KubeConfigFlags, environment: Environment = defaultEnvironment()): ResolvedConfig {
  return selectContext(loadKubeConfig(flags.kubeconfig, environment, flags.server), flags)
}

/**
 * Finds, reads and merges the kubeconfig files (the precedence above); throws CliError when there
 * is none, unless --server is given (`server`): then none is an empty kubeconfig, and so is a
 * KUBECONFIG of missing files (clientcmd skips them), and the in-cluster config is not used.
 */
export function loadKubeConfig(kubeconfig: string | undefined, environment: Environment = defaultEnvironment(), server?: string): LoadedKubeConfig {
  const {env, home} = environment
  const none = (): LoadedKubeConfig => ({kubeConfig: new KubeConfig(), sources: [], texts: []})
  if (kubeconfig) {
    const file = path.resolve(kubeconfig)
    if (!existsSync(file)) throw new CliError(`stat ${kubeconfig}: no such file or directory`)
    const {kubeConfig, text} = loadFile(file, kubeconfig)
    return {kubeConfig, sources: [file], texts: [text]}
  }
  if (env.KUBECONFIG) {
    const files = env.KUBECONFIG.split(path.delimiter).filter(f => f !== '')
    const present = files.filter(f => existsSync(path.resolve(f)))
    if (present.length === 0) {
      if (server) return none()
      throw new CliError(`none of the files in KUBECONFIG exist (${env.KUBECONFIG}): set KUBECONFIG to a kubeconfig file, or pass --kubeconfig`)
    }
    const loaded = present.map(f => loadFile(path.resolve(f), f))
    return {kubeConfig: mergeFirstWins(loaded.map(l => l.kubeConfig)), sources: present.map(f => path.resolve(f)), texts: loaded.map(l => l.text)}
  }
  if (existsSync(path.join(home, '.kube', 'config'))) {
    const file = path.join(home, '.kube', 'config')
    const {kubeConfig, text} = loadFile(file, file)
    return {kubeConfig, sources: [file], texts: [text]}
  }
  if (server) return none()
  if (inCluster(environment)) {
    const kubeConfig = new KubeConfig()
    kubeConfig.loadFromCluster()
    return {kubeConfig, sources: ['in-cluster'], texts: []}
  }
  throw new CliError('no kubeconfig found: set KUBECONFIG or pass --kubeconfig FILE (or create ~/.kube/config); for the local test cluster run `npm run cluster -- --kubeconfig FILE` first')
}

/**
 * Chooses the context (--context, --cluster, --user, -n) in a copy of the loaded kubeconfig, so
 * that one load serves every context a command uses, and checks it as kubectl does.
 */
export function selectContext(loaded: LoadedKubeConfig, flags: KubeConfigFlags): ResolvedConfig {
  const {sources} = loaded
  const kubeConfig = new KubeConfig()
  kubeConfig.loadFromOptions({
    clusters: loaded.kubeConfig.getClusters(),
    contexts: loaded.kubeConfig.getContexts(),
    currentContext: loaded.kubeConfig.getCurrentContext(),
    users: loaded.kubeConfig.getUsers(),
  })

  // clientcmd's ConfirmUsable: a missing context, then the user's problems, then the cluster's, in
  // one `Error in configuration` (an unknown --cluster joins a missing context's error there)
  const contextName = flags.context || kubeConfig.getCurrentContext()
  const contextMissing = Boolean(contextName) && !kubeConfig.getContextObject(contextName)
  // With -n kubectl reads the context another way first (DirectClientConfig.getContext, --context required)
  if (contextMissing && flags.context && flags.namespace) throw new CliError(`context ${JSON.stringify(flags.context)} does not exist`)
  const reasons = contextMissing ? [`context was not found for specified context: ${contextName}`] : []
  if (!contextMissing && flags.context) kubeConfig.setCurrentContext(flags.context)
  const inClusterConfig = sources[0] === 'in-cluster'
  // --server with no context to read: clientcmd's context, cluster and user of no name, made of the flags alone
  if (!contextName && flags.server && !inClusterConfig) addUnnamed(kubeConfig, {cluster: '', name: '', user: ''})
  if (!contextMissing && kubeConfig.getContextObject(kubeConfig.getCurrentContext()) && (flags.cluster !== undefined || flags.user !== undefined)) overrideContext(kubeConfig, flags)
  const context = contextMissing ? undefined : kubeConfig.getContextObject(kubeConfig.getCurrentContext()) ?? undefined
  // A context's cluster that is not defined is made by --server (getCluster requires only --cluster's)
  if (context && flags.server && !flags.cluster && !kubeConfig.getCluster(context.cluster)) addUnnamed(kubeConfig, {cluster: context.cluster})
  if (context && !context.user && !kubeConfig.getUser('')) addUnnamed(kubeConfig, {user: ''})
  if (context) applyOverrides(kubeConfig, inClusterConfig ? {certificateAuthority: flags.certificateAuthority, token: flags.token} : flags)

  const user = context ? kubeConfig.getCurrentUser() ?? undefined : undefined
  if (user) reasons.push(...userProblems(user))
  if (contextMissing && flags.cluster && !kubeConfig.getCluster(flags.cluster)) reasons.push(`no server found for cluster ${JSON.stringify(flags.cluster)}`)
  const cluster = context ? kubeConfig.getCurrentCluster() ?? undefined : undefined
  if (cluster && !inClusterConfig) {
    const problem = unreadable(cluster.caFile)
    if (problem) reasons.push(`unable to read certificate-authority ${cluster.caFile} for ${cluster.name} due to open ${cluster.caFile}: ${problem}`)
  }
  // kubectl unwraps a list of one (cmdutil.CheckErr): `error: <reason>`, except a missing context,
  // and except with -n, where the error reaches it another way (kubectl 1.35 run side by side)
  if (reasons.length === 1 && !contextMissing && !flags.namespace) throw new CliError(reasons[0])
  if (reasons.length > 0) throw new ConfigurationError(reasons)

  if (!kubeConfig.getCurrentContext() && !context && !inClusterConfig) {
    throw new CliError('the kubeconfig sets no current-context: pass --context NAME, or run `kubectl config use-context NAME`')
  }
  if (!inClusterConfig && context) {
    if (!cluster) {
      if (flags.cluster) throw new CliError(`no server found for cluster ${JSON.stringify(flags.cluster)}`)
      throw new CliError(`context "${context.name}" names cluster "${context.cluster}", which the kubeconfig does not define`)
    }
    if (context.user && !user) throw new CliError(`auth info ${JSON.stringify(context.user)} does not exist`)
  }

  // client-go refuses this pair when it builds the transport (transport.TLSConfigFor), before any
  // request, and kubectl prints it as is: skip-verify would otherwise silently ignore the CA.
  if (cluster?.skipTLSVerify && (cluster.caData || cluster.caFile)) {
    throw new CliError('specifying a root certificates file with the insecure flag is not allowed')
  }

  const namespace = flags.namespace || context?.namespace || 'default'
  return {kubeConfig, namespace, namespaceExplicit: Boolean(flags.namespace), sources, texts: loaded.texts}
}

/** --cluster and --user: the current context with its cluster or user replaced. */
function overrideContext(kubeConfig: KubeConfig, flags: KubeConfigFlags): void {
  const current = kubeConfig.getCurrentContext()
  kubeConfig.loadFromOptions({
    clusters: kubeConfig.getClusters(),
    contexts: kubeConfig.getContexts().map(c => (c.name === current ? {...c, cluster: flags.cluster ?? c.cluster, user: flags.user ?? c.user} : c)),
    currentContext: current,
    users: kubeConfig.getUsers(),
  })
}

/**
 * clientcmd's DirectClientConfig.getCluster: the kubeconfig's cluster with the connection flags.
 * --server replaces the server. --certificate-authority or --insecure-skip-tls-verify replaces all
 * three of the CA file, the CA data and insecure-skip-tls-verify (so the kubeconfig's CA never
 * meets the flag's insecure, nor its insecure the flag's CA; both flags together are refused
 * later). --tls-server-name replaces the tls-server-name, and so does --server, with
 * --tls-server-name's or none: a kubeconfig's name was for its own server.
 */
export function overrideCluster(cluster: Cluster, flags: ConnectionOverrides): Cluster {
  const merged: {-readonly [K in keyof Cluster]: Cluster[K]} = {...cluster}
  if (flags.server) merged.server = flags.server
  if (flags.insecureSkipTlsVerify || flags.certificateAuthority) {
    merged.skipTLSVerify = Boolean(flags.insecureSkipTlsVerify)
    merged.caFile = flags.certificateAuthority || undefined
    merged.caData = undefined
  }
  if (flags.tlsServerName || flags.server) merged.tlsServerName = flags.tlsServerName || undefined
  return merged
}

/**
 * clientcmd's DirectClientConfig.getAuthInfo: the kubeconfig's user with the connection flags. Each
 * of --token, --username and --password replaces its field alone (a token leaves a client
 * certificate in place, and the server gets both, as from kubectl); --client-certificate replaces
 * the certificate's file and data, --client-key the key's.
 */
export function overrideUser(user: User, flags: ConnectionOverrides): User {
  const merged: {-readonly [K in keyof UserWithTokenFile]: UserWithTokenFile[K]} = {...user}
  // --token replaces the kubeconfig's token file too (clientcmd getAuthInfo sets Token and TokenFile together)
  if (flags.token) {
    merged.token = flags.token
    delete merged.tokenFile
  }
  if (flags.username) merged.username = flags.username
  if (flags.password) merged.password = flags.password
  if (flags.clientCertificate) {
    merged.certFile = flags.clientCertificate
    merged.certData = undefined
  }
  if (flags.clientKey) {
    merged.keyFile = flags.clientKey
    merged.keyData = undefined
  }
  return merged
}

/** The current cluster and user with the connection flags (copies: the loaded ones serve every context). */
function applyOverrides(kubeConfig: KubeConfig, flags: ConnectionOverrides): void {
  const cluster = kubeConfig.getCurrentCluster()
  const user = kubeConfig.getCurrentUser()
  kubeConfig.loadFromOptions({
    clusters: kubeConfig.getClusters().map(c => (c === cluster ? overrideCluster(c, flags) : c)),
    contexts: kubeConfig.getContexts(),
    currentContext: kubeConfig.getCurrentContext(),
    users: kubeConfig.getUsers().map(u => (u === user ? withoutIdlePlugin(overrideUser(u, flags)) : u)),
  })
}

/**
 * Why client-go cannot make the user's auth-provider, in its words, or undefined: rest.GetAuthProvider
 * (rest/plugin.go) knows only the providers kubectl registers, and makes one for every https
 * request's transport (rest.TransportConfig), a token of the user notwithstanding: gcp and azure
 * are stubs that refuse (plugin/pkg/client/auth/gcp/gcp_stub.go, azure/azure_stub.go), oidc wants an
 * issuer and a client id (oidc.go newOIDCAuthProvider). `tokenFile` is client-node's own, for the
 * service account in a pod.
 */
export function authProviderProblem(user: User | undefined): string | undefined {
  const provider = user?.authProvider as {config?: Record<string, string>; name?: string} | undefined
  if (!provider) return undefined
  switch (provider.name) {
    case 'gcp':
      return 'The gcp auth plugin has been removed.\nPlease use the "gke-gcloud-auth-plugin" kubectl/client-go credential plugin instead.\nSee https://cloud.google.com/blog/products/containers-kubernetes/kubectl-auth-changes-in-gke for further details'
    case 'azure':
      return 'The azure auth plugin has been removed.\nPlease use the https://github.com/Azure/kubelogin kubectl/client-go credential plugin instead.\nSee https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins for further details'
    case 'oidc':
      for (const key of ['idp-issuer-url', 'client-id']) if (!provider.config?.[key]) return `Must provide ${key}`
      return undefined
    case 'tokenFile':
      return undefined
    default:
      return `no Auth Provider found for name ${JSON.stringify(provider.name ?? '')}`
  }
}

/**
 * The user without its exec plugin when it has a token (or token file), basic authentication or a client
 * certificate and key (from the kubeconfig or the flags): client-go never runs the plugin then
 * (plugin/pkg/client/auth/exec Authenticator.UpdateTransportConfig returns before wrapping the
 * transport when the config HasTokenAuth, HasBasicAuth or HasCertAuth: "for requests like kubectl
 * get --token (token) pods we should assume the intention is to use the provided token").
 */
export function withoutIdlePlugin(user: User): User {
  const certificate = Boolean((user.certData || user.certFile) && (user.keyData || user.keyFile))
  if (!user.exec || !(user.token || (user as UserWithTokenFile).tokenFile || user.username || certificate)) return user
  const {exec: _exec, ...rest} = user
  return rest
}

/** Adds an empty context (and makes it current), cluster or user, for the connection flags to fill. */
function addUnnamed(kubeConfig: KubeConfig, add: {cluster?: string; name?: string; user?: string}): void {
  const context = add.name === undefined ? undefined : {cluster: add.cluster ?? '', name: add.name, user: add.user ?? ''}
  kubeConfig.loadFromOptions({
    clusters: [...kubeConfig.getClusters(), ...(add.cluster === undefined ? [] : [{name: add.cluster, server: '', skipTLSVerify: false}])],
    contexts: [...kubeConfig.getContexts(), ...(context ? [context] : [])],
    currentContext: context ? context.name : kubeConfig.getCurrentContext(),
    users: [...kubeConfig.getUsers(), ...(add.user === undefined ? [] : [{name: add.user}])],
  })
}

/**
 * clientcmd's validateAuthInfo, the checks a kubeconfig or the flags can fail, in its order: a
 * client certificate without a key, its files unreadable, a token and basic authentication both.
 */
function userProblems(user: User): string[] {
  const problems: string[] = []
  if ((user.certFile || user.certData) && !user.keyFile && !user.keyData) {
    problems.push(`client-key-data or client-key must be specified for ${user.name} to use the clientCert authentication method.`)
  }
  for (const [file, what] of [[user.certFile, 'client-cert'], [user.keyFile, 'client-key']] as const) {
    const problem = (user.certFile || user.certData) ? unreadable(file) : undefined
    if (problem) problems.push(`unable to read ${what} ${file} for ${user.name} due to open ${file}: ${problem}`)
  }
  if (user.token && (user.username || user.password)) {
    problems.push(`more than one authentication method found for ${user.name}; found [token basicAuth], only one is allowed`)
  }
  return problems
}

/** Why a file the kubeconfig names cannot be read, in Go's words (`no such file or directory`), or undefined. */
function unreadable(file: string | undefined): string | undefined {
  if (!file) return undefined
  try {
    accessSync(file, constants.R_OK)
    return undefined
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    return code === 'ENOENT' ? 'no such file or directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message
  }
}

/** Reads one file; a file that is not a kubeconfig gets kubectl's `error loading config file "F": ...`. */
function loadFile(file: string, shown: string): {kubeConfig: KubeConfig; text: string} {
  const kubeConfig = new KubeConfig()
  try {
    // KubeConfig.loadFromFile, keeping the text
    const text = readFileSync(file).toString('utf-8')
    kubeConfig.loadFromString(text)
    kubeConfig.makePathsAbsolute(path.dirname(file))
    resolvePluginCommands(kubeConfig, path.dirname(file))
    readTokenFiles(kubeConfig, text, path.dirname(file))
    return {kubeConfig, text}
  } catch (error) {
    const e = error as Error & {mark?: {line: number}; reason?: string}
    const detail = e.name === 'YAMLException' && e.mark ? `yaml: line ${e.mark.line + 1}: ${e.reason ?? e.message}` : e.message
    throw new CliError(`error loading config file ${JSON.stringify(shown)}: ${detail}`)
  }
}

/**
 * An exec plugin's command written with a slash and not absolute is taken from the kubeconfig's
 * folder, as client-go's clientcmd ResolveLocalPaths takes it (GetAuthInfoFileReferences: a command
 * without a slash is looked up in PATH); client-node's makePathsAbsolute leaves it to the working
 * directory, where kubectl's `./plugin` beside the kubeconfig is not.
 */
function resolvePluginCommands(kubeConfig: KubeConfig, dir: string): void {
  for (const user of kubeConfig.getUsers()) {
    const exec = user.exec as {command?: string} | undefined
    if (exec?.command?.includes('/') && !path.isAbsolute(exec.command)) exec.command = path.join(dir, exec.command)
  }
}

/** A kubeconfig user with the `tokenFile` client-node does not read (absolute: from the kubeconfig's folder). */
export type UserWithTokenFile = User & {readonly tokenFile?: string}

/**
 * Each user's `tokenFile`, taken from the kubeconfig file's folder when relative (clientcmd
 * ResolveLocalPaths, GetAuthInfoFileReferences), onto client-node's user of that name, which drops
 * it (it reads only its own `token-file`, at load). Read when used: bearerToken.
 */
function readTokenFiles(kubeConfig: KubeConfig, text: string, dir: string): void {
  // Most kubeconfigs have none: skip the second parse for them.
  if (!/^[\s-]*tokenFile\s*:/m.test(text)) return
  const doc = yaml.load(text) as {users?: unknown} | undefined
  const entries: {name?: unknown; user?: {tokenFile?: unknown}}[] = Array.isArray(doc?.users) ? doc.users : []
  for (const entry of entries) {
    const file = entry?.user?.tokenFile
    const user = typeof entry?.name === 'string' ? kubeConfig.getUser(entry.name) : null
    if (user && typeof file === 'string' && file !== '') Object.assign(user, {tokenFile: path.resolve(dir, file)})
  }
}

/**
 * The bearer token of a user with a `tokenFile`, or undefined for a user without one, as client-go
 * sends it: clientcmd getUserIdentificationPartialConfig reads the file when the user has no
 * token (failing as `open FILE: no such file or directory`, kubectl's `error: ...`), and the
 * transport's cachingTokenSource reads it again for the request and sends it trimmed when that
 * works and is not empty, else the token given (the kubeconfig's, or the file as first read).
 */
export function bearerToken(user: UserWithTokenFile | undefined): string | undefined {
  const file = user?.tokenFile
  if (!file) return undefined
  let read: string | undefined
  try {
    read = readFileSync(file, 'utf8')
  } catch (error) {
    if (!user.token) throw new CliError(`open ${file}: ${unreadable(file) ?? (error as Error).message}`)
  }
  return read?.trim() || user.token || read || ''
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
