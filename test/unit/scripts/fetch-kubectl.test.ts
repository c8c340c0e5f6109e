import {test} from 'node:test'
import assert from 'node:assert/strict'
import {crc32, deflateRawSync} from 'node:zlib'

import {extractFromZip, readTar} from '../../../scripts/fetch-kubectl.ts'

function tarHeader(name: string, size: number, type = '0'): Buffer {
  const h = Buffer.alloc(512)
  h.write(name.slice(0, 100), 0)
  h.write(size.toString(8).padStart(11, '0') + '\0', 124)
  h.write(type, 156)
  h.write('ustar\0', 257)
  return h
}
function tarEntry(name: string, data: Buffer, type = '0'): Buffer {
  const pad = Buffer.alloc((512 - (data.length % 512)) % 512)
  return Buffer.concat([tarHeader(name, data.length, type), data, pad])
}

test('readTar: regular files, pax long names, end blocks', () => {
  const long = 'package/' + 'x'.repeat(120) + '/file.txt'
  const pax = Buffer.from(`${(' path=' + long + '\n').length + 3} path=${long}\n`)
  const tar = Buffer.concat([
    tarEntry('package/a.txt', Buffer.from('hello')),
    tarEntry('package/dir', Buffer.alloc(0), '5'),
    tarEntry('PaxHeader', pax, 'x'),
    tarEntry('ignored-short-name', Buffer.from('long one')),
    Buffer.alloc(1024),
  ])
  const entries = readTar(tar)
  assert.deepEqual(entries.map((e) => [e.name, e.data.toString()]), [['package/a.txt', 'hello'], [long, 'long one']])
})

interface ZipEntry {name: string; data: Buffer; method: 0 | 8}
function zip(entries: ZipEntry[]): Buffer {
  const locals: Buffer[] = []
  const central: Buffer[] = []
  let offset = 0
  for (const e of entries) {
    const body = e.method === 8 ? deflateRawSync(e.data) : e.data
    const name = Buffer.from(e.name)
    const local = Buffer.alloc(30)
    local.writeUInt32LE(0x04034b50, 0)
    local.writeUInt16LE(e.method, 8)
    local.writeUInt32LE(crc32(e.data) >>> 0, 14)
    local.writeUInt32LE(body.length, 18)
    local.writeUInt32LE(e.data.length, 22)
    local.writeUInt16LE(name.length, 26)
    const cd = Buffer.alloc(46)
    cd.writeUInt32LE(0x02014b50, 0)
    cd.writeUInt16LE(e.method, 10)
    cd.writeUInt32LE(crc32(e.data) >>> 0, 16)
    cd.writeUInt32LE(body.length, 20)
    cd.writeUInt32LE(e.data.length, 24)
    cd.writeUInt16LE(name.length, 28)
    cd.writeUInt32LE(offset, 42)
    locals.push(local, name, body)
    central.push(cd, name)
    offset += 30 + name.length + body.length
  }
  const cdBuf = Buffer.concat(central)
  const eocd = Buffer.alloc(22)
  eocd.writeUInt32LE(0x06054b50, 0)
  eocd.writeUInt16LE(entries.length, 8)
  eocd.writeUInt16LE(entries.length, 10)
  eocd.writeUInt32LE(cdBuf.length, 12)
  eocd.writeUInt32LE(offset, 16)
  return Buffer.concat([...locals, cdBuf, eocd])
}

test('extractFromZip: deflated and stored entries through the central directory', () => {
  const binary = Buffer.alloc(200_000, 7)
  const z = zip([
    {name: 'helm/', data: Buffer.alloc(0), method: 0},
    {name: 'helm/helm', data: Buffer.from('not this one'), method: 8},
    {name: 'kubectl/kubectl', data: binary, method: 8},
    {name: 'README', data: Buffer.from('stored'), method: 0},
  ])
  assert.ok(extractFromZip(z, 'kubectl/kubectl').equals(binary))
  assert.equal(extractFromZip(z, 'README').toString(), 'stored')
  assert.throws(() => extractFromZip(z, 'kubectl/missing'), /kubectl\/missing not found in zip archive/)
})

test('extractFromZip: a corrupted entry fails its CRC check', () => {
  const z = zip([{name: 'f', data: Buffer.from('abcdef'), method: 0}])
  z[30 + 1 + 2] ^= 0xff
  assert.throws(() => extractFromZip(z, 'f'), /CRC mismatch/)
  assert.throws(() => extractFromZip(Buffer.from('nope'.repeat(10)), 'f'), /no end of central directory/)
})
