// A local TCP listener that forwards every accepted connection through forwardConnection, the way
// the port-forward command does, and collects each connection's result. Plus small socket helpers.

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
    void forwardConnection(socket, signal => openTunnel(client, {...target, signal}), hooks).then(result => {
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
