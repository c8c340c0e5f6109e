// A local TCP listener that forwards every accepted connection through forwardConnection, the way
// the port-forward command does, and collects each connection's result. Plus small socket helpers.

import {createHash, randomBytes} from 'node:crypto'
import {once} from 'node:events'
import net from 'node:net'

import type {KubeClient} from '../../src/kube/client.ts'
import {forwardConnection} from '../../src/portforward/forward.ts'
import {openTunnel} from '../../src/portforward/tunnel.ts'
import type {ForwardHooks, ForwardResult, TunnelOptions} from '../../src/portforward/types.ts'

export interface Listener {
  port: number
  /** Every result so far, in order of completion. */
  results: ForwardResult[]
  /** Resolves with the next result not yet taken by next(). */
  next(): Promise<ForwardResult>
  close(): Promise<void>
}

export async function listenAndForward(client: KubeClient, target: Omit<TunnelOptions, 'signal'>, hooks: ForwardHooks = {}): Promise<Listener> {
  const results: ForwardResult[] = []
  const unread: ForwardResult[] = []
  const waiters: Array<(r: ForwardResult) => void> = []
  const sockets = new Set<net.Socket>()
  // allowHalfOpen left at its default on purpose: forwardConnection must turn it on itself.
  const listener = net.createServer(socket => {
    sockets.add(socket)
    void forwardConnection(socket, ({signal}) => openTunnel(client, {...target, signal}), hooks).then(result => {
      sockets.delete(socket)
      results.push(result)
      const waiter = waiters.shift()
      if (waiter) waiter(result)
      else unread.push(result)
    })
  })
  await new Promise<void>(resolve => listener.listen(0, '127.0.0.1', resolve))
  return {
    port: (listener.address() as net.AddressInfo).port,
    results,
    next: () => new Promise(resolve => {
      const result = unread.shift()
      if (result) resolve(result)
      else waiters.push(resolve)
    }),
    close: () => {
      for (const s of sockets) s.destroy()
      return new Promise(resolve => listener.close(() => resolve()))
    },
  }
}

const clients = new Set<net.Socket>()

/** Connects to 127.0.0.1:port with allowHalfOpen; destroyAllClients() cleans up. */
export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({allowHalfOpen: true, host: '127.0.0.1', port}, () => resolve(socket))
    clients.add(socket)
    socket.once('close', () => clients.delete(socket))
    socket.once('error', reject)
  })
}

export function destroyAllClients(): void {
  for (const socket of clients) socket.destroy()
}

export async function readToEnd(socket: net.Socket): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of socket) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks)
}

/**
 * Reads from a stream until `size` bytes have arrived; rejects (instead of waiting forever) if the
 * stream ends, closes or fails first.
 */
export function readAtLeast(stream: import('node:stream').Readable, size: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    let got = 0
    const cleanup = () => {
      stream.off('data', onData)
      stream.off('end', onEnd)
      stream.off('close', onEnd)
      stream.off('error', onError)
    }
    const onData = (chunk: Buffer) => {
      chunks.push(chunk)
      got += chunk.length
      if (got >= size) {
        cleanup()
        stream.pause()
        resolve(Buffer.concat(chunks))
      }
    }
    const onEnd = () => {
      cleanup()
      reject(new Error(`stream ended after ${got} of ${size} bytes`))
    }
    const onError = (error: Error) => {
      cleanup()
      reject(error)
    }
    stream.on('data', onData)
    stream.once('end', onEnd)
    stream.once('close', onEnd)
    stream.once('error', onError)
  })
}

/**
 * Writes `size` random bytes to an echo connection (honouring backpressure) while reading them
 * back, and resolves with the sha256 of both sides once all have come back.
 */
export async function echoRandom(socket: net.Socket, size: number): Promise<{got: string; sent: string}> {
  const sent = createHash('sha256')
  const got = createHash('sha256')
  let received = 0
  const echoed = new Promise<void>((resolve, reject) => {
    socket.on('data', (chunk: Buffer) => {
      got.update(chunk)
      received += chunk.length
      if (received >= size) resolve()
    })
    socket.once('close', () => reject(new Error(`closed after ${received} bytes`)))
  })
  for (let written = 0; written < size;) {
    const chunk = randomBytes(Math.min(256 * 1024, size - written))
    sent.update(chunk)
    written += chunk.length
    if (!socket.write(chunk)) await once(socket, 'drain')
  }
  await echoed
  return {got: got.digest('hex'), sent: sent.digest('hex')}
}
