// Flags shared by several commands. A name or short letter means the same thing everywhere, and
// short letters are kubectl's own (-n, -A, -l, -o, -f, -v).

import {Flags} from '@oclif/core'

import {parseDuration} from '../kube/duration.ts'
import {DEFAULT_HALF_CLOSE_TIMEOUT_MS} from '../portforward/lifecycle.ts'
import {TRANSPORTS, type TransportMode} from '../portforward/types.ts'

/** Flags every command has; declared once as the base command's baseFlags. */
export const globalFlags = {
  as: Flags.string({description: 'Username to impersonate for the operation. User could be a regular user or a service account in a namespace.', helpGroup: 'GLOBAL'}),
  'as-group': Flags.string({description: 'Group to impersonate for the operation, this flag can be repeated to specify multiple groups.', helpGroup: 'GLOBAL', multiple: true}),
  'as-uid': Flags.string({description: 'UID to impersonate for the operation.', helpGroup: 'GLOBAL'}),
  'certificate-authority': Flags.string({description: 'Path to a cert file for the certificate authority', helpGroup: 'GLOBAL'}),
  'client-certificate': Flags.string({description: 'Path to a client certificate file for TLS', helpGroup: 'GLOBAL'}),
  'client-key': Flags.string({description: 'Path to a client key file for TLS', helpGroup: 'GLOBAL'}),
  cluster: Flags.string({description: 'The name of the kubeconfig cluster to use.', helpGroup: 'GLOBAL'}),
  context: Flags.string({description: 'The name of the kubeconfig context to use.', helpGroup: 'GLOBAL'}),
  'insecure-skip-tls-verify': Flags.boolean({
    description: "If true, the server's certificate will not be checked for validity. This will make your HTTPS connections insecure",
    helpGroup: 'GLOBAL',
  }),
  kubeconfig: Flags.string({description: 'Path to the kubeconfig file to use for CLI requests.', helpGroup: 'GLOBAL'}),
  namespace: Flags.string({char: 'n', description: 'If present, the namespace scope for this CLI request.', helpGroup: 'GLOBAL'}),
  password: Flags.string({description: 'Password for basic authentication to the API server', helpGroup: 'GLOBAL'}),
  'request-timeout': Flags.custom<number>({
    default: async () => 0,
    description: "The length of time to wait before giving up on a single server request. Non-zero values should contain a corresponding time unit (e.g. 1s, 2m, 3h). A value of zero means don't timeout requests.",
    helpGroup: 'GLOBAL',
    parse: async input => parseDuration(input),
  })(),
  server: Flags.string({char: 's', description: 'The address and port of the Kubernetes API server', helpGroup: 'GLOBAL'}),
  'tls-server-name': Flags.string({
    description: 'Server name to use for server certificate validation. If it is not provided, the hostname used to contact the server is used',
    helpGroup: 'GLOBAL',
  }),
  token: Flags.string({description: 'Bearer token for authentication to the API server', helpGroup: 'GLOBAL'}),
  user: Flags.string({description: 'The name of the kubeconfig user to use.', helpGroup: 'GLOBAL'}),
  username: Flags.string({description: 'Username for basic authentication to the API server', helpGroup: 'GLOBAL'}),
  verbose: Flags.integer({
    char: 'v',
    default: 0,
    description: 'Log level: 6 logs each HTTP request and its status to stderr, 8 adds response bodies. Credentials are never logged.',
    helpGroup: 'GLOBAL',
    min: 0,
  }),
}

/** -A/--all-namespaces, for commands that list. */
export const allNamespacesFlag = Flags.boolean({
  char: 'A',
  description: 'If present, list the requested object(s) across all namespaces. Namespace in current context is ignored even if specified with --namespace.',
})

/** -o/--output limited to the formats a command supports. */
export function outputFlag<const T extends string>(formats: readonly T[], description?: string) {
  return Flags.option({
    char: 'o',
    description: description ?? `Output format. One of: (${formats.join(', ')}).`,
    options: formats,
  })()
}

/** A duration flag (like 5s, 2m or 3h) in ms. A negative value parses to -1, for the command to reject with its own words. */
export function durationFlag(options: {default: number; defaultHelp: string; description: string}) {
  return Flags.custom<number>({
    default: async () => options.default,
    defaultHelp: async () => options.defaultHelp,
    description: options.description,
    parse: async input => (input.trim().startsWith('-') ? -1 : parseDuration(input)),
  })()
}

/** --transport of the commands that open tunnels to pods (port-forward, proxy). */
export function transportFlag(description: string) {
  return Flags.custom<TransportMode>({default: async () => 'auto' as TransportMode, description, options: [...TRANSPORTS]})()
}

/** --half-close-timeout of the commands that forward connections (port-forward, proxy). */
export function halfCloseTimeoutFlag(description: string) {
  return durationFlag({default: DEFAULT_HALF_CLOSE_TIMEOUT_MS, defaultHelp: '1s', description})
}

/** -l/--selector, a label query. */
export const selectorFlag = Flags.string({
  char: 'l',
  description: "Selector (label query) to filter on, supports '=', '==', '!=', 'in', 'notin'.(e.g. -l key1=value1,key2=value2,key3 in (value3)). Matching objects must satisfy all of the specified label constraints.",
})

/** --template and --allow-missing-template-keys, for the commands with kubectl's template printers. */
export const templateFlags = {
  'allow-missing-template-keys': Flags.boolean({
    allowNo: true,
    default: true,
    description: 'If true, ignore any errors in templates when a field or map key is missing in the template. Only applies to golang and jsonpath output formats.',
  }),
  template: Flags.string({description: 'Template string or path to template file to use when -o=go-template, -o=go-template-file. The template format is golang templates [http://golang.org/pkg/text/template/#pkg-overview].'}),
}
