// Local listeners, bound as client-go binds them: for each port, every address in order; a local
// port 0 takes the port the first address got, so `:80` is the same number on 127.0.0.1 and ::1.
// A port fails when all of its `localhost` addresses failed, or any explicit IP failed; then its
// other listeners are closed (kubectl leaves them open) and the next port is tried.

import fs from 'node:fs'
import net from 'node:net'

import {type ForwardedPort, joinHostPort, type ListenAddress} from './ports.ts'

export interface BoundListener {
  address: string
  family: 4 | 6
  /** Index of the PORT argument this listener serves. */
  index: number
  localPort: number
  remotePort: number
  server: net.Server
}

export interface BindFailure {
  index: number
  /** client-go's text: `Unable to listen on port 8080: Listeners failed to create with ...`. */
  message: string
  port: ForwardedPort
}

export interface BindResult {
  failures: BindFailure[]
  listeners: BoundListener[]
  /** The ports with local ports filled in (0 replaced by the port chosen). */
  ports: ForwardedPort[]
}

/**
 * Listens on every address for every port; never throws (failures are returned). A port marked
 * `fallbackToFree` that cannot be bound is bound again on a free port.
 */
export async function bindListeners(
  addresses: readonly ListenAddress[],
  ports: readonly ForwardedPort[],
  onConnection: (socket: net.Socket, listener: BoundListener) => void,
): Promise<BindResult> {
  const listeners: BoundListener[] = []
  const failures: BindFailure[] = []
  const result: ForwardedPort[] = []
  for (const [index, requested] of ports.entries()) {
    let attempt = await bindPort(addresses, requested, index, onConnection)
    if (attempt.failure && requested.fallbackToFree && requested.local !== 0) {
      attempt = await bindPort(addresses, {...requested, local: 0}, index, onConnection)
    }
    if (attempt.failure) failures.push(attempt.failure)
    else listeners.push(...attempt.listeners)
    result.push(attempt.port)
  }
  return {failures, listeners, ports: result}
}

/** One port on every address: its listeners, or the failure (its listeners then closed). */
async function bindPort(
  addresses: readonly ListenAddress[],
  requested: ForwardedPort,
  index: number,
  onConnection: (socket: net.Socket, listener: BoundListener) => void,
): Promise<{failure?: BindFailure; listeners: BoundListener[]; port: ForwardedPort}> {
  const port = {...requested}
  const bound: BoundListener[] = []
  const errors: string[] = []
  const failed = {all: 0, any: 0}
  const succeeded = {all: 0, any: 0}
  for (const addr of addresses) {
    const server = net.createServer({allowHalfOpen: true})
    try {
      await listen(server, addr, port.local)
      const actual = (server.address() as net.AddressInfo).port
      port.local = actual
      const listener: BoundListener = {address: addr.address, family: addr.family, index, localPort: actual, remotePort: port.remote, server}
      server.on('connection', socket => onConnection(socket, listener))
      bound.push(listener)
      succeeded[addr.failureMode]++
    } catch (error) {
      server.close()
      errors.push(`unable to create listener: Error ${goListenError(error as NodeJS.ErrnoException, addr, port.local)}`)
      failed[addr.failureMode]++
    }
  }
  if ((succeeded.all === 0 && failed.all > 0) || failed.any > 0) {
    for (const l of bound) l.server.close()
    const message = `Unable to listen on port ${port.local}: Listeners failed to create with the following errors: [${errors.join(' ')}]`
    return {failure: {index, message, port}, listeners: [], port}
  }
  return {listeners: bound, port}
}

/** The loopback addresses of `addresses` this machine cannot listen on (EADDRNOTAVAIL: not configured, as on macOS without an lo0 alias). */
export async function unconfiguredAddresses(addresses: readonly string[]): Promise<string[]> {
  const missing: string[] = []
  for (const address of addresses) {
    const server = net.createServer()
    try {
      await listen(server, {address, failureMode: 'any', family: 4}, 0)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EADDRNOTAVAIL') missing.push(address)
    } finally {
      server.close()
    }
  }
  return missing
}

let backlog: number | undefined

/**
 * The accept queue a local listener asks for, as a Go server's net.Listen does (net/sock_linux.go
 * maxListenerBacklog): the kernel's net.core.somaxconn (4096 on current kernels), capped at 65,535,
 * where Node asks for 511. Clients that connect and close at once (health checks, `nc -z`) arrive
 * in bursts of hundreds; a full queue makes the kernel drop their SYNs, and each such client waits
 * out a SYN retransmit (1 s, then 3 s). The kernel caps the request at somaxconn anyway.
 */
export function listenBacklog(): number {
  if (backlog === undefined) {
    let n = Number.NaN
    try {
      n = Number.parseInt(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'), 10)
    } catch {
      // not Linux, or no /proc: Go's fallback (syscall.SOMAXCONN) is 4096 on Linux, 128 elsewhere; the kernel caps it
    }
    backlog = Number.isInteger(n) && n > 0 ? Math.min(n, 65_535) : 4096
  }
  return backlog
}

function listen(server: net.Server, addr: ListenAddress, port: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error)
    server.once('error', onError)
    server.listen({backlog: listenBacklog(), exclusive: true, host: addr.address, ipv6Only: addr.family === 6, port}, () => {
      server.off('error', onError)
      resolve()
    })
  })
}

/** Node's listen error in Go's words: `listen tcp4 127.0.0.1:8080: bind: address already in use`. */
export function goListenError(error: NodeJS.ErrnoException, addr: ListenAddress, port: number): string {
  const where = `listen tcp${addr.family} ${joinHostPort(addr.address, port)}`
  switch (error.code) {
    case 'EADDRINUSE': return `${where}: bind: address already in use`
    case 'EADDRNOTAVAIL': return `${where}: bind: cannot assign requested address`
    case 'EACCES': return `${where}: bind: permission denied`
    case 'EAFNOSUPPORT': return `${where}: socket: address family not supported by protocol`
    case 'EINVAL': return `${where}: bind: invalid argument`
    default: return `${where}: ${error.message}`
  }
}

/** Closes listeners and resolves when they are closed (open connections are the caller's). */
export function closeListeners(listeners: readonly BoundListener[]): Promise<void> {
  return Promise.all(listeners.map(l => new Promise<void>(resolve => l.server.close(() => resolve())))).then(() => undefined)
}
