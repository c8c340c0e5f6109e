// Whether a local client on loopback has closed its socket, read from the kernel's TCP tables
// (Linux). A FIN from the client means either "I am done sending" (shutdown(SHUT_WR): it still reads
// the reply) or "I am gone" (close() or exit); nothing on the wire tells them apart. On loopback the
// client's own end of the connection is in this machine's /proc/net/tcp (or tcp6): the line whose
// local address is the client's address and port and whose remote address is svc's. Once the client
// process has closed its socket, the kernel keeps that end as an orphan, in FIN_WAIT1 or FIN_WAIT2,
// owned by no file: its inode column reads 0. A client that only half-closed still owns its socket.
//
// forward.ts asks while a connection lingers after the client's EOF (see lifecycle.ts). One read of
// the tables answers every lingering connection; each connection is checked a few times over its
// linger (CHECK_DELAYS_MS), and reads are at least MIN_GAP_MS apart, so the cost is bounded whatever
// the churn. Only positive evidence counts (the line found, orphaned): a client off loopback, a line
// not found, a table that cannot be read, another OS: no answer, and the linger decides as before.
// The parsing is pure and table-tested in test/unit/portforward/peer-gone.test.ts.

import {closeSync, openSync, readSync} from 'node:fs'
import {endianness} from 'node:os'

/** An address and port, as Node's sockets report them ('127.0.0.1', '::1', '::ffff:127.0.0.1'). */
export interface Endpoint {
  address: string
  port: number
}

/** Asks whether the client at `client`, connected to svc at `server`, has closed its socket. */
export interface PeerWatch {
  /**
   * Calls `onGone` (at most once) if the client is seen to have closed its socket. Returns a
   * function that stops watching, or undefined if this client cannot be watched (not on loopback).
   */
  watch(client: Endpoint, server: Endpoint, onGone: () => void): (() => void) | undefined
}

/** After a connection starts lingering, its client is looked up this long after (ms), then stops. */
export const CHECK_DELAYS_MS = [50, 200, 500]
/** Reads of the tables are at least this far apart (ms), however many connections linger. */
export const MIN_GAP_MS = 100
/**
 * And at least this many times the last read's duration apart: the table grows with every socket of
 * the network namespace (a burst leaves tens of thousands in TIME_WAIT for a minute, 15-60 ms of CPU
 * to read), so the reads take at most a sixth of a core.
 */
export const GAP_PER_READ_MS = 5

/** TCP states of an orphaned client end while svc's end is still open (include/net/tcp_states.h). */
const FIN_WAIT1 = 0x04
const FIN_WAIT2 = 0x05

/**
 * An address in one canonical form: lowercase hex of its bytes, 8 digits for IPv4 (an IPv4-mapped
 * IPv6 address is its IPv4 address: a dual-stack listener sees an IPv4 client so), 32 for IPv6.
 * Undefined for text that is not an address.
 */
export function canonicalAddress(text: string): string | undefined {
  const bare = text.replace(/%.*$/, '')
  if (!bare.includes(':')) return ipv4Hex(bare)
  const halves = bare.split('::')
  if (halves.length > 2) return undefined
  const words = (part: string): string[] | undefined => {
    if (part === '') return []
    const out: string[] = []
    const pieces = part.split(':')
    for (const [index, piece] of pieces.entries()) {
      if (index === pieces.length - 1 && piece.includes('.')) {
        const v4 = ipv4Hex(piece)
        if (v4 === undefined) return undefined
        out.push(v4.slice(0, 4), v4.slice(4))
      } else if (/^[0-9a-f]{1,4}$/i.test(piece)) out.push(piece.toLowerCase().padStart(4, '0'))
      else return undefined
    }
    return out
  }
  const head = words(halves[0])
  const tail = halves.length === 2 ? words(halves[1]) : []
  if (!head || !tail) return undefined
  const missing = 8 - head.length - tail.length
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined
  return fromIpv6Hex([...head, ...Array<string>(missing).fill('0000'), ...tail].join(''))
}

function ipv4Hex(text: string): string | undefined {
  const parts = text.split('.')
  if (parts.length !== 4 || !parts.every(p => /^\d{1,3}$/.test(p) && Number(p) <= 255)) return undefined
  return parts.map(p => Number(p).toString(16).padStart(2, '0')).join('')
}

/** 32 hex digits of an IPv6 address, in network order: an IPv4-mapped one becomes its IPv4 form. */
function fromIpv6Hex(hex: string): string {
  return hex.startsWith('00000000000000000000ffff') ? hex.slice(24) : hex
}

/** Whether a canonical address is on loopback (127.0.0.0/8, ::1). */
export function isLoopback(canonical: string): boolean {
  return canonical.length === 8 ? canonical.startsWith('7f') : canonical === '00000000000000000000000000000001'
}

/**
 * One address:port of /proc/net/tcp or tcp6 (`0100007F:1F90`) as `canonical:port`. The address is
 * printed as 32-bit words in the host's byte order (little-endian on x86 and arm64), the port as a
 * number. Undefined for anything else.
 */
export function parseProcEndpoint(field: string, littleEndian = endianness() === 'LE'): string | undefined {
  const match = /^([0-9A-Fa-f]{8}|[0-9A-Fa-f]{32}):([0-9A-Fa-f]{4})$/.exec(field)
  if (!match) return undefined
  let hex = ''
  for (let i = 0; i < match[1].length; i += 8) {
    const word = match[1].slice(i, i + 8).toLowerCase()
    hex += littleEndian ? word.slice(6, 8) + word.slice(4, 6) + word.slice(2, 4) + word.slice(0, 2) : word
  }
  return `${hex.length === 32 ? fromIpv6Hex(hex) : hex}:${Number.parseInt(match[2], 16)}`
}

/** The key of one connection as seen from its client: `client>server`, both `canonical:port`. */
export function connectionKey(client: Endpoint, server: Endpoint): string | undefined {
  const c = canonicalAddress(client.address)
  const s = canonicalAddress(server.address)
  return c === undefined || s === undefined ? undefined : `${c}:${client.port}>${s}:${server.port}`
}

/**
 * The keys among `wanted` whose line in a /proc/net/tcp or tcp6 text (whole lines) is an orphan:
 * FIN_WAIT1 or FIN_WAIT2 with inode 0 (the owning process has closed it), added to `found`.
 * Columns: sl, local_address, rem_address, st, tx_queue:rx_queue, tr:tm->when, retrnsmt, uid,
 * timeout, inode, ... The table holds every socket of the network namespace (tens of thousands of
 * TIME_WAIT lines after a burst): a line is split only once its state column is one of the two.
 */
export function orphanedAmong(table: string, wanted: ReadonlySet<string>, littleEndian = endianness() === 'LE', found = new Set<string>()): Set<string> {
  let start = 0
  while (start < table.length) {
    let end = table.indexOf('\n', start)
    if (end === -1) end = table.length
    const colon = table.indexOf(': ', start)
    const localEnd = colon === -1 || colon > end ? -1 : table.indexOf(' ', colon + 2)
    const remoteEnd = localEnd === -1 || localEnd > end ? -1 : table.indexOf(' ', localEnd + 1)
    if (remoteEnd !== -1 && remoteEnd + 3 <= end && table.charCodeAt(remoteEnd + 1) === 0x30) {
      const state = table.charCodeAt(remoteEnd + 2)
      if (state === 0x34 || state === 0x35) checkLine(table.slice(start, end), wanted, littleEndian, found)
    }
    start = end + 1
  }
  return found
}

function checkLine(line: string, wanted: ReadonlySet<string>, littleEndian: boolean, found: Set<string>): void {
  const columns = line.trim().split(/\s+/)
  if (columns.length < 10 || columns[9] !== '0') return
  const state = Number.parseInt(columns[3], 16)
  if (state !== FIN_WAIT1 && state !== FIN_WAIT2) return
  const local = parseProcEndpoint(columns[1], littleEndian)
  const remote = parseProcEndpoint(columns[2], littleEndian)
  if (local === undefined || remote === undefined) return
  const key = `${local}>${remote}`
  if (wanted.has(key)) found.add(key)
}

interface Watched {
  key: string
  onGone: () => void
  /** Index into CHECK_DELAYS_MS of the next check, and when it is due (ms, performance.now()). */
  step: number
  due: number
  started: number
}

/** One buffer for every read of the tables: they run to megabytes, read a chunk at a time. */
let chunk: Buffer | undefined
const CHUNK_BYTES = 256 * 1024
/**
 * A table larger than this (about 55,000 sockets in the namespace) is not read to its end: the read
 * runs on the event loop, so its length is every connection's wait. readOrphans throws, and the
 * watch stops for good (the linger decides).
 */
export const MAX_TABLE_BYTES = 8 * 1024 * 1024

/** A TCP table beyond MAX_TABLE_BYTES. */
export class TableTooLarge extends Error {
  constructor(file: string, limit: number) {
    super(`${file} is larger than ${limit} bytes`)
    this.name = 'TableTooLarge'
  }
}

/**
 * The orphans among `wanted` in /proc/net/tcp and tcp6 (an IPv4 client's end is in tcp whatever
 * svc listens on; an IPv6 socket connected to an IPv4-mapped address is in tcp6). Throws if tcp
 * cannot be read. Read synchronously, in chunks into one reused buffer: the kernel writes the table
 * in about 15 ms of CPU per 20,000 lines, and an asynchronous read costs twice that (a thread-pool
 * round trip per chunk) and takes ten times longer on a busy event loop.
 */
export function readOrphans(wanted: ReadonlySet<string>): Set<string> {
  const found = new Set<string>()
  scanFile('/proc/net/tcp', wanted, found)
  try {
    scanFile('/proc/net/tcp6', wanted, found)
  } catch (error) {
    // An absent tcp6 is IPv6 disabled; a table too large is a reason to stop.
    if (error instanceof TableTooLarge) throw error
  }
  return found
}

/** Adds to `found` the orphans among `wanted` in the TCP table `file`; throws past `limit` bytes. */
export function scanFile(file: string, wanted: ReadonlySet<string>, found: Set<string>, limit = MAX_TABLE_BYTES): void {
  chunk ??= Buffer.allocUnsafe(CHUNK_BYTES)
  const fd = openSync(file, 'r')
  try {
    let tail = ''
    let total = 0
    for (;;) {
      const bytesRead = readSync(fd, chunk, 0, CHUNK_BYTES, null)
      if (bytesRead === 0) break
      total += bytesRead
      if (total > limit) throw new TableTooLarge(file, limit)
      const text = tail + chunk.toString('latin1', 0, bytesRead)
      const lastLine = text.lastIndexOf('\n') + 1
      orphanedAmong(text.slice(0, lastLine), wanted, undefined, found)
      tail = text.slice(lastLine)
    }
    orphanedAmong(tail, wanted, undefined, found)
  } finally {
    closeSync(fd)
  }
}

/** The /proc watch: one timer and at most one read in flight, for every lingering connection. */
export class ProcPeerWatch implements PeerWatch {
  private readonly orphans: (wanted: ReadonlySet<string>) => Set<string> | Promise<Set<string>>
  private readonly delays: readonly number[]
  private readonly minGap: number
  private readonly watched = new Set<Watched>()
  private timer: NodeJS.Timeout | undefined
  private reading = false
  private lastRead = -Infinity
  /** How long the last read took (ms). */
  private lastCost = 0
  /** The tables could not be read once: no more attempts, the linger decides. */
  private broken = false

  constructor(orphans: (wanted: ReadonlySet<string>) => Set<string> | Promise<Set<string>> = readOrphans, delays: readonly number[] = CHECK_DELAYS_MS, minGap = MIN_GAP_MS) {
    this.orphans = orphans
    this.delays = delays
    this.minGap = minGap
  }

  watch(client: Endpoint, server: Endpoint, onGone: () => void): (() => void) | undefined {
    if (this.broken || this.delays.length === 0) return undefined
    const key = connectionKey(client, server)
    if (key === undefined || !isLoopback(key.slice(0, key.indexOf(':')))) return undefined
    const now = performance.now()
    const entry: Watched = {due: now + this.delays[0], key, onGone, started: now, step: 0}
    this.watched.add(entry)
    this.schedule()
    return () => {
      this.watched.delete(entry)
      if (this.watched.size === 0 && this.timer) {
        clearTimeout(this.timer)
        this.timer = undefined
      }
    }
  }

  private schedule(): void {
    if (this.reading || this.timer || this.watched.size === 0) return
    let due = Infinity
    for (const entry of this.watched) due = Math.min(due, entry.due)
    const wait = Math.max(due, this.lastRead + Math.max(this.minGap, GAP_PER_READ_MS * this.lastCost)) - performance.now()
    this.timer = setTimeout(() => {
      this.timer = undefined
      void this.check()
    }, Math.max(0, wait))
    this.timer.unref()
  }

  private async check(): Promise<void> {
    this.reading = true
    const started = performance.now()
    // Every watched connection is answered by this read, due or not.
    const keys = new Set<string>()
    for (const entry of this.watched) if (entry.started <= started) keys.add(entry.key)
    let gone: Set<string>
    try {
      gone = await this.orphans(keys)
    } catch {
      this.broken = true
      this.watched.clear()
      this.reading = false
      return
    }
    this.lastRead = performance.now()
    this.lastCost = this.lastRead - started
    this.reading = false
    for (const entry of [...this.watched]) {
      if (!keys.has(entry.key)) continue
      if (gone.has(entry.key)) {
        this.watched.delete(entry)
        entry.onGone()
        continue
      }
      // (Timers may fire up to a millisecond before performance.now() reaches their due time.)
      if (entry.due > started + 2) continue
      // This check was due: move on to the next, or stop watching after the last.
      entry.step++
      if (entry.step >= this.delays.length) this.watched.delete(entry)
      else entry.due = entry.started + this.delays[entry.step]
    }
    this.schedule()
  }
}

let shared: PeerWatch | undefined

/** The watch forward.ts uses by default: the /proc one on Linux, none elsewhere. */
export function defaultPeerWatch(): PeerWatch | undefined {
  if (process.platform !== 'linux') return undefined
  shared ??= new ProcPeerWatch()
  return shared
}
