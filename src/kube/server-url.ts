// The URL a kubeconfig's or --server's `server` names, as kubectl reads it. k8s.io/client-go
// rest/url_utils.go DefaultServerURL: a string that Go's url.Parse cannot read, or reads without a
// scheme or a host (`127.0.0.1:6443`, `localhost:6443`, `host`), gets a scheme put in front, and
// whatever is then left after the host but `/` is refused (`host must be a URL or a host:port pair`).
// The scheme put in front is https only when the rest.Config has a CA, a client certificate or
// insecure set (DefaultServerUrlFor), and clientcmd's DirectClientConfig.ClientConfig asks
// (IsConfigTransportTLS) before it has put any of them in: so it is always http, and over a server
// that is not https kubectl sends no credentials and uses no TLS settings (the user's token,
// certificate, exec plugin and the cluster's CA are all left out). A URL that Go cannot read even
// then is kubectl's `Unable to connect to the server: <why>` (its url.Error).

import {ConnectionError} from './errors.ts'

/** Go's url.Parse, for what DefaultServerURL looks at: scheme, host and path, or why it cannot. */
interface GoUrl {
  host: string
  path: string
  scheme: string
}

/**
 * The server's URL as kubectl uses it (DefaultServerURL with defaultTLS false). Throws a
 * ConnectionError (`Unable to connect to the server: ...`) for what Go's url.Parse refuses and an
 * Error (`error: host must be ...`) for a path after a host given without a scheme.
 */
export function defaultServerUrl(server: string): string {
  const host = server || 'localhost'
  const parsed = goParse(host)
  if (typeof parsed !== 'string' && parsed.scheme && parsed.host) return dialable(host, parsed.host)
  const withScheme = goParse(`http://${host}`)
  if (typeof withScheme === 'string') throw new ConnectionError(host, 'EINVAL', withScheme)
  if (withScheme.path !== '' && withScheme.path !== '/') throw new Error(`host must be a URL or a host:port pair: ${JSON.stringify(host)}`)
  return dialable(`http://${host}`, withScheme.host)
}

/** A port Go's url.Parse takes (digits) but its dialer does not: net.Dial's words. */
function dialable(url: string, host: string): string {
  const port = /:(\d+)$/.exec(host)?.[1]
  if (port && Number(port) > 65535) throw new ConnectionError(host, 'EINVAL', `dial tcp: address ${port}: invalid port`)
  return url
}

/** Whether kubectl sends credentials and uses TLS for this server (rest.IsConfigTransportTLS). */
export function isTransportTls(serverUrl: string): boolean {
  const parsed = goParse(serverUrl)
  return typeof parsed !== 'string' && parsed.scheme === 'https'
}

/** The host of a URL from defaultServerUrl as written (Go's url.URL.Host). */
export function serverAuthority(serverUrl: string): string {
  const parsed = goParse(serverUrl)
  return typeof parsed === 'string' ? serverUrl : parsed.host
}

/** Go's net/url parse(rawURL, viaRequest=false) for scheme, authority and path; the error's words, or the parts. */
function goParse(raw: string): GoUrl | string {
  const text = raw.split('#')[0]
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(text)) return 'net/url: invalid control character in URL'
  // getScheme: letters, then letters, digits, + - . up to a colon; anything else means no scheme
  let scheme = ''
  let rest = text
  const match = /^([A-Za-z][A-Za-z0-9+.-]*)?:/.exec(text)
  if (match && match[1] === undefined) return 'missing protocol scheme'
  if (match) {
    scheme = match[1].toLowerCase()
    rest = text.slice(match[0].length)
  }
  rest = rest.split('?')[0]
  if (!rest.startsWith('/')) {
    // an opaque URL (`localhost:6443` is scheme localhost): no host
    if (scheme) return {host: '', path: '', scheme}
    if (rest.split('/')[0].includes(':')) return 'first path segment in URL cannot contain colon'
  }
  let host = ''
  if (rest.startsWith('//') && (scheme || !rest.startsWith('///'))) {
    const authority = rest.slice(2).split('/')[0]
    rest = rest.slice(2 + authority.length)
    const at = authority.lastIndexOf('@')
    host = at === -1 ? authority : authority.slice(at + 1)
    const problem = hostProblem(host)
    if (problem) return problem
  }
  const escape = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(rest)
  if (escape) return `invalid URL escape ${JSON.stringify(`%${escape[1]}`)}`
  return {host, path: rest, scheme}
}

/** Go's parseHost: a port that is not digits, a bracket not closed, a character a host cannot have. */
function hostProblem(host: string): string | undefined {
  let name = host
  if (host.startsWith('[')) {
    const close = host.lastIndexOf(']')
    if (close === -1) return "missing ']' in host"
    const port = host.slice(close + 1)
    if (!/^(:\d*)?$/.test(port)) return `invalid port ${JSON.stringify(port)} after host`
    name = ''
  } else {
    const colon = host.lastIndexOf(':')
    if (colon !== -1) {
      const port = host.slice(colon)
      if (!/^:\d*$/.test(port)) return `invalid port ${JSON.stringify(port)} after host`
    }
  }
  const escape = /%(?![0-9A-Fa-f]{2})(.{0,2})/.exec(name)
  if (escape) return `invalid URL escape ${JSON.stringify(`%${escape[1]}`)}`
  // shouldEscape(c, encodeHost) for ASCII: what a host may hold as it is
  const bad = /[^A-Za-z0-9\-_.~!$&'()*+,;=:[\]<>"%\u0080-\uffff]/.exec(name)
  if (bad) return `invalid character ${JSON.stringify(bad[0])} in host name`
  return undefined
}
