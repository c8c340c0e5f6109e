// ClusterIP and NodePort allocators, after k8s.io/kubernetes pkg/registry/core/service/ipallocator
// (bitmap.go, ipallocator.go) and portallocator (allocator.go, operation.go).
//
// Both ranges are split in two bands (KEP-3070 / KEP-3668): dynamic allocation starts at a random point of
// the upper band and scans forward, falling back to the lower band, which is thereby kept for static
// (user-chosen) values. The "random" point comes from a seeded generator so runs are reproducible.

import {cidrContains, formatIP, parseCIDR, parseIP, type Family, type ParsedCIDR} from './ip.ts'

export type AllocationErrorKind = 'notInRange' | 'allocated' | 'full'

/** An allocator refusal; `message` is the Go error text (ErrNotInRange, ErrAllocated, ErrFull). */
export class AllocationError extends Error {
  readonly kind: AllocationErrorKind
  constructor(kind: AllocationErrorKind, message: string) {
    super(message)
    this.name = 'AllocationError'
    this.kind = kind
  }
}

/** mulberry32: a small seeded PRNG. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Scans [lo, hi) starting at a random point, wrapping; returns the first offset `free` accepts. */
function scanFrom(lo: number, hi: number, rand: () => number, free: (o: number) => boolean): number | undefined {
  const n = hi - lo
  if (n <= 0) return undefined
  const start = Math.floor(rand() * n)
  for (let i = 0; i < n; i++) {
    const o = lo + ((start + i) % n)
    if (free(o)) return o
  }
  return undefined
}

/** calculateRangeOffset: min(max(lo, size/step), hi), 0 for tiny ranges. */
function rangeOffset(size: number, lo: number, hi: number, step: number): number {
  if (size <= lo) return 0
  const o = Math.floor(size / step)
  return Math.min(Math.max(o, lo), hi)
}

export class IPAllocator {
  readonly cidr: ParsedCIDR
  readonly family: Family
  /** Usable addresses: the network address (and the IPv4 broadcast address) are never handed out. */
  readonly max: number
  readonly offset: number
  private readonly first: bigint
  private readonly used = new Set<number>()
  private readonly rand: () => number

  constructor(cidrText: string, rand: () => number) {
    const cidr = parseCIDR(cidrText)
    if (!cidr) throw new Error(`invalid service CIDR ${cidrText}`)
    this.cidr = cidr
    this.family = cidr.family
    let max = cidr.size > 1n << 40n ? 1 << 30 : Number(cidr.size)
    if (cidr.family === 'IPv6') max = Math.min(max, 65536)
    else max--
    max--
    this.max = Math.max(0, max)
    this.first = cidr.base + 1n
    this.offset = rangeOffset(Number(cidr.size > 1n << 40n ? 1n << 40n : cidr.size), 16, 256, 16)
    this.rand = rand
  }

  /** The offset of an address inside the usable range, or undefined when it is outside. */
  private offsetOf(ipText: string): number | undefined {
    const ip = parseIP(ipText)
    if (!ip || !cidrContains(this.cidr, ip)) return undefined
    const off = ip.value - this.first
    if (off < 0n || off >= BigInt(this.max)) return undefined
    return Number(off)
  }

  private notInRange(ipText: string): AllocationError {
    const ip = parseIP(ipText)
    const shown = ip ? formatIP(ip) : ipText
    return new AllocationError('notInRange', `the provided IP (${shown}) is not in the valid range. The range of valid IPs is ${this.cidr.text}`)
  }

  /** Reserves a given address. A dry run checks the range only (as the real dry-run allocator does). */
  allocate(ipText: string, dryRun = false): void {
    // An address outside every ServiceCIDR finds no allocator: ErrMismatchedNetwork
    // (pkg/registry/core/service/ipallocator/cidrallocator.go, MetaAllocator.getAllocator; the
    // MultiCIDRServiceAllocator is on by default since 1.33). Inside the range but not usable
    // (network or broadcast address): ErrNotInRange (ipallocator.go, Allocator.allocateService).
    const ip = parseIP(ipText)
    if (ip && !cidrContains(this.cidr, ip)) throw new AllocationError('notInRange', 'the provided network does not match the current range')
    const off = this.offsetOf(ipText)
    if (off === undefined) throw this.notInRange(ipText)
    if (dryRun) return
    if (this.used.has(off)) throw new AllocationError('allocated', 'provided IP is already allocated')
    this.used.add(off)
  }

  /** Picks a free address. A dry run does not look for one and answers the network address, like the real one. */
  allocateNext(dryRun = false): string {
    if (dryRun) return formatIP({family: this.family, value: this.cidr.base})
    const free = (o: number) => !this.used.has(o)
    let off = scanFrom(this.offset, this.max, this.rand, free)
    if (off === undefined && this.offset !== 0) off = scanFrom(0, Math.min(this.offset, this.max), this.rand, free)
    if (off === undefined) throw new AllocationError('full', 'range is full')
    this.used.add(off)
    return formatIP({family: this.family, value: this.first + BigInt(off)})
  }

  /** Releasing an address that is not allocated or not in the range is a no-op. */
  release(ipText: string): void {
    const off = this.offsetOf(ipText)
    if (off !== undefined) this.used.delete(off)
  }

  has(ipText: string): boolean {
    const off = this.offsetOf(ipText)
    return off !== undefined && this.used.has(off)
  }

  /** The allocated addresses, in address order. */
  allocated(): string[] {
    return [...this.used].sort((a, b) => a - b).map((o) => formatIP({family: this.family, value: this.first + BigInt(o)}))
  }

  free(): number {
    return this.max - this.used.size
  }
}

export class PortAllocator {
  readonly base: number
  readonly size: number
  readonly offset: number
  private readonly used = new Set<number>()
  private readonly rand: () => number

  constructor(base: number, size: number, rand: () => number) {
    this.base = base
    this.size = size
    this.offset = rangeOffset(size, 16, 128, 32)
    this.rand = rand
  }

  /** net.PortRange.String(): "30000-32767". */
  get rangeText(): string {
    return `${this.base}-${this.base + this.size - 1}`
  }

  contains(port: number): boolean {
    return Number.isInteger(port) && port >= this.base && port < this.base + this.size
  }

  allocate(port: number): void {
    if (!this.contains(port)) {
      throw new AllocationError('notInRange', `provided port is not in the valid range. The range of valid ports is ${this.rangeText}`)
    }
    if (this.used.has(port)) throw new AllocationError('allocated', 'provided port is already allocated')
    this.used.add(port)
  }

  allocateNext(): number {
    const free = (o: number) => !this.used.has(this.base + o)
    let off = scanFrom(this.offset, this.size, this.rand, free)
    if (off === undefined && this.offset !== 0) off = scanFrom(0, Math.min(this.offset, this.size), this.rand, free)
    if (off === undefined) throw new AllocationError('full', 'range is full')
    this.used.add(this.base + off)
    return this.base + off
  }

  release(port: number): void {
    this.used.delete(port)
  }

  has(port: number): boolean {
    return this.contains(port) && this.used.has(port)
  }

  allocated(): number[] {
    return [...this.used].sort((a, b) => a - b)
  }

  free(): number {
    return this.size - this.used.size
  }
}

/**
 * portallocator.PortAllocationOperation: allocations happen at once (and are undone by rollback), releases are
 * deferred to commit. In dry-run mode nothing touches the allocator: Allocate only checks Has() and the
 * operation's own list (so an out-of-range port passes), and AllocateNext hands out 32769, 32770, ...
 */
export class PortOperation {
  private readonly pa: PortAllocator
  private readonly dryRun: boolean
  private readonly allocatedPorts: number[] = []
  private readonly releaseDeferred: number[] = []
  private done = false

  constructor(pa: PortAllocator, dryRun: boolean) {
    this.pa = pa
    this.dryRun = dryRun
  }

  allocate(port: number): void {
    if (this.dryRun) {
      if (this.pa.has(port) || this.allocatedPorts.includes(port)) throw new AllocationError('allocated', 'provided port is already allocated')
      this.allocatedPorts.push(port)
      return
    }
    this.pa.allocate(port)
    this.allocatedPorts.push(port)
  }

  allocateNext(): number {
    if (this.dryRun) {
      let last = 0
      for (const p of this.allocatedPorts) if (p > last) last = p
      if (this.allocatedPorts.length === 0) last = 32768
      this.allocatedPorts.push(last + 1)
      return last + 1
    }
    const port = this.pa.allocateNext()
    this.allocatedPorts.push(port)
    return port
  }

  releaseLater(port: number): void {
    this.releaseDeferred.push(port)
  }

  commit(): void {
    if (this.done) return
    this.done = true
    if (this.dryRun) return
    for (const p of this.releaseDeferred) this.pa.release(p)
  }

  rollback(): void {
    if (this.done) return
    this.done = true
    if (this.dryRun) return
    for (const p of this.allocatedPorts) this.pa.release(p)
  }
}

export interface AllocatorOptions {
  /** --service-cluster-ip-range; default 10.96.0.0/12 (kind and kubeadm). */
  serviceCIDR?: string
  /** --service-node-port-range; default 30000-32767. */
  nodePortRange?: string
  /** Seed of the generator that picks where dynamic allocation starts. */
  seed?: number
}

export interface Allocators {
  /** The clusterIP allocator of the (single-stack) primary family. */
  readonly clusterIPs: IPAllocator
  /** The nodePort (and healthCheckNodePort) allocator. */
  readonly nodePorts: PortAllocator
  /** The families this cluster serves, primary first. */
  readonly families: Family[]
  /** The seeded generator behind dynamic allocation and generated names. */
  readonly random: () => number
}

export function createAllocators(options: AllocatorOptions = {}): Allocators {
  const rand = seededRandom(options.seed ?? 0x5eed)
  const clusterIPs = new IPAllocator(options.serviceCIDR ?? '10.96.0.0/12', rand)
  const m = /^(\d+)-(\d+)$/.exec(options.nodePortRange ?? '30000-32767')
  if (!m || Number(m[2]) < Number(m[1])) throw new Error(`invalid node port range ${options.nodePortRange}`)
  const nodePorts = new PortAllocator(Number(m[1]), Number(m[2]) - Number(m[1]) + 1, rand)
  return {clusterIPs, nodePorts, families: [clusterIPs.family], random: rand}
}
