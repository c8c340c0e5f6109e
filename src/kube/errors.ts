// Every failure svc can meet, and the one function that turns any of them into kubectl's words.
// The rules follow kubectl's cmdutil.CheckErr (see docs/errors.md).

/** The parts of a metav1.Status that error rendering reads. */
export interface StatusCause {
  field?: string
  message?: string
  reason?: string
}

export interface Status {
  apiVersion?: string
  code?: number
  details?: {causes?: StatusCause[]; group?: string; kind?: string; name?: string; retryAfterSeconds?: number; uid?: string}
  kind?: string
  message?: string
  metadata?: Record<string, unknown>
  reason?: string
  status?: string
}

/** A non-2xx answer from the API server, carrying the Status it sent (or one made from the HTTP code). */
export class ApiError extends Error {
  readonly code: number
  readonly status: Status

  constructor(code: number, status: Status) {
    super(status.message ?? `the server responded with status ${code}`)
    this.name = 'ApiError'
    this.code = code
    this.status = status
  }

  get reason(): string {
    return this.status.reason ?? ''
  }
}

/** The API server could not be reached, or the request did not complete. */
export class ConnectionError extends Error {
  /** The server's host as kubectl names it: as written in the server URL. */
  readonly server: string
  /** Node's error code (ECONNREFUSED, ENOTFOUND, ...) or TIMEOUT. */
  readonly errno: string

  constructor(server: string, errno: string, detail: string) {
    super(detail)
    this.name = 'ConnectionError'
    this.server = server
    this.errno = errno
  }
}

/** Wrong words on the command line: printed with a pointer to the command's help. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'UsageError'
  }
}

/** Any other failure svc reports in its own words; rendered as `error: <message>`, or not at all when the message is empty (the exit code says it, as kubectl wait's on Ctrl-C). */
export class CliError extends Error {
  readonly exitCode: number

  constructor(message: string, exitCode = 1) {
    super(message)
    this.name = 'CliError'
    this.exitCode = exitCode
  }
}

/**
 * The kubeconfig cannot be used (clientcmd's errConfigurationInvalid): kubectl prints
 * `Error in configuration: <reason>`, or one `* <reason>` line each after it when there are several.
 */
export class ConfigurationError extends Error {
  readonly reasons: string[]

  constructor(reasons: string[]) {
    super(reasons.join('; '))
    this.name = 'ConfigurationError'
    this.reasons = reasons
  }
}

/** A bad flag value found after parsing: `error: <message>` and cobra's `See '<path> --help' for usage.` */
export class FlagError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'FlagError'
  }
}

/**
 * Several independent failures (kubectl's aggregate): one line each, in kubectl's
 * StandardErrorMessage form when the error has one, else the bare message (no `error: ` prefix).
 */
export class MultiError extends Error {
  readonly errors: unknown[]

  constructor(errors: unknown[]) {
    super(errors.map(e => (e instanceof Error ? e.message : String(e))).join('\n'))
    this.name = 'MultiError'
    this.errors = errors
  }
}

/** A non-2xx body parsed into a Status, or a Status made up from the code when the body is not one. */
export function statusFromBody(code: number, body: unknown): Status {
  let parsed: unknown = body
  if (typeof body === 'string' || Buffer.isBuffer(body)) {
    const text = body.toString()
    try {
      parsed = JSON.parse(text)
    } catch {
      return {code, kind: 'Status', message: genericMessage(code, text.trim()), reason: reasonForCode(code), status: 'Failure'}
    }
  }
  if (parsed && typeof parsed === 'object' && (parsed as Status).kind === 'Status') {
    return parsed as Status
  }
  return {code, kind: 'Status', message: genericMessage(code, ''), reason: reasonForCode(code), status: 'Failure'}
}

/**
 * The Status of a 403 answer to a pods/portforward upgrade, its message naming the verbs the API
 * server wanted. Since Kubernetes 1.35 (feature gate AuthorizePodWebsocketUpgradeCreatePermission) a
 * WebSocket upgrade is a GET that needs `get` (checked first, with RBAC's usual message) AND
 * `create` (checked again by PortForwardREST.Connect, whose refusal carries no reason: `pods "NAME"
 * is forbidden: `); SPDY over POST needs `create` only. Other answers come back unchanged.
 */
export function portForwardUpgradeStatus(status: Status, method: 'GET' | 'POST'): Status {
  const message = status.message ?? ''
  const refusedVerb = /cannot (\w+) resource "pods\/portforward"/.exec(message)?.[1]
  const connectCheck = method === 'GET' && /^pods "[^"]*" is forbidden: $/.test(message)
  if (status.code !== 403 || (!refusedVerb && !connectCheck)) return status
  const wanted = method === 'GET'
    ? 'a port-forward over WebSocket needs both the get and the create verb on pods/portforward since Kubernetes 1.35'
    : 'a port-forward over SPDY needs the create verb on pods/portforward'
  const text = connectCheck ? `${message}the create verb on pods/portforward was refused (${wanted})` : `${message} (${wanted})`
  return {...status, message: text}
}

// apimachinery's NewGenericServerResponse: the reason and message a client gives a bare HTTP code.
function reasonForCode(code: number): string {
  switch (code) {
    case 400: return 'BadRequest'
    case 401: return 'Unauthorized'
    case 403: return 'Forbidden'
    case 404: return 'NotFound'
    case 405: return 'MethodNotAllowed'
    case 406: return 'NotAcceptable'
    case 409: return 'Conflict'
    case 410: return 'Expired'
    case 413: return 'RequestEntityTooLarge'
    case 415: return 'UnsupportedMediaType'
    case 422: return 'Invalid'
    case 429: return 'TooManyRequests'
    case 500: return 'InternalError'
    case 503: return 'ServiceUnavailable'
    case 504: return 'Timeout'
    default: return 'Unknown'
  }
}

function genericMessage(code: number, text: string): string {
  const base: Record<number, string> = {
    400: 'the server rejected our request for an unknown reason',
    401: 'the server has asked for the client to provide credentials',
    403: 'the server does not allow access to the requested resource',
    404: 'the server could not find the requested resource',
    405: 'the server does not allow this method on the requested resource',
    409: 'the server reported a conflict',
    415: 'the server responded with the status code 415 but did not return more information',
    422: 'the server rejected our request due to an error in our request',
    429: 'the server has received too many requests and has asked us to try again later',
    500: 'an error on the server has prevented the request from succeeding',
    503: 'the server is currently unable to handle the request',
    504: 'the server was unable to return a response in the time allotted, but may still be processing the request',
  }
  const message = base[code] ?? `an error on the server ("${text}") has prevented the request from succeeding`
  return text && base[code] ? `${message} (${text.slice(0, 200)})` : message
}

/** Where the error happened, for the `See 'svc X --help'` line of usage errors. */
export interface RenderContext {
  /** The command path, e.g. `svc create clusterip`. */
  commandPath: string
  /** -v level; at 1 or more, the cause chain of unexpected errors is shown too. */
  verbosity?: number
}

/**
 * Turns any thrown value into the text kubectl would print and the exit code. The text has no
 * trailing newline; the caller prints it to stderr.
 */
export function renderError(err: unknown, ctx: RenderContext): {exitCode: number; text: string} {
  if (err instanceof ApiError) return {exitCode: 1, text: renderStatus(err.status, err.code)}
  if (err instanceof ConnectionError) return {exitCode: 1, text: renderConnection(err)}
  if (err instanceof UsageError) {
    return {exitCode: 1, text: `${withPrefix(err.message)}\nSee '${ctx.commandPath} -h' for help and examples`}
  }
  if (err instanceof CliError) return {exitCode: err.exitCode, text: err.message === '' ? '' : withPrefix(err.message)}
  if (err instanceof ConfigurationError) {
    // kubectl's MultilineError("Error in configuration: ", err)
    const text = err.reasons.length === 1 ? `Error in configuration: ${err.reasons[0]}` : `Error in configuration: \n${err.reasons.map(r => `* ${r}`).join('\n')}`
    return {exitCode: 1, text}
  }
  if (err instanceof FlagError) return {exitCode: 1, text: `${withPrefix(err.message)}\nSee '${ctx.commandPath} --help' for usage.`}
  if (err instanceof MultiError) {
    if (err.errors.length === 1) return renderError(err.errors[0], ctx)
    const lines = err.errors.map(e => {
      if (e instanceof ApiError) return renderStatus(e.status, e.code)
      if (e instanceof ConnectionError) return renderConnection(e)
      return e instanceof Error ? e.message : String(e)
    })
    return {exitCode: 1, text: lines.join('\n')}
  }
  if (err instanceof Error && /^Parsing --\S+/.test(err.message)) {
    // A flag's own parser threw: oclif wraps it as "Parsing --flag \n\t<reason>\nSee more help...".
    const [, flag, reason] = /^Parsing (--\S+)\s*\n\s*(.*)/.exec(err.message) ?? []
    const text = flag ? `invalid value for ${flag}: ${reason.trim()}` : firstLine(err.message)
    return {exitCode: 1, text: `${withPrefix(text)}\nSee '${ctx.commandPath} --help' for usage.`}
  }
  if (isOclifParseError(err)) {
    return {exitCode: 1, text: `${withPrefix(firstLine(err.message))}\nSee '${ctx.commandPath} --help' for usage.`}
  }
  const message = err instanceof Error ? err.message : String(err)
  let text = withPrefix(message)
  if ((ctx.verbosity ?? 0) >= 1 && err instanceof Error && err.stack) text += `\n${err.stack}`
  return {exitCode: 1, text}
}

/** kubectl's StandardErrorMessage for a Status: Invalid with causes, Unauthorized, or the reason form. */
export function renderStatus(status: Status, code = status.code ?? 0): string {
  const reason = status.reason ?? ''
  const message = status.message ?? ''
  if (reason === 'Invalid' || code === 422) {
    const details = status.details
    if (!details) return message ? `The request is invalid: ${message}` : 'The request is invalid'
    const prefix = details.kind || details.name ? `The ${details.kind ?? ''} "${details.name ?? ''}" is invalid` : 'The request is invalid'
    const causes: string[] = []
    for (const cause of details.causes ?? []) {
      const line = cause.field ? `${cause.field}: ${cause.message ?? ''}` : cause.message ?? ''
      if (!causes.includes(line)) causes.push(line)
    }
    if (causes.length === 0) return message ? `${prefix}: ${message.replace(/^.*? is invalid: /, '')}` : prefix
    if (causes.length === 1) return `${prefix}: ${causes[0]}`
    return `${prefix}: \n${causes.map(c => `* ${c}`).join('\n')}`
  }
  if (reason === 'Unauthorized' || code === 401) {
    return `error: You must be logged in to the server (${message || 'Unauthorized'})`
  }
  if (reason) return `Error from server (${reason}): ${message}`
  return `Error from server: ${message}`
}

function renderConnection(err: ConnectionError): string {
  if (err.errno === 'ECONNREFUSED') {
    return `The connection to the server ${err.server} was refused - did you specify the right host or port?`
  }
  return `Unable to connect to the server: ${err.message}`
}

function withPrefix(message: string): string {
  return message.startsWith('error: ') ? message : `error: ${message}`
}

function firstLine(message: string): string {
  return message.split('\n').find(l => l.trim() !== '')?.trim() ?? message
}

function isOclifParseError(err: unknown): err is Error {
  if (!(err instanceof Error)) return false
  const name = err.constructor?.name ?? ''
  return /Flag|Arg|Parse|Validation|Constraint/.test(name) && 'parse' in err
}
