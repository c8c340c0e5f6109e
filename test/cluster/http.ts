/** HTTP plumbing: bounded body reading, content negotiation and response writing (with latency). */
import type {IncomingMessage, ServerResponse} from 'node:http'
import yaml from 'js-yaml'
import type {Latency} from './latency.ts'
import {HttpError, tooLarge, type Status} from './status.ts'

export const MAX_BODY_BYTES = 3 * 1024 * 1024

/** Reads the request body, failing with 413 beyond MAX_BODY_BYTES (the connection is closed after the answer). */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'])
    if (Number.isFinite(declared) && declared > limit) {
      req.resume()
      reject(new HttpError(tooLarge(limit), {connection: 'close'}))
      return
    }
    const chunks: Buffer[] = []
    let size = 0
    let done = false
    req.on('data', (chunk: Buffer) => {
      if (done) return
      size += chunk.length
      if (size > limit) {
        done = true
        chunks.length = 0
        reject(new HttpError(tooLarge(limit), {connection: 'close'}))
        return
      }
      chunks.push(chunk)
    })
    req.on('end', () => {
      if (!done) {
        done = true
        resolve(Buffer.concat(chunks))
      }
    })
    req.on('error', (err) => {
      if (!done) {
        done = true
        reject(err)
      }
    })
  })
}

export type Format = 'json' | 'yaml'

/** The response format the Accept header asks for; undefined when only unsupported types are acceptable. */
export function negotiate(accept: string | undefined): Format | undefined {
  if (!accept || accept.trim() === '') return 'json'
  for (const raw of accept.split(',')) {
    const type = raw.split(';')[0].trim().toLowerCase()
    if (type === 'application/json' || type === '*/*' || type === 'application/*' || type === 'application/json-patch+json') return 'json'
    if (type === 'application/yaml') return 'yaml'
  }
  return undefined
}

export function contentTypeOf(format: Format): string {
  return format === 'yaml' ? 'application/yaml' : 'application/json'
}

/**
 * The body in `format`. JSON ends with a newline, as kube-apiserver's: its serializer encodes with
 * encoding/json's Encoder (apimachinery pkg/runtime/serializer/json/json.go Serializer.doEncode,
 * `json.NewEncoder(w).Encode(obj)`), which writes one after each value.
 */
export function serialize(body: unknown, format: Format): string {
  return format === 'yaml' ? yaml.dump(body, {noRefs: true, lineWidth: -1}) : `${JSON.stringify(body)}\n`
}

export async function send(res: ServerResponse, latency: Latency, code: number, body: unknown, options: {format?: Format; contentType?: string; headers?: Record<string, string | string[]>} = {}): Promise<void> {
  await latency.wait()
  if (res.destroyed || res.headersSent) return
  const format = options.format ?? 'json'
  const text = typeof body === 'string' ? body : serialize(body, format)
  const headers: Record<string, string | string[] | number> = {
    'Audit-Id': cryptoRandomId(),
    'Cache-Control': 'no-cache, private',
    'Content-Type': options.contentType ?? contentTypeOf(format),
    'Content-Length': Buffer.byteLength(text),
    ...options.headers,
  }
  res.writeHead(code, headers)
  res.end(text)
}

export function sendStatus(res: ServerResponse, latency: Latency, s: Status, headers: Record<string, string> = {}): Promise<void> {
  return send(res, latency, s.code, s, {headers})
}

function cryptoRandomId(): string {
  return globalThis.crypto.randomUUID()
}
