// The traffic each forwarder is measured with. Every workload talks to 127.0.0.1:port, checks
// what comes back, and has a deadline, so a broken forwarder fails the run instead of hanging it.

import {createHash, randomBytes} from 'node:crypto'
import http from 'node:http'
import net from 'node:net'

const CHUNK = randomBytes(1024 * 1024)

function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms)
    }),
  ]).finally(() => clearTimeout(timer))
}

function connect(port: number): Promise<net.Socket> {
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

/**
 * Sends `bytes` through an echo port while reading the echo, and checks the echo byte for byte
 * (sha256). Returns the elapsed milliseconds from connect to the last echoed byte.
 */
export function echoTransfer(port: number, bytes: number, deadlineMs = 120_000): Promise<number> {
  const run = async () => {
    const started = performance.now()
    const socket = await connect(port)
    const sent = createHash('sha256')
    const received = createHash('sha256')
    let receivedBytes = 0
    const done = new Promise<void>((resolve, reject) => {
      socket.on('data', (chunk: Buffer) => {
        received.update(chunk)
        receivedBytes += chunk.length
        if (receivedBytes >= bytes) resolve()
      })
      socket.on('error', reject)
      socket.on('close', () => (receivedBytes >= bytes ? resolve() : reject(new Error(`connection closed after ${receivedBytes} of ${bytes} bytes`))))
    })
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
    return elapsed
  }
  return withDeadline(run(), deadlineMs, `echo of ${bytes} bytes`)
}

/** Downloads GET /bytes?n=N over one new connection; returns elapsed milliseconds. */
export function download(port: number, bytes: number, deadlineMs = 120_000): Promise<number> {
  const run = () => new Promise<number>((resolve, reject) => {
    const started = performance.now()
    const req = http.get({agent: false, host: '127.0.0.1', path: `/bytes?n=${bytes}`, port}, res => {
      let received = 0
      res.on('data', (chunk: Buffer) => (received += chunk.length))
      res.on('end', () => (received === bytes ? resolve(performance.now() - started) : reject(new Error(`received ${received} of ${bytes} bytes`))))
      res.on('error', reject)
    })
    req.on('error', reject)
  })
  return withDeadline(run(), deadlineMs, `download of ${bytes} bytes`)
}

/** `count` sequential connections, each sending one byte and reading it back; milliseconds per connection. */
export async function connectionLatency(port: number, count: number, deadlineMs = 180_000): Promise<number[]> {
  const run = async () => {
    const samples: number[] = []
    for (let i = 0; i < count; i++) {
      const started = performance.now()
      const socket = await connect(port)
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

/** `count` parallel connections each echoing `bytes`; total milliseconds and how many failed. */
export async function concurrentEcho(port: number, count: number, bytes: number, deadlineMs = 180_000): Promise<{errors: number; ms: number}> {
  const started = performance.now()
  const results = await Promise.allSettled(Array.from({length: count}, () => echoTransfer(port, bytes, deadlineMs)))
  return {errors: results.filter(r => r.status === 'rejected').length, ms: performance.now() - started}
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
