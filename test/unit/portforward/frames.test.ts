import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  dataChannel, decodeBase64Frame, decodeBinaryFrame, encodeBase64Frame, encodeBinaryFrame, errorChannel, PortPrefix,
} from '../../../src/portforward/frames.ts'

const hex = (b: Buffer) => b.toString('hex')

describe('frames: channel numbers', () => {
  for (const [index, data, error] of [[0, 0, 1], [1, 2, 3], [126, 252, 253]]) {
    it(`port index ${index} -> data ${data}, error ${error}`, () => {
      assert.equal(dataChannel(index), data)
      assert.equal(errorChannel(index), error)
    })
  }
})

describe('frames: port prefix', () => {
  const cases: Array<[number, string]> = [[8080, '901f'], [80, '5000'], [443, 'bb01'], [1, '0100'], [65535, 'ffff']]
  for (const [port, bytes] of cases) {
    it(`${bytes} is port ${port} (uint16 little-endian)`, () => {
      const prefix = new PortPrefix()
      assert.equal(prefix.strip(Buffer.from(bytes, 'hex')).length, 0)
      assert.equal(prefix.port, port)
    })
  }

  const splits: Array<[string, string[], number, string[]]> = [
    ['one 2-byte message', ['901f'], 8080, ['']],
    ['prefix and data in one message', ['901f68656c6c6f'], 8080, ['68656c6c6f']],
    ['split 1+1', ['90', '1f'], 8080, ['', '']],
    ['split 1 + 1 with data', ['50', '0041', '42'], 80, ['', '41', '42']],
    ['empty message first', ['', '901f', 'ff'], 8080, ['', '', 'ff']],
  ]
  for (const [name, messages, port, rests] of splits) {
    it(`strips the prefix: ${name}`, () => {
      const prefix = new PortPrefix()
      const out = messages.map(m => hex(prefix.strip(Buffer.from(m, 'hex'))))
      assert.deepEqual(out, rests)
      assert.equal(prefix.port, port)
      assert.equal(prefix.complete, true)
    })
  }
  it('is incomplete until two bytes arrived', () => {
    const prefix = new PortPrefix()
    prefix.strip(Buffer.from('90', 'hex'))
    assert.equal(prefix.complete, false)
    assert.equal(prefix.port, undefined)
  })
})

describe('frames: binary codec', () => {
  const cases: Array<[number, string, string]> = [
    [0, '', '00'],
    [0, '68656c6c6f', '0068656c6c6f'],
    [1, '901f', '01901f'],
    [3, 'bb01', '03bb01'],
    [254, 'ff', 'feff'],
  ]
  for (const [channel, payload, wire] of cases) {
    it(`channel ${channel} payload ${payload || '(empty)'} <-> ${wire}`, () => {
      assert.equal(hex(encodeBinaryFrame(channel, Buffer.from(payload, 'hex'))), wire)
      const frame = decodeBinaryFrame(Buffer.from(wire, 'hex'))
      assert.equal(frame?.channel, channel)
      assert.equal(hex(frame!.payload), payload)
    })
  }
  it('decodes without copying the payload', () => {
    const message = Buffer.from('00414243', 'hex')
    const frame = decodeBinaryFrame(message)!
    message[1] = 0x5a
    assert.equal(frame.payload.toString(), 'ZBC')
  })
  it('ignores an empty message', () => assert.equal(decodeBinaryFrame(Buffer.alloc(0)), undefined))
  for (const bad of [-1, 255, 1.5]) {
    it(`rejects channel ${bad}`, () => assert.throws(() => encodeBinaryFrame(bad, Buffer.alloc(0)), RangeError))
  }
})

describe('frames: base64 codec', () => {
  const cases: Array<[number, string, string]> = [
    [0, '901f', '0kB8='],
    [1, '901f', '1kB8='],
    [0, '', '0'],
    [0, '68656c6c6f', '0aGVsbG8='],
    [2, '6869', '2aGk='],
    [10, '00', ':AA=='],
    [11, 'ffff', ';//8='],
  ]
  for (const [channel, payload, wire] of cases) {
    it(`channel ${channel} payload ${payload || '(empty)'} <-> ${JSON.stringify(wire)}`, () => {
      assert.equal(encodeBase64Frame(channel, Buffer.from(payload, 'hex')), wire)
      for (const message of [wire, Buffer.from(wire)]) {
        const frame = decodeBase64Frame(message)
        assert.equal(frame?.channel, channel)
        assert.equal(hex(frame!.payload), payload)
      }
    })
  }
  it('ignores an empty message', () => assert.equal(decodeBase64Frame(''), undefined))
  for (const bad of ['0kB8', '0k=B8', '0 kB8=', '0kB8=\n', '0@@@@', '/AA==']) {
    it(`rejects ${JSON.stringify(bad)}`, () => assert.throws(() => decodeBase64Frame(bad), RangeError))
  }
})
