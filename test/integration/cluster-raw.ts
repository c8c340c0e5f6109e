/** Raw HTTPS access to a LocalCluster for the cluster-core integration tests (node:https with the cluster CA). */
import https from 'node:https'
import type {IncomingHttpHeaders} from 'node:http'
import yaml from 'js-yaml'
import type {LocalCluster} from '../cluster/index.ts'

export interface Creds {
  ca: string
  token?: string
  readonlyToken?: string
  /** the bearer token of every token user of the kubeconfig, by user name */
  tokens: Record<string, string>
  cert?: string
  key?: string
}

/** Credentials extracted from the cluster's own kubeconfig. */
export function credsOf(cluster: LocalCluster): Creds {
  const doc: any = yaml.load(cluster.kubeconfig('token'))
  const users = Object.fromEntries(doc.users.map((u: any) => [u.name, u.user]))
  const b64 = (s: string): string => Buffer.from(s, 'base64').toString('utf8')
  return {
    ca: b64(doc.clusters[0].cluster['certificate-authority-data']),
    token: users.token.token,
    readonlyToken: users.readonly.token,
    tokens: Object.fromEntries(Object.entries(users).filter(([, u]: [string, any]) => u.token).map(([name, u]: [string, any]) => [name, u.token])),
    cert: b64(users.cert['client-certificate-data']),
    key: b64(users.cert['client-key-data']),
  }
}

export interface RawResponse {
  status: number
  headers: IncomingHttpHeaders
  text: string
  json(): any
}

export interface RawOptions {
  method?: string
  body?: string | Buffer
  headers?: Record<string, string>
  /** a token user of the kubeconfig ('token' by default, 'readonly', 'create-only', 'get-only'), 'cert', 'none' or a literal bearer token */
  as?: string
}

export function request(cluster: LocalCluster, path: string, opts: RawOptions = {}): Promise<RawResponse> {
  const creds = credsOf(cluster)
  const headers: Record<string, string> = {...opts.headers}
  const as = opts.as ?? 'token'
  const tls: https.RequestOptions = {ca: creds.ca}
  if (creds.tokens[as]) headers.Authorization = `Bearer ${creds.tokens[as]}`
  else if (as === 'cert') {
    tls.cert = creds.cert
    tls.key = creds.key
  } else if (as !== 'none') headers.Authorization = `Bearer ${as}`
  if (opts.body !== undefined) headers['Content-Length'] = String(Buffer.byteLength(opts.body))
  return new Promise((resolve, reject) => {
    const req = https.request({host: '127.0.0.1', port: cluster.port, path, method: opts.method ?? 'GET', headers, agent: false, ...tls, timeout: 20_000}, (res) => {
      const chunks: Buffer[] = []
      res.on('data', (c: Buffer) => chunks.push(c))
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8')
        resolve({status: res.statusCode ?? 0, headers: res.headers, text, json: () => JSON.parse(text)})
      })
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(new Error(`request to ${path} timed out`)))
    req.on('error', reject)
    req.end(opts.body)
  })
}

export const json = (method: string, body: unknown, extra: Record<string, string> = {}): RawOptions => ({
  method, body: typeof body === 'string' ? body : JSON.stringify(body), headers: {'Content-Type': 'application/json', ...extra},
})

/** Opens a watch and collects its events; `next()` resolves with the next event (or null at the end of the stream). */
export function watch(cluster: LocalCluster, path: string, as = 'token'): Promise<{status: number; next(): Promise<any | null>; close(): void; ended: Promise<void>}> {
  const creds = credsOf(cluster)
  const headers: Record<string, string> = {Authorization: `Bearer ${as === 'readonly' ? creds.readonlyToken : creds.token}`}
  return new Promise((resolve, reject) => {
    const req = https.request({host: '127.0.0.1', port: cluster.port, path, headers, ca: creds.ca, agent: false}, (res) => {
      const events: any[] = []
      const waiters: Array<(e: any | null) => void> = []
      let buf = ''
      let done = false
      const push = (e: any | null): void => {
        const w = waiters.shift()
        if (w) w(e)
        else events.push(e)
      }
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buf += chunk
        let nl: number
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl)
          buf = buf.slice(nl + 1)
          if (line.trim()) push(JSON.parse(line))
        }
      })
      const ended = new Promise<void>((r) => {
        const end = (): void => {
          if (done) return
          done = true
          push(null)
          r()
        }
        res.on('end', end)
        res.on('close', end)
        res.on('error', end)
      })
      resolve({
        status: res.statusCode ?? 0,
        next: () => (events.length ? Promise.resolve(events.shift()) : done ? Promise.resolve(null) : new Promise((r) => waiters.push(r))),
        close: () => req.destroy(),
        ended,
      })
    })
    req.on('error', (err) => reject(err))
    req.end()
  })
}
