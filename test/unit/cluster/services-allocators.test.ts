// The clusterIP and nodePort allocators on their own.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {AllocationError, createAllocators, formatIP, parseCIDR, parseIP} from '../../cluster/services/index.ts'

function err(fn: () => unknown): string {
  try {
    fn()
  } catch (e) {
    assert.ok(e instanceof AllocationError)
    return `${e.kind}: ${e.message}`
  }
  return 'no error'
}

describe('clusterIP allocator (10.96.0.0/12)', () => {
  it('reserves, refuses a second reservation, releases', () => {
    const {clusterIPs} = createAllocators()
    clusterIPs.allocate('10.96.0.1')
    assert.equal(err(() => clusterIPs.allocate('10.96.0.1')), 'allocated: provided IP is already allocated')
    clusterIPs.release('10.96.0.1')
    clusterIPs.allocate('10.96.0.1')
  })
  it('knows its range', () => {
    const {clusterIPs} = createAllocators()
    assert.equal(err(() => clusterIPs.allocate('10.112.0.1')), 'notInRange: the provided network does not match the current range')
    assert.equal(err(() => clusterIPs.allocate('10.96.0.0')), 'notInRange: the provided IP (10.96.0.0) is not in the valid range. The range of valid IPs is 10.96.0.0/12')
    assert.equal(err(() => clusterIPs.allocate('fd00::1')), 'notInRange: the provided network does not match the current range')
    assert.equal(clusterIPs.max, 2 ** 20 - 2)
    assert.equal(clusterIPs.offset, 256)
  })
  it('releasing an unknown or out-of-range IP is a no-op', () => {
    const {clusterIPs} = createAllocators()
    clusterIPs.release('1.2.3.4')
    clusterIPs.release('10.96.3.3')
    assert.deepEqual(clusterIPs.allocated(), [])
  })
  it('allocates the upper band first, then the lower band, then reports a full range', () => {
    const {clusterIPs} = createAllocators({serviceCIDR: '10.0.0.0/27'})
    // /27: 32 addresses, 30 usable, 16 of them (offset 16 = max(16, 32/16)) in the lower band
    assert.equal(clusterIPs.offset, 16)
    const got: string[] = []
    for (let i = 0; i < 30; i++) got.push(clusterIPs.allocateNext())
    const last = (ip: string) => Number(ip.split('.')[3])
    assert.ok(got.slice(0, 14).every((ip) => last(ip) >= 17), `upper band first: ${got.slice(0, 14)}`)
    assert.ok(got.slice(14).every((ip) => last(ip) >= 1 && last(ip) <= 16))
    assert.equal(new Set(got).size, 30)
    assert.equal(err(() => clusterIPs.allocateNext()), 'full: range is full')
  })
  it('is reproducible for a given seed', () => {
    const a = createAllocators({seed: 7})
    const b = createAllocators({seed: 7})
    assert.equal(a.clusterIPs.allocateNext(), b.clusterIPs.allocateNext())
    assert.equal(a.nodePorts.allocateNext(), b.nodePorts.allocateNext())
  })
  it('dry runs only check the range', () => {
    const {clusterIPs} = createAllocators()
    clusterIPs.allocate('10.96.0.5')
    clusterIPs.allocate('10.96.0.5', true)
    assert.equal(err(() => clusterIPs.allocate('10.0.0.5', true)), 'notInRange: the provided network does not match the current range')
    assert.equal(clusterIPs.allocateNext(true), '10.96.0.0')
    assert.deepEqual(clusterIPs.allocated(), ['10.96.0.5'])
  })
  it('an IPv6 range keeps its broadcast address and caps the bitmap at 65536', () => {
    const {clusterIPs} = createAllocators({serviceCIDR: 'fd00:10:96::/112'})
    assert.equal(clusterIPs.family, 'IPv6')
    assert.equal(clusterIPs.max, 65535)
    clusterIPs.allocate('fd00:10:96::ffff')
    assert.ok(clusterIPs.has('fd00:10:96:0:0:0:0:ffff'))
  })
})

describe('nodePort allocator (30000-32767)', () => {
  it('reserves, refuses, releases', () => {
    const {nodePorts} = createAllocators()
    nodePorts.allocate(30000)
    nodePorts.allocate(32767)
    assert.equal(err(() => nodePorts.allocate(30000)), 'allocated: provided port is already allocated')
    assert.equal(err(() => nodePorts.allocate(29999)), 'notInRange: provided port is not in the valid range. The range of valid ports is 30000-32767')
    assert.equal(err(() => nodePorts.allocate(32768)), 'notInRange: provided port is not in the valid range. The range of valid ports is 30000-32767')
    nodePorts.release(30000)
    assert.deepEqual(nodePorts.allocated(), [32767])
  })
  it('dynamic ports avoid the lower band (30000-30085) while the upper one has room', () => {
    const {nodePorts} = createAllocators()
    assert.equal(nodePorts.offset, 86)
    for (let i = 0; i < 200; i++) assert.ok(nodePorts.allocateNext() >= 30086)
  })
  it('a custom range, filled up', () => {
    const {nodePorts} = createAllocators({nodePortRange: '40000-40009'})
    assert.equal(nodePorts.rangeText, '40000-40009')
    const got = new Set<number>()
    for (let i = 0; i < 10; i++) got.add(nodePorts.allocateNext())
    assert.equal(got.size, 10)
    assert.equal(err(() => nodePorts.allocateNext()), 'full: range is full')
  })
})

describe('IP parsing (ParseIPSloppy)', () => {
  const cases: Array<[string, string | undefined]> = [
    ['10.96.0.1', '10.96.0.1'],
    ['010.096.000.001', '10.96.0.1'],
    ['256.1.1.1', undefined],
    ['1.2.3', undefined],
    ['fd00:0:0::1', 'fd00::1'],
    ['::ffff:10.1.2.3', '10.1.2.3'],
    ['2001:db8::1:0:0:1', '2001:db8::1:0:0:1'],
    ['fe80::1%eth0', undefined],
    ['', undefined],
    ['x', undefined],
  ]
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => {
      const ip = parseIP(input)
      assert.equal(ip ? formatIP(ip) : undefined, want)
    })
  }
  it('CIDRs are masked', () => {
    assert.equal(parseCIDR('10.96.1.1/12')?.text, '10.96.0.0/12')
    assert.equal(parseCIDR('10.96.0.0/33'), undefined)
    assert.equal(parseCIDR('fd00::1/64')?.text, 'fd00::/64')
  })
})
