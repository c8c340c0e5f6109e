import assert from 'node:assert/strict'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {describe, it} from 'node:test'

import {canonicalAddress, connectionKey, isLoopback, orphanedAmong, parseProcEndpoint, ProcPeerWatch, scanFile, TableTooLarge} from '../../../src/portforward/peer-gone.ts'
import {until} from '../../helpers/poll.ts'

describe('canonicalAddress: one form for every way Node writes an address', () => {
  const table: Array<[string, string | undefined]> = [
    ['127.0.0.1', '7f000001'],
    ['10.1.2.254', '0a0102fe'],
    ['::ffff:127.0.0.1', '7f000001'],
    ['::FFFF:7f00:1', '7f000001'],
    ['::1', '00000000000000000000000000000001'],
    ['::', '00000000000000000000000000000000'],
    ['fe80::1%lo', 'fe800000000000000000000000000001'],
    ['2001:db8:0:0:0:0:0:1', '20010db8000000000000000000000001'],
    ['2001:db8::1:0:0:1', '20010db8000000000001000000000001'],
    ['256.0.0.1', undefined],
    ['1.2.3', undefined],
    ['1::2::3', undefined],
    ['1:2:3:4:5:6:7', undefined],
    ['1:2:3:4:5:6:7:8:9', undefined],
    ['localhost', undefined],
  ]
  for (const [text, canonical] of table) it(`${text} -> ${canonical}`, () => assert.equal(canonicalAddress(text), canonical))
})

describe('isLoopback', () => {
  const table: Array<[string, boolean]> = [['127.0.0.1', true], ['127.3.4.5', true], ['::ffff:127.0.0.1', true], ['::1', true], ['10.0.0.1', false], ['::2', false], ['::', false]]
  for (const [text, loopback] of table) it(`${text}: ${loopback}`, () => assert.equal(isLoopback(canonicalAddress(text)!), loopback))
})

describe('parseProcEndpoint: /proc/net/tcp addresses are 32-bit words in host order', () => {
  const table: Array<[string, boolean, string | undefined]> = [
    ['0100007F:AC1B', true, '7f000001:44059'],
    ['7F000001:0050', false, '7f000001:80'],
    ['00000000000000000000000001000000:86A7', true, '00000000000000000000000000000001:34471'],
    ['0000000000000000FFFF00000100007F:8F81', true, '7f000001:36737'],
    ['B80D0120000000000000000001000000:0016', true, '20010db8000000000000000000000001:22'],
    ['0100007F', true, undefined],
    ['0100007F:1', true, undefined],
    ['0100007G:0050', true, undefined],
  ]
  for (const [field, le, parsed] of table) it(`${field} (${le ? 'LE' : 'BE'})`, () => assert.equal(parseProcEndpoint(field, le), parsed))
})

// Lines as Linux 6.x prints them (captured on loopback: a listener, a client that only shut down
// its writing, one that closed, and svc's accepted ends).
const TCP = `  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 0100007F:AC1B 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 35261182 1 0000000000000000 100 0 0 10 0
   1: 0100007F:8B5C 0100007F:AC1B 05 00000000:00000000 00:00000000 00000000  1000        0 35261183 1 0000000000000000 20 4 30 10 -1
   2: 0100007F:EBEE 0100007F:AC1B 05 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000 20 4 30 10 -1
   3: 0100007F:EBEF 0100007F:AC1B 06 00000000:00000000 03:00000F8C 00000000     0        0 0 3 0000000000000000
   4: 0100007F:EBF0 0100007F:AC1B 04 00000001:00000000 01:00000014 00000000     0        0 0 3 0000000000000000 20 4 30 10 -1
   5: 0100007F:AC1B 0100007F:EBEE 08 00000000:00000000 00:00000000 00000000  1000        0 35261188 1 0000000000000000 20 4 30 10 -1
`
const TCP6 = `  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode
   0: 00000000000000000000000001000000:DA48 00000000000000000000000001000000:B3E9 05 00000000:00000000 00:00000000 00000000     0        0 0 3 0000000000000000 20 4 30 10 -1
   1: 00000000000000000000000001000000:DA49 00000000000000000000000001000000:B3E9 05 00000000:00000000 00:00000000 00000000  1000        0 35261190 1 0000000000000000 20 4 30 10 -1
`

describe('orphanedAmong: which of the wanted clients have closed their socket', () => {
  const key = (client: string, cport: number, server: string, sport: number) => connectionKey({address: client, port: cport}, {address: server, port: sport})!
  const closed = key('127.0.0.1', 0xeb_ee, '127.0.0.1', 0xac_1b)
  const halfClosed = key('127.0.0.1', 0x8b_5c, '127.0.0.1', 0xac_1b)
  const timeWait = key('127.0.0.1', 0xeb_ef, '127.0.0.1', 0xac_1b)
  const finWait1 = key('::ffff:127.0.0.1', 0xeb_f0, '::ffff:127.0.0.1', 0xac_1b)
  const closed6 = key('::1', 0xda_48, '::1', 0xb3_e9)
  const halfClosed6 = key('::1', 0xda_49, '::1', 0xb3_e9)
  const absent = key('127.0.0.1', 1, '127.0.0.1', 0xac_1b)
  const all = new Set([closed, halfClosed, timeWait, finWait1, closed6, halfClosed6, absent])
  it('IPv4: FIN_WAIT2 and FIN_WAIT1 with inode 0 (seen from a dual-stack listener too); not a half-close, TIME_WAIT or an absent line', () => {
    assert.deepEqual(orphanedAmong(TCP, all, true), new Set([closed, finWait1]))
  })
  it('IPv6', () => assert.deepEqual(orphanedAmong(TCP6, all, true), new Set([closed6])))
  it('only the wanted keys', () => assert.deepEqual(orphanedAmong(TCP + TCP6, new Set([closed6]), true), new Set([closed6])))
  it('svc\'s own accepted end (the reversed key) is not the client\'s', () => {
    assert.deepEqual(orphanedAmong(TCP, new Set([key('127.0.0.1', 0xac_1b, '127.0.0.1', 0xeb_ee)]), true), new Set())
  })
  it('lines split anywhere across reads: each whole line is judged once', () => {
    const found = new Set<string>()
    const text = TCP + TCP6
    const cut = text.indexOf('0100007F:EBEE') + 5
    const first = text.slice(0, text.lastIndexOf('\n', cut) + 1)
    orphanedAmong(first, all, true, found)
    orphanedAmong(text.slice(first.length), all, true, found)
    assert.deepEqual(found, new Set([closed, finWait1, closed6]))
  })
  it('a table of many TIME_WAIT lines is scanned without splitting them', () => {
    const timeWaitLine = TCP.split('\n')[4]
    assert.deepEqual(orphanedAmong(`${timeWaitLine}\n`.repeat(20_000) + TCP, all, true), new Set([closed, finWait1]))
  })
  it('garbage and short lines are skipped', () => assert.deepEqual(orphanedAmong('x\n\n1: 2 3\n', all, true), new Set()))
})

describe('ProcPeerWatch: a few shared reads while connections linger', () => {
  const client = {address: '127.0.0.1', port: 0xeb_ee}
  const server = {address: '127.0.0.1', port: 0xac_1b}

  it('a closed client is reported once; a half-closed one is checked at each delay, then no more', async () => {
    let reads = 0
    const watch = new ProcPeerWatch(async keys => {
      reads++
      return orphanedAmong(TCP, keys, true)
    }, [5, 20, 40], 1)
    const gone: string[] = []
    assert.ok(watch.watch(client, server, () => gone.push('closed')))
    assert.ok(watch.watch({address: '127.0.0.1', port: 0x8b_5c}, server, () => gone.push('half-closed')))
    await until(() => gone.length === 1, 'the closed client to be reported', {intervalMs: 2})
    await until(() => reads >= 3, 'the later checks', {intervalMs: 2})
    await new Promise(r => setTimeout(r, 80))
    assert.deepEqual(gone, ['closed'])
    assert.equal(reads, 3, 'one read per delay of the half-closed client, then no more')
  })

  it('one read serves every connection due, and reads are at least minGap apart', async () => {
    const times: number[] = []
    const watch = new ProcPeerWatch(async () => {
      times.push(performance.now())
      return new Set()
    }, [1], 30)
    for (let port = 1; port <= 50; port++) watch.watch({address: '127.0.0.1', port}, server, () => {})
    await until(() => times.length === 1, 'the first read', {intervalMs: 2})
    watch.watch({address: '127.0.0.1', port: 99}, server, () => {})
    await until(() => times.length === 2, 'the second read', {intervalMs: 2})
    // (A timer may fire a millisecond or so before its time by performance.now().)
    assert.ok(times[1] - times[0] >= 27, `reads ${times[1] - times[0]} ms apart`)
  })

  it('clients off loopback, or with no address, are not watched', () => {
    const watch = new ProcPeerWatch(async keys => orphanedAmong(TCP, keys, true), [1], 1)
    assert.equal(watch.watch({address: '10.0.0.5', port: 1}, server, () => {}), undefined)
    assert.equal(watch.watch({address: 'nonsense', port: 1}, server, () => {}), undefined)
  })

  it('a table that cannot be read: no answer, and no further attempts', async () => {
    let reads = 0
    const watch = new ProcPeerWatch(async () => {
      reads++
      throw Object.assign(new Error('no /proc'), {code: 'ENOENT'})
    }, [1, 2], 1)
    let gone = false
    assert.ok(watch.watch(client, server, () => (gone = true)))
    await until(() => reads === 1, 'the read', {intervalMs: 2})
    await new Promise(r => setTimeout(r, 20))
    assert.equal(gone, false)
    assert.equal(watch.watch(client, server, () => (gone = true)), undefined)
    assert.equal(reads, 1)
  })

  it('a cancelled watch is not reported', async () => {
    let reads = 0
    const watch = new ProcPeerWatch(async keys => {
      reads++
      return orphanedAmong(TCP, keys, true)
    }, [5], 1)
    let gone = false
    watch.watch(client, server, () => (gone = true))?.()
    await new Promise(r => setTimeout(r, 30))
    assert.equal(gone, false)
    assert.equal(reads, 0)
  })
})

describe('scanFile', () => {
  const header = '  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n'
  // The client 127.0.0.1:40000 -> 127.0.0.1:8080 in FIN_WAIT2 with no inode: an orphan.
  const orphan = '   0: 0100007F:9C40 0100007F:1F90 05 00000000:00000000 00:00000000 00000000  1000        0 0 1 0000000000000000 20 4 0 10 -1\n'
  const key = connectionKey({address: '127.0.0.1', port: 40000}, {address: '127.0.0.1', port: 8080})!

  it('finds an orphan in a table within the limit, and refuses one beyond it', t => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-tcp-'))
    t.after(() => fs.rmSync(dir, {force: true, recursive: true}))
    const file = path.join(dir, 'tcp')
    fs.writeFileSync(file, header + orphan)
    const found = new Set<string>()
    scanFile(file, new Set([key]), found)
    assert.deepEqual([...found], [key])
    assert.throws(() => scanFile(file, new Set([key]), new Set(), header.length), TableTooLarge)
  })
})
