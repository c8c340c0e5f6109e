// A port-forward session's TLS socket (the tunnel's, or plain SPDY's), read into memory of our own
// (net's `onread` option) rather than as a Node Readable.
//
// Through a KEP-4006 tunnel kube-apiserver writes each WebSocket message of its own, so a 32 KiB
// SPDY DATA frame reaches us as eight TLS records (6, 6, 4, 16384, 2, 4, 16384 and 2 bytes of
// plaintext; measured on kube-apiserver 1.35 and on the local cluster alike). A socket read as a
// Readable costs, per record, a malloc'd ArrayBuffer made by Node's C++, a push, a 'data' event and
// a nextTick; with `onread`, Node decrypts each record into the memory we hand it and calls one
// function with the byte count. Plain SPDY's socket brings the same bytes in fewer records: 4 and
// 16384 bytes of plaintext per 16 KiB (kube-apiserver 1.35 and the local cluster alike), and its
// reads save less: about 4 % of the forwarder's CPU per MiB over a 256 MiB download (the tunnel's:
// 10 %), 1 % over 1 GiB.
//
// The memory: slabs of SLAB_BYTES, handed out from where the last read ended, a fresh slab once
// fewer than MIN_SPACE bytes are left (a TLS record's plaintext is at most 16 KiB, so a record is
// never cut). The bytes of a read are a view of the slab that is never written again: they are the
// consumer's to keep, like a chunk from a Readable. A slab is freed once no view of it is left;
// what keeps a piece past the read keeps it through keepable() (spdy/frames.ts), which copies a
// small one, so the slabs kept alive are at most four times the bytes kept (plus the slab being
// filled, one per socket), and a kept full record at most 1.25 times (SLAB_BYTES).
//
// The HTTP answer to the upgrade is parsed by Node's client as for any socket: until the upgrade,
// reads are pushed into the socket's own Readable, where node:http listens. From the 101 on (the
// 'upgrade' event, which node:http emits from inside that push) reads are held, and the socket
// stops reading, until a sink attaches (the tunnel's WebSocket pipe, or plain SPDY's session); from
// then on each read goes straight to the sink. Backpressure stays the socket's: pause() stops
// reading, resume() starts it again.

import https from 'node:https'
import type {ClientRequestArgs} from 'node:http'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {serverIdentity} from '../kube/identity.ts'
import type {ByteSource} from '../spdy/session.ts'

/**
 * One full TLS record (16 KiB of plaintext) and 4 KiB besides: the small reads between records
 * share a slab, a full record takes what is left of one, so a slab holds at most one full record.
 * A slab lives until V8 collects the last view of it, and one that outlived two young-generation
 * collections (kept by a connection whose reader stopped or is gone, or filled slowly) waits for a
 * full collection. With 64 KiB slabs each kept record pinned three others' memory too: in a churn
 * of 4,000 connections (bench soak) the forwarder's Buffer memory peaked at 14.8 MiB, against 11.8
 * with 20 KiB slabs and 10.2 with the socket read as a stream (8 alternated runs each), and its RSS
 * peaked at 127 MiB (114-134), against 117 (112-126) and 115 (113-118) before direct reads (15 runs
 * each). The forwarder's CPU per MiB downloaded is that of 64 KiB slabs within the noise (1.86
 * against 1.82 ms, lower in 7 of 14 alternated 512 MiB downloads; read as a stream, 1.87 against
 * 1.76 in 6).
 */
export const SLAB_BYTES = 20 * 1024
/** The largest plaintext TLSWrap hands over in one read (node's kClearOutChunkSize): a record's at most. */
const MIN_SPACE = 16 * 1024

/** Where a socket's reads go: the HTTP parser, a list until a sink attaches, then the sink. */
class DirectReader {
  socket: Socket | undefined
  private slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
  private used = 0
  private held: Buffer[] | undefined
  private sink: ((chunk: Buffer) => void) | undefined

  /** Memory for the next read: the rest of the slab, or a fresh one. */
  readonly space = (): Buffer => {
    if (this.slab.length - this.used < MIN_SPACE) {
      this.slab = Buffer.allocUnsafeSlow(SLAB_BYTES)
      this.used = 0
    }
    return this.slab.subarray(this.used)
  }

  /** A read of `bytes` bytes into `memory` (the last space handed out); false stops reading. */
  readonly onRead = (bytes: number, memory: Uint8Array): boolean => {
    const chunk = (memory as Buffer).subarray(0, bytes)
    this.used += bytes
    if (this.sink) {
      this.sink(chunk)
      return true
    }
    if (this.held) {
      this.held.push(chunk)
      return false
    }
    return this.socket!.push(chunk)
  }

  /** From the 101 on: reads are kept for the sink. */
  hold(): void {
    this.held = []
  }

  /** Every read from now on goes to `sink`, those held first, in order. */
  attach(sink: (chunk: Buffer) => void): void {
    const held = this.held ?? []
    this.held = undefined
    this.sink = sink
    for (const chunk of held) sink(chunk)
    // The socket flows from here: reading starts again, and its end and close are seen.
    this.socket!.resume()
  }
}

const readers = new WeakMap<Duplex, DirectReader>()

/** A number per TLS context, for the agent's names (https.Agent leaves `secureContext` out of them). */
const contextIds = new WeakMap<object, number>()
let contexts = 0

/**
 * An https.Agent whose sockets are read with `onread` (DirectReader). Otherwise the same as Node's
 * global agent, whose part it takes for tunnel upgrades that go through no proxy: TLS from the
 * request's options (the client's secureContext with its CA and client certificate, servername,
 * rejectUnauthorized), the server name as https sets it, TLS sessions kept for the next connection.
 */
class DirectReadAgent extends https.Agent {
  /**
   * Node's name for a connection, plus its TLS context: a TLS session is resumed, which skips
   * verifying the server's certificate, only by a request that carries the context (the CA) that
   * verified it, as Node's own names do for `ca`.
   */
  override getName(options?: https.RequestOptions & {secureContext?: object}): string {
    const name = super.getName(options)
    const context = options?.secureContext
    if (!context) return name
    let id = contextIds.get(context)
    if (id === undefined) contextIds.set(context, (id = ++contexts))
    return `${name}:${id}`
  }

  override createConnection(options: ClientRequestArgs, callback?: (err: Error | null, stream: Duplex) => void): Duplex | null | undefined {
    const reader = new DirectReader()
    const socket = super.createConnection({...options, onread: {buffer: reader.space, callback: reader.onRead}} as ClientRequestArgs, callback) as Socket
    reader.socket = socket
    readers.set(socket, reader)
    return socket
  }
}

export const directReadAgent = new DirectReadAgent({checkServerIdentity: serverIdentity})

/**
 * Called from the 'upgrade' event of a request made with directReadAgent: holds the socket's reads
 * from here on and returns how to take them (undefined for a socket the agent did not make).
 */
export function takeDirectReads(socket: Duplex): ((sink: (chunk: Buffer) => void) => void) | undefined {
  const reader = readers.get(socket)
  if (!reader) return undefined
  readers.delete(socket)
  reader.hold()
  return sink => reader.attach(sink)
}

/**
 * A socket with direct reads as the ByteSource of the SPDY session that runs on it (plain SPDY):
 * `head`, the bytes that came with the 101, first, then every read; pausing stops the socket.
 */
export function directByteSource(socket: Duplex, head: Buffer, attach: (sink: (chunk: Buffer) => void) => void): Duplex & ByteSource {
  return Object.assign(socket, {
    pauseReading: () => void socket.pause(),
    readInto(sink: (chunk: Buffer) => void) {
      if (head.length > 0) sink(head)
      attach(sink)
    },
    resumeReading: () => void socket.resume(),
  })
}
