// SPDY/3 name/value header blocks: the plain encoding and the per-direction zlib contexts.
//
// Plain block: u32 count, then per header u32 name length, name (lower-case), u32 value length,
// value; several values of one name are joined by a NUL byte. All integers big-endian.
// Compression: one zlib (RFC 1950) stream per direction per connection, primed with the SPDY/3
// dictionary and sync-flushed after each block, so each block is decodable as soon as it
// arrives while the history keeps growing for the whole connection.

import {constants, createDeflate, createInflate} from 'node:zlib'
import type {Deflate, Inflate} from 'node:zlib'
import {SPDY3_DICTIONARY} from './dictionary.ts'

/** Header names (lower-case) to their values, in insertion order. */
export type SpdyHeaders = Record<string, string[]>

/** Largest plain header block we accept (and produce); spdystream allows no more either. */
export const MAX_HEADER_BLOCK = 1 << 20

export class HeaderBlockError extends Error {}

/** Encodes headers into a plain (uncompressed) block. Names are lower-cased as the SPDY framer does. */
export function encodeHeaderBlock(headers: SpdyHeaders): Buffer {
  // Measured first, then written into one buffer from Node's pool (see frames.ts): no Buffer per
  // length word, name and value.
  const fields: Array<[string, string]> = []
  let size = 4
  for (const name of Object.keys(headers)) {
    const values = headers[name]
    if (values.length === 0) continue
    if (name.length === 0) throw new HeaderBlockError('empty header name')
    const field: [string, string] = [name.toLowerCase(), values.join('\0')]
    size += 8 + Buffer.byteLength(field[0], 'utf8') + Buffer.byteLength(field[1], 'utf8')
    fields.push(field)
  }
  if (size > MAX_HEADER_BLOCK) throw new HeaderBlockError(`header block of ${size} bytes is too large`)
  const block = Buffer.allocUnsafe(size)
  block.writeUInt32BE(fields.length, 0)
  let at = 4
  for (const [name, value] of fields) at = writeString(block, value, writeString(block, name, at))
  return block
}

/** Writes a length word and the UTF-8 bytes of `text` at `at`; returns the offset after them. */
function writeString(block: Buffer, text: string, at: number): number {
  const length = block.write(text, at + 4, 'utf8')
  block.writeUInt32BE(length, at)
  return at + 4 + length
}

/** Decodes a plain block; rejects truncated or trailing data. Values are split on NUL. */
export function decodeHeaderBlock(block: Buffer): SpdyHeaders {
  let p = 0
  const u32 = (what: string) => {
    if (p + 4 > block.length) throw new HeaderBlockError(`header block truncated reading ${what}`)
    const v = block.readUInt32BE(p)
    p += 4
    return v
  }
  const bytes = (len: number, what: string) => {
    if (len > block.length - p) throw new HeaderBlockError(`header block truncated reading ${what}`)
    const s = block.toString('utf8', p, p + len)
    p += len
    return s
  }
  const count = u32('the header count')
  const headers: SpdyHeaders = {}
  for (let i = 0; i < count; i++) {
    const name = bytes(u32('a name length'), 'a name')
    const value = bytes(u32('a value length'), 'a value')
    if (name.length === 0) throw new HeaderBlockError('empty header name')
    if (name !== name.toLowerCase()) throw new HeaderBlockError(`header name ${JSON.stringify(name)} is not lower-case`)
    if (Object.hasOwn(headers, name)) throw new HeaderBlockError(`duplicate header ${JSON.stringify(name)}`)
    headers[name] = value.split('\0')
  }
  if (p !== block.length) throw new HeaderBlockError(`${block.length - p} bytes after the last header`)
  return headers
}

/** First value of a header, or undefined. */
export function headerValue(headers: SpdyHeaders, name: string): string | undefined {
  return headers[name.toLowerCase()]?.[0]
}

const SYNC_CHUNK = 4096

/** The parts of Node's zlib stream that its own synchronous functions use. */
interface SyncCapable {
  _handle?: {writeSync?: (flush: number, input: Buffer, inOff: number, inLen: number, out: Buffer, outOff: number, outLen: number) => void}
  _writeState?: Uint32Array
}

/**
 * Runs zlib operations of one long-lived stream one after another and hands back what each
 * produced. Node's zlib streams are asynchronous; callers queue blocks and await them in order.
 */
abstract class ZContext {
  protected readonly z: Deflate | Inflate
  private chain: Promise<unknown> = Promise.resolve()
  private scratch: Buffer | undefined
  private failed: Error | undefined

  protected constructor(z: Deflate | Inflate) {
    this.z = z
    this.z.on('error', (err: Error) => (this.failed = err))
  }

  /**
   * One block through the context synchronously, or undefined when this Node's zlib does not offer
   * the synchronous step (then run() does it asynchronously). Node's own zlib.deflateSync runs
   * `handle.writeSync` in a loop like this one and then closes the context; here the context
   * stays open, because SPDY continues one compression history across all header blocks. The
   * asynchronous path costs two thread-pool hops and the stream machinery per block: about a
   * fifth of the forwarder's CPU per connection, and latency, in a profile of many short connections.
   */
  protected runSync(input: Buffer): Buffer | undefined {
    const z = this.z as unknown as SyncCapable
    const handle = z._handle
    const state = z._writeState
    if (this.pending > 0 || typeof handle?.writeSync !== 'function' || !state) return undefined
    if (this.failed) throw this.failed
    const out: Buffer[] = []
    let size = 0
    let offset = 0
    let available = input.length
    // zlib writes into one scratch buffer per context (a fresh 4 KiB Buffer per step was an
    // ArrayBuffer of its own, four per connection); what it produced is copied out, into pool memory.
    const buffer = (this.scratch ??= Buffer.allocUnsafe(SYNC_CHUNK))
    for (;;) {
      handle.writeSync(constants.Z_SYNC_FLUSH, input, offset, available, buffer, 0, SYNC_CHUNK)
      if (this.z.destroyed) {
        this.failed ??= new HeaderBlockError('zlib failed on a header block')
        throw this.failed
      }
      const outLeft = state[0]
      const inLeft = state[1]
      const have = SYNC_CHUNK - outLeft
      if (have > 0) {
        out.push(Buffer.from(buffer.subarray(0, have)))
        size += have
        if (size > MAX_HEADER_BLOCK + 1024) {
          this.failed = new HeaderBlockError('header block inflates past the limit')
          throw this.failed
        }
      }
      offset += available - inLeft
      available = inLeft
      // Output space left over means zlib took everything and flushed.
      if (outLeft !== 0) break
    }
    return out.length === 1 ? out[0] : Buffer.concat(out)
  }

  protected run(input: Buffer): Promise<Buffer> {
    try {
      const done = this.runSync(input)
      if (done) return Promise.resolve(done)
    } catch (error) {
      return Promise.reject(error)
    }
    this.pending++
    const next = this.chain.then(
      () =>
        new Promise<Buffer>((resolve, reject) => {
          if (this.failed) return reject(this.failed)
          const out: Buffer[] = []
          let size = 0
          const onData = (chunk: Buffer) => {
            size += chunk.length
            if (size > MAX_HEADER_BLOCK + 1024) fail(new HeaderBlockError('header block inflates past the limit'))
            else out.push(chunk)
          }
          const onError = (err: Error) => fail(err)
          const done = () => {
            this.z.off('data', onData)
            this.z.off('error', onError)
          }
          const fail = (err: Error) => {
            this.failed ??= err
            done()
            reject(err)
          }
          this.z.on('data', onData)
          this.z.on('error', onError)
          this.z.write(input)
          // A sync flush completes only after everything written so far has been processed, and
          // the 'data' events for it are emitted before the callback.
          this.z.flush(constants.Z_SYNC_FLUSH, () => {
            if (this.failed) return fail(this.failed)
            done()
            resolve(Buffer.concat(out))
          })
        }),
    )
    this.chain = next.catch(() => undefined).finally(() => this.pending--)
    return next
  }

  /** Asynchronous blocks still queued (a synchronous block must not overtake them). */
  private pending = 0

  close(): void {
    this.z.close()
  }
}

/** The sending direction's context: plain blocks in, compressed blocks out. */
export class HeaderCompressor extends ZContext {
  constructor() {
    super(createDeflate({level: constants.Z_BEST_COMPRESSION, dictionary: SPDY3_DICTIONARY}))
  }

  /** Compresses one header block (sync flush), continuing the connection's zlib history. */
  compress(headers: SpdyHeaders): Promise<Buffer> {
    return this.run(encodeHeaderBlock(headers))
  }

  /** compress() done synchronously, or undefined when only the asynchronous way is available. */
  compressSync(headers: SpdyHeaders): Buffer | undefined {
    return this.runSync(encodeHeaderBlock(headers))
  }
}

/** The receiving direction's context: compressed blocks in, headers out. */
export class HeaderDecompressor extends ZContext {
  constructor() {
    super(createInflate({dictionary: SPDY3_DICTIONARY}))
  }

  /** Inflates one compressed block from the peer and decodes it. */
  async decompress(block: Buffer): Promise<SpdyHeaders> {
    return decodeHeaderBlock(await this.run(block))
  }

  /** decompress() done synchronously, or undefined when only the asynchronous way is available. */
  decompressSync(block: Buffer): SpdyHeaders | undefined {
    const plain = this.runSync(block)
    return plain ? decodeHeaderBlock(plain) : undefined
  }
}
