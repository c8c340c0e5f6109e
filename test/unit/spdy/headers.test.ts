import {test} from 'node:test'
import assert from 'node:assert/strict'
import {inflateSync} from 'node:zlib'
import {SPDY3_DICTIONARY} from '../../../src/spdy/dictionary.ts'
import {FrameParser} from '../../../src/spdy/frames.ts'
import {decodeHeaderBlock, encodeHeaderBlock, HeaderBlockError, HeaderCompressor, HeaderDecompressor, headerValue} from '../../../src/spdy/headers.ts'
import type {SpdyHeaders} from '../../../src/spdy/headers.ts'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

const PLAIN: Array<{name: string; headers: SpdyHeaders; bytes: string}> = [
  {name: 'empty (the SYN_REPLY kubelet sends)', headers: {}, bytes: '00000000'},
  {name: 'one header', headers: {port: ['80']}, bytes: '00000001 00000004 706f7274 00000002 3830'},
  {
    name: 'two values joined by NUL',
    headers: {a: ['x', 'yz']},
    bytes: '00000001 00000001 61 00000004 7800797a',
  },
  {
    name: 'kubectl data stream headers',
    headers: {streamtype: ['data'], port: ['8080'], requestid: ['0']},
    bytes:
      '00000003' +
      '0000000a 73747265616d74797065 00000004 64617461' +
      '00000004 706f7274 00000004 38303830' +
      '00000009 726571756573746964 00000001 30',
  },
]

for (const {name, headers, bytes} of PLAIN) {
  test(`plain header block: ${name}`, () => {
    assert.equal(encodeHeaderBlock(headers).toString('hex'), hex(bytes).toString('hex'))
    assert.deepEqual(decodeHeaderBlock(hex(bytes)), headers)
  })
}

test('names are lower-cased on the wire, as the Go framer does', () => {
  assert.deepEqual(decodeHeaderBlock(encodeHeaderBlock({StreamType: ['error'], 'X-Thing': ['1']})), {streamtype: ['error'], 'x-thing': ['1']})
  assert.equal(headerValue({streamtype: ['error']}, 'StreamType'), 'error')
})

const BROKEN: Array<{name: string; bytes: string; message: RegExp}> = [
  {name: 'no count', bytes: '0000', message: /truncated reading the header count/},
  {name: 'count larger than the block', bytes: '00000002 00000001 61 00000001 62', message: /truncated reading a name length/},
  {name: 'value cut short', bytes: '00000001 00000001 61 00000005 62', message: /truncated reading a value/},
  {name: 'huge length field', bytes: '00000001 ffffffff 61', message: /truncated reading a name/},
  {name: 'empty name', bytes: '00000001 00000000 00000001 62', message: /empty header name/},
  {name: 'upper-case name', bytes: '00000001 00000001 41 00000001 62', message: /not lower-case/},
  {name: 'duplicate name', bytes: '00000002 00000001 61 00000001 62 00000001 61 00000001 63', message: /duplicate header "a"/},
  {name: 'trailing bytes', bytes: '00000000 00', message: /1 bytes after the last header/},
]
for (const {name, bytes, message} of BROKEN) {
  test(`plain header block rejects ${name}`, () => {
    assert.throws(() => decodeHeaderBlock(hex(bytes)), (err: Error) => err instanceof HeaderBlockError && message.test(err.message))
  })
}

test('compressed blocks round-trip through one context per direction, in order', async () => {
  const tx = new HeaderCompressor()
  const rx = new HeaderDecompressor()
  const blocks: SpdyHeaders[] = []
  for (let i = 0; i < 50; i++) blocks.push({streamtype: [i % 2 ? 'data' : 'error'], port: ['80'], requestid: [String(i >> 1)]})
  blocks.push({})
  // Queue all compressions before awaiting any: the order must still hold.
  const compressed = await Promise.all(blocks.map((h) => tx.compress(h)))
  const decoded = []
  for (const c of compressed) decoded.push(await rx.decompress(c))
  assert.deepEqual(decoded, blocks)
  tx.close()
  rx.close()
})

test('the context is shared: later blocks reuse earlier history and cannot be read alone', async () => {
  const tx = new HeaderCompressor()
  const h = {streamtype: ['data'], port: ['31337'], requestid: ['12345']}
  const first = await tx.compress(h)
  const second = await tx.compress(h)
  assert.ok(second.length < first.length, `second block ${second.length} bytes, first ${first.length}`)
  // A fresh inflater cannot decode the second block: it has no zlib header and refers back.
  const fresh = new HeaderDecompressor()
  await assert.rejects(fresh.decompress(second))
  fresh.close()
  tx.close()
})

test('the first block is a zlib stream primed with the SPDY/3 dictionary', async () => {
  const tx = new HeaderCompressor()
  const block = await tx.compress({port: ['80']})
  // zlib header: CMF 0x78, FLG with FDICT (0x20), then the dictionary's Adler-32.
  assert.equal(block[0], 0x78)
  assert.ok(block[1] & 0x20)
  const adler = block.readUInt32BE(2)
  assert.equal(adler, adler32(SPDY3_DICTIONARY))
  // A sync-flushed block ends with the empty stored block 00 00 ff ff.
  assert.equal(block.subarray(-4).toString('hex'), '0000ffff')
  assert.deepEqual(decodeHeaderBlock(inflateSync(block, {dictionary: SPDY3_DICTIONARY, finishFlush: 2})), {port: ['80']})
  tx.close()
})

test('a corrupt block fails the decompressor and every later call', async () => {
  const rx = new HeaderDecompressor()
  await assert.rejects(rx.decompress(hex('78bb deadbeef 0000ffff')))
  await assert.rejects(rx.decompress(hex('00')))
  rx.close()
})

function adler32(buf: Buffer): number {
  let a = 1
  let b = 0
  for (const byte of buf) {
    a = (a + byte) % 65521
    b = (b + a) % 65521
  }
  return ((b << 16) | a) >>> 0
}

// The first frame real kubectl 1.35.2 sent after `Upgrade: SPDY/3.1` (recorded from
// `kubectl port-forward pod/web-0 18111:80` on the first local connection).
const KUBECTL_SYN_STREAM =
  '800300010000003d0000000100000000000078f9e3c6a7c202253a703a2b294a4dcc851625aca9a0808614cb45a024cc6461c0c0c0c0590489c44c50e2663400000000ffff'

test('a SYN_STREAM recorded from kubectl decodes with our dictionary and context', async () => {
  const frames = new FrameParser().push(Buffer.from(KUBECTL_SYN_STREAM, 'hex'))
  assert.equal(frames.length, 1)
  const f = frames[0]
  assert.equal(f.type, 'syn_stream')
  if (f.type !== 'syn_stream') return
  assert.deepEqual([f.streamId, f.associatedId, f.priority, f.fin, f.unidirectional], [1, 0, 0, false, false])
  // zlib header: FDICT with the Adler-32 of the dictionary kubectl used.
  assert.equal(f.headerBlock.readUInt32BE(2), adler32(SPDY3_DICTIONARY))
  assert.equal(adler32(SPDY3_DICTIONARY), 0xe3c6a7c2)
  const rx = new HeaderDecompressor()
  const headers = await rx.decompress(f.headerBlock)
  rx.close()
  assert.deepEqual(Object.fromEntries(Object.entries(headers).sort()), {port: ['80'], requestid: ['0'], streamtype: ['error']})
})
