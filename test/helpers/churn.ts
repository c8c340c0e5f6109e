// Connection churn against a forwarder's local port, one close mode per client, as health checkers,
// port scanners, connection pools and crashing clients do it. Shared by the soak test
// (test/e2e/port-forward-soak.test.ts) and the benchmark (bench/run.ts). Every client is bounded:
// a mode that does not finish within its timeout fails instead of hanging.

import fs from 'node:fs'
import net from 'node:net'

export type CloseMode =
  /** 1 KiB written, the 1 KiB echo read, then FIN and close (a full exchange). */
  | 'echo'
  /** Connect, then FIN at once without a byte (`nc -z`, TCP health checks). */
  | 'fin-no-data'
  /** 4 KiB written with the FIN, then gone without reading the reply. */
  | 'data-fin'
  /** 4 KiB written, then a reset. */
  | 'reset'
  /** Streams 64 KiB and leaves once 4 KiB came back (a client that vanishes mid-transfer). */
  | 'abandon'

export const CLOSE_MODES: readonly CloseMode[] = ['echo', 'fin-no-data', 'data-fin', 'reset', 'abandon']

const CLIENT_TIMEOUT_MS = 30_000

/** One client in the given mode; resolves once the client is done with its socket. */
export function churnClient(port: number, mode: CloseMode, host = '127.0.0.1'): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const socket = net.connect({host, port})
    const timer = setTimeout(() => {
      socket.destroy()
      reject(new Error(`${mode} client timed out after ${CLIENT_TIMEOUT_MS} ms`))
    }, CLIENT_TIMEOUT_MS)
    const done = (error?: Error) => {
      clearTimeout(timer)
      if (error) reject(error)
      else resolve()
    }
    socket.on('error', error => {
      // A reset from the forwarder after we left is not the client's failure.
      if (mode === 'echo') done(error)
    })
    socket.once('connect', () => {
      switch (mode) {
        case 'fin-no-data':
          socket.end()
          socket.destroy()
          done()
          return
        case 'data-fin':
          socket.end(Buffer.alloc(4096, 1))
          socket.destroy()
          done()
          return
        case 'reset':
          socket.write(Buffer.alloc(4096, 2), () => {
            socket.resetAndDestroy()
            done()
          })
          return
        case 'abandon': {
          let got = 0
          const chunk = Buffer.alloc(8 * 1024, 3)
          let sent = 0
          const pump = () => {
            while (sent < 64 * 1024 && !socket.destroyed) {
              sent += chunk.length
              if (!socket.write(chunk)) return void socket.once('drain', pump)
            }
          }
          socket.on('data', (data: Buffer) => {
            got += data.length
            if (got >= 4 * 1024 && !socket.destroyed) {
              socket.destroy()
              done()
            }
          })
          pump()
          return
        }
        case 'echo': {
          const payload = Buffer.alloc(1024, 4)
          let got = 0
          socket.on('data', (data: Buffer) => {
            got += data.length
            if (got >= payload.length) {
              socket.end()
              socket.destroy()
              done()
            }
          })
          socket.once('end', () => {
            if (got < payload.length) done(new Error(`echo client got ${got} of ${payload.length} bytes`))
          })
          socket.write(payload)
        }
      }
    })
  })
}

/** Runs `count` clients of `mode`, `concurrency` at a time; resolves with the elapsed milliseconds. */
export async function churn(port: number, mode: CloseMode, count: number, concurrency: number): Promise<number> {
  const started = performance.now()
  let next = 0
  const worker = async () => {
    while (next < count) {
      next++
      await churnClient(port, mode)
    }
  }
  await Promise.all(Array.from({length: Math.min(concurrency, count)}, worker))
  return performance.now() - started
}

/** Open file descriptors of a process (Linux /proc). */
export function fdCount(pid: number): number {
  return fs.readdirSync(`/proc/${pid}/fd`).length
}

/** Resident set size of a process in bytes (Linux /proc). */
export function rssBytes(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))
  return match ? Number(match[1]) * 1024 : Number.NaN
}

/** Where a process's resident memory lives, in bytes (Linux /proc). */
export interface RssParts {
  /** glibc's main malloc arena, the `[heap]` mapping grown with brk: it gives back only its top. */
  brkHeap: number
  /** Other anonymous memory: V8's heap pages, the other malloc arena, thread stacks. */
  otherAnon: number
  /** File-backed and shared pages: the node binary's code and data, libraries. */
  file: number
}

export function rssParts(pid: number): RssParts {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8')
  const kib = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? Number.NaN) * 1024
  const heap = /\[heap\]\n(?:[^\n]*\n)*?Rss:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/smaps`, 'utf8'))
  const brkHeap = heap ? Number(heap[1]) * 1024 : 0
  return {brkHeap, file: kib('RssFile') + kib('RssShmem'), otherAnon: kib('RssAnon') - brkHeap}
}
