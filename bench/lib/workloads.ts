// The traffic each forwarder is measured with. Every workload talks to 127.0.0.1:port, checks
// what comes back, and has a deadline, so a broken forwarder fails the run instead of hanging it.

import {createHash, randomBytes} from 'node:crypto'
import http from 'node:http'
import net from 'node:net'

import {churn, CLOSE_MODES, type CloseMode, fdCount, rssBytes} from '../../test/helpers/churn.ts'

const CHUNK = randomBytes(1024 * 1024)

export function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({host: '127.0.0.1', port})
    socket.setNoDelay(true)
    socket.once('connect', () => {
      socket.off('error', reject)
      resolve(socket)
    })
    socket.once('error', reject)
  })
}

/** A transfer's elapsed milliseconds, and how many socket reads returned its bytes to the client. */
export interface Transfer {
  ms: number
  /** 'data' events: each is one read() of the socket that returned bytes. */
  reads: number
}

/**
 * Sends `bytes` through an echo port while reading the echo, and checks the echo byte for byte
 * (sha256). Returns the elapsed milliseconds from connect to the last echoed byte.
 */
export function echoTransfer(port: number, bytes: number, deadlineMs = 120_000): Promise<Transfer> {
  const run = async () => {
    const started = performance.now()
    const socket = await connect(port)
    const sent = createHash('sha256')
    const received = createHash('sha256')
    let receivedBytes = 0
    let reads = 0
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        reads++
        received.update(chunk)
        receivedBytes += chunk.length
        if (receivedBytes >= bytes) resolve()
      })
      socket.on('error', reject)
      socket.on('close', () => (receivedBytes >= bytes ? resolve() : reject(new Error(`connection closed after ${receivedBytes} of ${bytes} bytes`))))
    })
    // Awaited after the writes; a reset while writing must not surface as an unhandled rejection.
    done.catch(() => {})
    let written = 0
    while (written < bytes) {
      const n = Math.min(CHUNK.length, bytes - written)
      const piece = n === CHUNK.length ? CHUNK : CHUNK.subarray(0, n)
      sent.update(piece)
      written += n
      if (!socket.write(piece)) await new Promise<void>((resolve, reject) => {
        const onDrain = () => {
          socket.off('close', onClose)
          resolve()
        }
        const onClose = () => reject(new Error(`connection closed after writing ${written} bytes`))
        socket.once('drain', onDrain)
        socket.once('close', onClose)
      })
    }
    await done
    const elapsed = performance.now() - started
    socket.destroy()
    if (sent.digest('hex') !== received.digest('hex')) throw new Error('echoed bytes differ from the bytes sent')
    return {ms: elapsed, reads}
  }
  return withDeadline(run(), deadlineMs, `echo of ${bytes} bytes`)
}

/** Downloads GET /bytes?n=N over one new connection; the elapsed milliseconds and the body's reads. */
export function download(port: number, bytes: number, deadlineMs = 120_000): Promise<Transfer> {
  const run = () => new Promise<Transfer>((resolve, reject) => {
    const started = performance.now()
    const req = http.get({agent: false, host: '127.0.0.1', path: `/bytes?n=${bytes}`, port}, res => {
      let received = 0
      let reads = 0
      res.on('data', (chunk: Buffer) => {
        reads++
        received += chunk.length
      })
      res.on('end', () => (received === bytes ? resolve({ms: performance.now() - started, reads}) : reject(new Error(`received ${received} of ${bytes} bytes`))))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  return withDeadline(run(), deadlineMs, `download of ${bytes} bytes`)
}

/** `count` sequential connections (round-robin over `port` when it is a list), each sending one byte and reading it back; milliseconds per connection. */
export function connectionLatency(port: number | readonly number[], count: number, deadlineMs = 180_000): Promise<number[]> {
  const ports = typeof port === 'number' ? [port] : port
  let i = 0
  return connectionLatencyVia(() => connect(ports[i++ % ports.length]), count, deadlineMs)
}

/** The same, over connections that `open` makes ready for payload (e.g. through a proxy's handshake). */
export async function connectionLatencyVia(open: () => Promise<net.Socket>, count: number, deadlineMs = 180_000): Promise<number[]> {
  const run = async () => {
    const samples: number[] = []
    for (let i = 0; i < count; i++) {
      const started = performance.now()
      const socket = await open()
      await new Promise<void>((resolve, reject) => {
        socket.once('data', () => resolve())
        socket.once('error', reject)
        socket.once('close', () => reject(new Error('closed before the echo')))
        socket.write('x')
      })
      samples.push(performance.now() - started)
      socket.removeAllListeners('close')
      socket.destroy()
    }
    return samples
  }
  return withDeadline(run(), deadlineMs, `${count} sequential connections`)
}

/**
 * `count` parallel connections each echoing `bytes` (sha256 checked per connection); total
 * milliseconds, how many failed (bytes lost, or echoed bytes that differ) and the first failure.
 */
export async function concurrentEcho(port: number, count: number, bytes: number, deadlineMs = 180_000): Promise<{errors: number; firstError?: string; ms: number}> {
  const started = performance.now()
  const results = await Promise.allSettled(Array.from({length: count}, () => echoTransfer(port, bytes, deadlineMs)))
  const failures = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected')
  return {errors: failures.length, firstError: failures.length > 0 ? String((failures[0].reason as Error).message) : undefined, ms: performance.now() - started}
}

/** HTTP GET /hostname on a new connection each time, from `workers` loops, for `durationMs`. */
export async function requestRate(port: number, durationMs: number, workers = 4): Promise<{errors: number; rps: number}> {
  const until = performance.now() + durationMs
  let ok = 0
  let errors = 0
  const one = () => new Promise<void>(resolve => {
    const req = http.get({agent: false, headers: {Connection: 'close'}, host: '127.0.0.1', path: '/hostname', port, timeout: 10_000}, res => {
      res.resume()
      res.on('end', () => {
        if (res.statusCode === 200) ok++
        else errors++
        resolve()
      })
    })
    req.on('timeout', () => req.destroy(new Error('timeout')))
    req.on('error', () => {
      errors++
      resolve()
    })
  })
  const started = performance.now()
  await Promise.all(Array.from({length: workers}, async () => {
    while (performance.now() < until) await one()
  }))
  return {errors, rps: ok / ((performance.now() - started) / 1000)}
}

export interface SoakFigures {
  /** Connections per second over the whole churn. */
  cps: number
  /** fds and RSS (bytes) once idle (after one warm-up connection), at the churn's peak, and `settleMs` after the last close. */
  fds: {after: number; idle: number; peak: number}
  rss: {after: number; idle: number; peak: number}
}

/**
 * The churn of the port-forward soak test against a forwarder process: `counts[mode]` clients of
 * each close mode (test/helpers/churn.ts), `concurrency` at a time, sampling the process's fds and
 * RSS every 100 ms; then its fds and RSS `settleMs` after the last close (no GC is forced: the
 * same figure for every tool).
 */
export async function churnSoak(pid: number, port: number, counts: Record<CloseMode, number>, concurrency: number, settleMs = 3000): Promise<SoakFigures> {
  await churn(port, 'echo', 1, 1)
  await delay(500)
  const idle = {fds: fdCount(pid), rss: rssBytes(pid)}
  const peak = {...idle}
  let gone: Error | undefined
  const sample = () => {
    try {
      peak.fds = Math.max(peak.fds, fdCount(pid))
      peak.rss = Math.max(peak.rss, rssBytes(pid))
    } catch (error) {
      // /proc/PID is gone: the forwarder exited during the churn; say so instead of crashing the run
      gone ??= new Error(`the forwarder (pid ${pid}) exited during the churn: ${(error as Error).message}`)
      clearInterval(sampler)
    }
  }
  const sampler = setInterval(sample, 100)
  const started = performance.now()
  let total = 0
  try {
    for (const mode of CLOSE_MODES) {
      await churn(port, mode, counts[mode], concurrency)
      total += counts[mode]
    }
  } finally {
    clearInterval(sampler)
  }
  const cps = total / ((performance.now() - started) / 1000)
  sample()
  if (gone) throw gone
  await delay(settleMs)
  return {cps, fds: {after: fdCount(pid), idle: idle.fds, peak: peak.fds}, rss: {after: rssBytes(pid), idle: idle.rss, peak: peak.rss}}
}

export interface StoppedReaderFigures {
  /** The ten downloads' speed with a stopped reader beside them, as a fraction of their speed without. */
  speed: number
  /** Peak RSS (bytes) during the ten downloads with the stopped reader, minus the peak without. */
  rssGrowth: number
  /** The share of its body the stopped reader got, once it read again, by the deadline (1: all of it). */
  stoppedGot: number
}

/**
 * `others` downloads of `bytes` each at once, alone and then beside a download of `stalledBytes`
 * whose reader stopped after its first bytes; the stopped reader then reads to the end. A forwarder
 * whose stopped reader stalls the others scores 0 at the deadline; one that does not deliver the
 * rest of the stopped download by the deadline scores the share it delivered. Every case gives
 * figures: a timeout is a result, not a failed run.
 */
export async function stoppedReader(pid: number, port: number, options: {bytes: number; deadlineMs: number; others: number; stalledBytes: number}): Promise<StoppedReaderFigures> {
  const {bytes, deadlineMs, others, stalledBytes} = options
  /** The downloads at once; `ms` is Infinity when they did not finish by the deadline (stalled). */
  const parallel = async () => {
    let peak = rssBytes(pid)
    const sampler = setInterval(() => (peak = Math.max(peak, rssBytes(pid))), 20)
    const started = performance.now()
    try {
      await Promise.all(Array.from({length: others}, () => download(port, bytes, deadlineMs)))
      return {ms: performance.now() - started, peak}
    } catch {
      return {ms: Number.POSITIVE_INFINITY, peak}
    } finally {
      clearInterval(sampler)
    }
  }
  const alone = await parallel()
  if (!Number.isFinite(alone.ms)) throw new Error(`${others} downloads of ${bytes} bytes did not finish within ${deadlineMs / 1000} s`)
  const stalled = await connect(port)
  try {
    stalled.write(`GET /bytes?n=${stalledBytes} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`)
    await withDeadline(new Promise(resolve => stalled.once('readable', resolve)), deadlineMs, 'the first bytes of the stalled download')
    stalled.pause()
    // Time for every buffer on the way (the kernel's, the forwarder's) to fill behind the stopped reader.
    await delay(1000)
    const beside = await parallel()
    const got = await bodyBytesBy(stalled, deadlineMs)
    if (got > stalledBytes) throw new Error(`the stopped reader got ${got} bytes, more than the ${stalledBytes} asked for`)
    return {rssGrowth: beside.peak - alone.peak, speed: alone.ms / beside.ms, stoppedGot: got / stalledBytes}
  } finally {
    stalled.destroy()
  }
}

/** Reads the socket until it closes or the deadline passes; the HTTP body bytes it got by then. */
function bodyBytesBy(socket: net.Socket, deadlineMs: number): Promise<number> {
  return new Promise(resolve => {
    let head = Buffer.alloc(0)
    let body = -1
    const done = () => {
      clearTimeout(timer)
      socket.removeListener('data', onData)
      resolve(Math.max(body, 0))
    }
    const onData = (chunk: Buffer) => {
      if (body >= 0) {
        body += chunk.length
        return
      }
      head = Buffer.concat([head, chunk])
      const end = head.indexOf('\r\n\r\n')
      if (end >= 0) body = head.length - end - 4
    }
    const timer = setTimeout(done, deadlineMs)
    socket.on('data', onData)
    socket.once('error', done)
    socket.once('close', done)
    socket.resume()
  })
}

function delay(ms: number): Promise<void> {
  return new Promise(resolve => setTimeout(resolve, ms))
}
