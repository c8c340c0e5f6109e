// `--address-per-service`: each Service gets its own loopback address, so that two Services can
// keep the same port number side by side, and `--hosts-file` can give them their cluster names.
//
// The address is 127.X.Y.Z from a hash of `namespace/name`: the same Service gets the same address
// in every run and on every machine. X is 1..254 (127.0.0.0/16 is left alone: 127.0.0.1 and its
// neighbours are commonly used), Y is 0..255 and Z 1..254 (no .0 or .255). Two Services whose hashes
// meet (one chance in about 16 million per pair) are told apart by hashing again with a counter;
// the one met first keeps the plain address. Linux routes all of 127.0.0.0/8 to the loopback device
// without configuration; macOS routes only the addresses aliased on lo0. Pure: no I/O.

import {createHash} from 'node:crypto'

/** The address of `namespace/name` at the given attempt (0 unless an earlier Service took it). */
export function serviceAddress(namespace: string, name: string, attempt = 0): string {
  const digest = createHash('sha256').update(attempt === 0 ? `${namespace}/${name}` : `${namespace}/${name}#${attempt}`).digest()
  return `127.${1 + (digest[0] % 254)}.${digest[1]}.${1 + (digest[2] % 254)}`
}

/** Hands out addresses to Services as they come, each address to one Service. */
export class ServiceAddresses {
  private readonly byService = new Map<string, string>()
  private readonly taken = new Set<string>()

  /** The Service's address, the same for the life of the process. */
  get(namespace: string, name: string): string {
    const key = `${namespace}/${name}`
    const known = this.byService.get(key)
    if (known) return known
    let attempt = 0
    let address = serviceAddress(namespace, name)
    while (this.taken.has(address)) address = serviceAddress(namespace, name, ++attempt)
    this.byService.set(key, address)
    this.taken.add(address)
    return address
  }
}

/** One Service in the hosts file. */
export interface HostsEntry {
  address: string
  name: string
  namespace: string
}

/**
 * hosts(5) lines, one per Service: `127.x.y.z name name.ns name.ns.svc name.ns.svc.cluster.local`.
 * A short name is given only to the first Service of that name (the one a pod of the first
 * namespace would reach by it); the longer names are always unique.
 */
export function formatHosts(entries: readonly HostsEntry[], clusterDomain = 'cluster.local'): string {
  const short = new Set<string>()
  return entries.map(e => {
    const names = [`${e.name}.${e.namespace}`, `${e.name}.${e.namespace}.svc`, `${e.name}.${e.namespace}.svc.${clusterDomain}`]
    if (!short.has(e.name)) {
      short.add(e.name)
      names.unshift(e.name)
    }
    return `${e.address} ${names.join(' ')}\n`
  }).join('')
}

/**
 * On macOS, the line for loopback addresses that are not configured (bind fails with
 * EADDRNOTAVAIL): the command that adds them, instead of an obscure bind error.
 */
export function missingAliasMessage(addresses: readonly string[]): string {
  const commands = addresses.map(a => `sudo ifconfig lo0 alias ${a} up`).join('; ')
  const these = addresses.length === 1 ? `${addresses[0]} is` : `${addresses.join(', ')} are`
  return `${these} not configured on lo0 (macOS routes only the loopback addresses aliased there); add ${addresses.length === 1 ? 'it' : 'them'} with: ${commands}`
}
