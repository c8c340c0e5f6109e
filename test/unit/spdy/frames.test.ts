import {test} from 'node:test'
import assert from 'node:assert/strict'
import {createHash} from 'node:crypto'
import {SPDY3_DICTIONARY} from '../../../src/spdy/dictionary.ts'
import {encodeFrame, FrameError, FrameParser, MAX_FRAME_PAYLOAD, RstStatus} from '../../../src/spdy/frames.ts'
import type {Frame} from '../../../src/spdy/frames.ts'

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex')

// Golden bytes written out by hand from the SPDY/3 frame layout.
const GOLDEN: Array<{name: string; frame: Frame; bytes: string}> = [
  {name: 'DATA with payload', frame: {type: 'data', streamId: 3, fin: false, data: Buffer.from('hi')}, bytes: '00000003 00 000002 6869'},
  {name: 'DATA FIN, empty', frame: {type: 'data', streamId: 1, fin: true, data: Buffer.alloc(0)}, bytes: '00000001 01 000000'},
  {name: 'DATA on the largest stream id', frame: {type: 'data', streamId: 0x7fffffff, fin: true, data: Buffer.from([0])}, bytes: '7fffffff 01 000001 00'},
  {
    name: 'SYN_STREAM',
    frame: {type: 'syn_stream', streamId: 1, associatedId: 0, priority: 0, slot: 0, fin: false, unidirectional: false, headerBlock: hex('aabb')},
    bytes: '8003 0001 00 00000c 00000001 00000000 00 00 aabb',
  },
  {
    name: 'SYN_STREAM priority 7, FIN + UNIDIRECTIONAL',
    frame: {type: 'syn_stream', streamId: 5, associatedId: 3, priority: 7, slot: 2, fin: true, unidirectional: true, headerBlock: Buffer.alloc(0)},
    bytes: '8003 0001 03 00000a 00000005 00000003 e0 02',
  },
  {name: 'SYN_REPLY', frame: {type: 'syn_reply', streamId: 1, fin: false, headerBlock: hex('01')}, bytes: '8003 0002 00 000005 00000001 01'},
  {name: 'SYN_REPLY FIN', frame: {type: 'syn_reply', streamId: 7, fin: true, headerBlock: Buffer.alloc(0)}, bytes: '8003 0002 01 000004 00000007'},
  {name: 'RST_STREAM CANCEL', frame: {type: 'rst_stream', streamId: 3, status: RstStatus.CANCEL}, bytes: '8003 0003 00 000008 00000003 00000005'},
  {name: 'RST_STREAM REFUSED', frame: {type: 'rst_stream', streamId: 9, status: RstStatus.REFUSED_STREAM}, bytes: '8003 0003 00 000008 00000009 00000003'},
  {
    name: 'SETTINGS one entry',
    frame: {type: 'settings', clear: false, entries: [{id: 7, flags: 1, value: 0x10000}]},
    bytes: '8003 0004 00 00000c 00000001 01000007 00010000',
  },
  {name: 'SETTINGS clear, none', frame: {type: 'settings', clear: true, entries: []}, bytes: '8003 0004 01 000004 00000000'},
  {name: 'PING', frame: {type: 'ping', id: 1}, bytes: '8003 0006 00 000004 00000001'},
  {name: 'PING large id', frame: {type: 'ping', id: 0xfffffffe}, bytes: '8003 0006 00 000004 fffffffe'},
  {name: 'GOAWAY OK', frame: {type: 'goaway', lastGoodStreamId: 5, status: 0}, bytes: '8003 0007 00 000008 00000005 00000000'},
  {name: 'GOAWAY PROTOCOL_ERROR', frame: {type: 'goaway', lastGoodStreamId: 0, status: 1}, bytes: '8003 0007 00 000008 00000000 00000001'},
  {name: 'HEADERS FIN', frame: {type: 'headers', streamId: 5, fin: true, headerBlock: hex('ff')}, bytes: '8003 0008 01 000005 00000005 ff'},
  {name: 'WINDOW_UPDATE', frame: {type: 'window_update', streamId: 1, delta: 0x10000}, bytes: '8003 0009 00 000008 00000001 00010000'},
  {name: 'unknown control type', frame: {type: 'unknown', frameType: 0x0a, flags: 0, payload: hex('0102')}, bytes: '8003 000a 00 000002 0102'},
]

for (const {name, frame, bytes} of GOLDEN) {
  test(`encode ${name}`, () => {
    assert.equal(encodeFrame(frame).toString('hex'), hex(bytes).toString('hex'))
  })
  test(`decode ${name}`, () => {
    const frames = new FrameParser().push(hex(bytes))
    assert.deepEqual(frames, [frame])
  })
}

test('the parser reassembles frames split at every possible byte boundary', () => {
  const all = Buffer.concat(GOLDEN.map((g) => hex(g.bytes)))
  for (let cut = 0; cut <= all.length; cut++) {
    const parser = new FrameParser()
    const frames = [...parser.push(all.subarray(0, cut)), ...parser.push(all.subarray(cut))]
    assert.deepEqual(frames, GOLDEN.map((g) => g.frame), `cut at ${cut}`)
    assert.equal(parser.pending, 0)
  }
})

test('the parser takes one byte at a time (a tunnel that splits every frame)', () => {
  const all = Buffer.concat(GOLDEN.map((g) => hex(g.bytes)))
  const parser = new FrameParser()
  const frames: Frame[] = []
  for (const byte of all) frames.push(...parser.push(Buffer.from([byte])))
  assert.deepEqual(frames, GOLDEN.map((g) => g.frame))
})

test('the parser keeps a partial frame until the rest arrives', () => {
  const parser = new FrameParser()
  assert.deepEqual(parser.push(hex('00000003 00 000004 6162')), [])
  assert.equal(parser.pending, 10)
  assert.deepEqual(parser.push(hex('6364 8003 0006')), [{type: 'data', streamId: 3, fin: false, data: Buffer.from('abcd')}])
  assert.equal(parser.pending, 4)
})

/** The DATA bytes and FINs per stream, and the control frames, of a list of frames: what a reader sees. */
function reading(frames: Frame[]): {control: Frame[]; data: Record<number, {bytes: string; fin: boolean}>} {
  const data: Record<number, {bytes: string; fin: boolean}> = {}
  const control: Frame[] = []
  for (const f of frames) {
    if (f.type !== 'data') {
      control.push(f)
      continue
    }
    const d = (data[f.streamId] ??= {bytes: '', fin: false})
    assert.ok(!d.fin, `data after FIN on stream ${f.streamId}`)
    d.bytes += f.data.toString('hex')
    d.fin = f.fin
  }
  return {control, data}
}

test('streamData: DATA payloads come out as they arrive, cut anywhere, and read the same', () => {
  const extra = [
    {type: 'data', streamId: 5, fin: true, data: Buffer.from('0123456789')},
    {type: 'ping', id: 7},
    {type: 'data', streamId: 7, fin: false, data: Buffer.from('abc')},
  ] as Frame[]
  const all = Buffer.concat([...GOLDEN.map((g) => hex(g.bytes)), ...extra.map(f => encodeFrame(f))])
  const expected = reading([...GOLDEN.map((g) => g.frame), ...extra])
  for (let cut = 0; cut <= all.length; cut++) {
    const parser = new FrameParser({streamData: true})
    const frames = [...parser.push(all.subarray(0, cut)), ...parser.push(all.subarray(cut))]
    assert.deepEqual(reading(frames), expected, `cut at ${cut}`)
    assert.equal(parser.pending, 0)
  }
  const parser = new FrameParser({streamData: true})
  const frames: Frame[] = []
  for (const byte of all) frames.push(...parser.push(Buffer.from([byte])))
  assert.deepEqual(reading(frames), expected)
})

test('streamData: a payload is returned before its frame is complete, without holding it', () => {
  const parser = new FrameParser({streamData: true})
  assert.deepEqual(parser.push(hex('00000003 01 000004 6162')), [{type: 'data', streamId: 3, fin: false, data: Buffer.from('ab')}])
  assert.equal(parser.pending, 0)
  assert.deepEqual(parser.push(hex('6364 8003 0006')), [{type: 'data', streamId: 3, fin: true, data: Buffer.from('cd')}])
  assert.equal(parser.pending, 4)
})

const BAD: Array<{name: string; bytes: string; message: RegExp}> = [
  {name: 'SPDY/2 control frame', bytes: '8002 0006 00 000004 00000001', message: /unsupported SPDY version 2/},
  {name: 'DATA on stream 0', bytes: '00000000 00 000000', message: /stream 0/},
  {name: 'short RST_STREAM', bytes: '8003 0003 00 000004 00000001', message: /RST_STREAM frame too short/},
  {name: 'short SYN_STREAM', bytes: '8003 0001 00 000004 00000001', message: /SYN_STREAM frame too short/},
  {name: 'SETTINGS count mismatch', bytes: '8003 0004 00 000004 00000002', message: /SETTINGS frame with 2 entries/},
]
for (const {name, bytes, message} of BAD) {
  test(`the parser rejects ${name}`, () => {
    assert.throws(() => new FrameParser().push(hex(bytes)), (err: Error) => err instanceof FrameError && message.test(err.message))
  })
}

test('the parser bounds the frame it buffers', () => {
  const parser = new FrameParser({maxPayload: 1024})
  assert.throws(() => parser.push(hex('00000001 00 000401')), /exceeds the limit of 1024/)
  assert.equal(MAX_FRAME_PAYLOAD, 0xffffff)
})

test('encoding rejects invalid stream ids and priorities', () => {
  assert.throws(() => encodeFrame({type: 'data', streamId: 0, fin: false, data: Buffer.alloc(0)}), /invalid stream id 0/)
  assert.throws(() => encodeFrame({type: 'rst_stream', streamId: 0x80000000, status: 5}), /invalid stream id/)
  assert.throws(
    () => encodeFrame({type: 'syn_stream', streamId: 1, associatedId: 0, priority: 8, slot: 0, fin: false, unidirectional: false, headerBlock: Buffer.alloc(0)}),
    /invalid priority 8/,
  )
})

test('the SPDY/3 dictionary is the 1423 bytes of the spec', () => {
  assert.equal(SPDY3_DICTIONARY.length, 1423)
  assert.equal(SPDY3_DICTIONARY.subarray(0, 16).toString('hex'), '000000076f7074696f6e730000000468')
  assert.equal(SPDY3_DICTIONARY.subarray(-16).toString('latin1'), '-1,utf-,*,enq=0.')
  // Offsets where the spec's byte table changes from length-prefixed words to plain text.
  assert.equal(SPDY3_DICTIONARY.indexOf('origin100101201'), 0x34b)
  assert.equal(createHash('sha256').update(SPDY3_DICTIONARY).digest('hex'), '51d27341373f923f3cd88e1eb7162aeaa3723d7585ff2399201dc06498407f02')
})
