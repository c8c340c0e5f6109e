import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {
  AlignRight, Debug, DESCRIBE, DiscardEmptyColumns, FilterHTML, GET_TABLE, RememberWidths, runeCount, StripEscape,
  tabify, TabWriter,
} from '../../../src/printers/tabwriter.ts'

interface Case {
  expected: string
  flags: number
  minwidth: number
  name: string
  padchar: string
  padding: number
  src: string
  tabwidth: number
}

// [name, minwidth, tabwidth, padding, padchar, flags, src, expected]; src and expected are
// 'latin1' strings so that a \xff byte (the Escape character) can be written literally.
const rows: [string, number, number, number, string, number, string, string][] = [
  ['empty', 8, 0, 1, '.', 0, '', ''],
  ['empty debug', 8, 0, 1, '.', Debug, '', ''],
  ['escape stripped, empty', 8, 0, 1, '.', StripEscape, '\xff\xff', ''],
  ['escape kept, empty', 8, 0, 1, '.', 0, '\xff\xff', '\xff\xff'],
  ['escaped tab stripped', 8, 0, 1, '.', StripEscape, '\xff\t\xff', '\t'],
  ['escaped tab kept', 8, 0, 1, '.', 0, '\xff\t\xff', '\xff\t\xff'],
  ['escaped tabs and newline', 8, 0, 1, '.', 0, '\xff"foo\t\n\tbar"\xff', '\xff"foo\t\n\tbar"\xff'],
  ['unterminated escape stripped', 8, 0, 1, '.', StripEscape, 'abc\xff\tdef', 'abc\tdef'],
  ['unterminated escape kept', 8, 0, 1, '.', 0, 'abc\xff\tdef', 'abc\xff\tdef'],
  ['newlines only', 8, 0, 1, '.', 0, '\n\n\n', '\n\n\n'],
  ['lines without tabs', 8, 0, 1, '.', 0, 'a\nb\nc', 'a\nb\nc'],
  ['lone tab on last line prints nothing', 8, 0, 1, '.', 0, '\t', ''],
  ['lone tab, align right', 8, 0, 1, '.', AlignRight, '\t', ''],
  ['one column', 8, 0, 1, '.', 0, '*\t*', '*.......*'],
  ['one column and newline', 8, 0, 1, '.', 0, '*\t*\n', '*.......*\n'],
  ['trailing tab on last line', 8, 0, 1, '.', 0, '*\t*\t', '*.......*'],
  ['trailing tab, debug', 8, 0, 1, '.', Debug, '*\t*\t', '*.......|*'],
  ['trailing tab, align right', 8, 0, 1, '.', AlignRight, '*\t*\t', '.......**'],
  ['empty terminated cell is padded', 8, 0, 1, '.', 0, '\t\n', '........\n'],
  ['no tab', 8, 0, 1, '.', 0, 'a) foo', 'a) foo'],
  ['space padding', 8, 0, 1, ' ', 0, 'b) foo\tbar', 'b) foo  bar'],
  ['last cell not padded', 8, 0, 1, '.', 0, 'c) foo\tbar\t', 'c) foo..bar'],
  ['last cell before newline not padded', 8, 0, 1, '.', 0, 'd) foo\tbar\n', 'd) foo..bar\n'],
  ['terminated cell before newline padded', 8, 0, 1, '.', 0, 'e) foo\tbar\t\n', 'e) foo..bar.....\n'],
  ['html filtered', 8, 0, 1, '.', FilterHTML, 'f) f&lt;o\t<b>bar</b>\t\n', 'f) f&lt;o..<b>bar</b>.....\n'],
  ['html, non-terminated entity', 8, 0, 1, '.', FilterHTML, 'g) f&lt;o\t<b>bar</b>\t non-terminated entity &amp', 'g) f&lt;o..<b>bar</b>..... non-terminated entity &amp'],
  ['padchar never used without tabs', 8, 0, 1, '*', 0, 'Hello, world!\n', 'Hello, world!\n'],
  ['minwidth 1, no padding', 1, 0, 0, '.', 0, '1\t2\t3\t4\n11\t222\t3333\t44444\n', '1.2..3...4\n11222333344444\n'],
  ['formfeed ends the block', 1, 0, 0, '.', 0, '1\t2\t3\t4\f11\t222\t3333\t44444\n', '1234\n11222333344444\n'],
  ['formfeed, debug', 1, 0, 0, '.', Debug, '1\t2\t3\t4\f11\t222\t3333\t44444\n', '1|2|3|4\n---\n11|222|3333|44444\n'],
  ['minwidth', 5, 0, 0, '.', 0, '1\t2\t3\t4\n', '1....2....3....4\n'],
  ['minwidth, trailing tab', 5, 0, 0, '.', 0, '1\t2\t3\t4\t\n', '1....2....3....4....\n'],
  ['lines with fewer cells', 2, 0, 0, ' ', 0, 'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n', 'a  b  c\naa bbbcccc\naaabbbb\n'],
  ['underscore padding', 8, 0, 1, '_', 0, 'a\tb\tc\naa\tbbb\tcccc\naaa\tbbbb\n', 'a_______b_______c\naa______bbb_____cccc\naaa_____bbbb\n'],
  [
    'column blocks and an empty line',
    4, 0, 3, '.', 0,
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n1\t1\t999999999\t0000000000\n',
    '4444........333...22...1...333\n999999999...22\n7...........22\n....................88888888\n\n666666...666666...666666......4444\n1........1........999999999...0000000000\n',
  ],
  [
    'tab padding',
    8, 8, 1, '\t', 0,
    '4444\t333\t22\t1\t333\n999999999\t22\n7\t22\n\t\t\t88888888\n\n666666\t666666\t666666\t4444\n',
    '4444\t\t333\t22\t1\t333\n999999999\t22\n7\t\t22\n\t\t\t\t88888888\n\n666666\t666666\t666666\t4444\n',
  ],
  [
    'align right',
    1, 0, 2, ' ', AlignRight,
    '.0\t.3\t2.4\t-5.1\t\n23.0\t12345678.9\t2.4\t-989.4\t\n5.1\t12.0\t2.4\t-7.0\t\n.0\t0.0\t332.0\t8908.0\t\n.0\t-.3\t456.4\t22.1\t\n.0\t1.2\t44.4\t-13.3\t\t',
    '    .0          .3    2.4    -5.1\n  23.0  12345678.9    2.4  -989.4\n   5.1        12.0    2.4    -7.0\n    .0         0.0  332.0  8908.0\n    .0         -.3  456.4    22.1\n    .0         1.2   44.4   -13.3',
  ],
  ['empty hard-tab column kept', 4, 0, 0, '.', 0, 'a\t\tb', 'a.......b'],
  ['DiscardEmptyColumns keeps hard tabs', 4, 0, 0, '.', DiscardEmptyColumns, 'a\t\tb', 'a.......b'],
  ['DiscardEmptyColumns drops soft-tab column', 4, 0, 0, '.', DiscardEmptyColumns, 'a\v\vb', 'a...b'],
  ['DiscardEmptyColumns, align right', 4, 0, 0, '.', AlignRight | DiscardEmptyColumns, 'a\v\vb', '...ab'],
  [
    'soft tabs discarded with tab padding',
    100, 100, 0, '\t', DiscardEmptyColumns,
    'a\vb\v\vd\na\vb\v\vd\ve\na\na\vb\vc\vd\na\vb\vc\vd\ve\n',
    'a\tb\td\na\tb\td\te\na\na\tb\tc\td\na\tb\tc\td\te\n',
  ],
]

const cases: Case[] = rows.map(([name, minwidth, tabwidth, padding, padchar, flags, src, expected]) => ({
  expected, flags, minwidth, name, padchar, padding, src, tabwidth,
}))

function run(c: Case, chunks: (src: Buffer) => Buffer[]): Buffer {
  const writer = new TabWriter({flags: c.flags, minwidth: c.minwidth, padchar: c.padchar, padding: c.padding, tabwidth: c.tabwidth})
  for (const chunk of chunks(Buffer.from(c.src, 'latin1'))) writer.write(chunk)
  writer.flush()
  return writer.takeBytes()
}

describe('tabwriter: Go text/tabwriter behaviour', () => {
  for (const c of cases) {
    it(c.name, () => {
      const expected = Buffer.from(c.expected, 'latin1')
      assert.deepEqual(run(c, src => [src]), expected, 'written at once')
      assert.deepEqual(run(c, src => [...src].map(b => Buffer.from([b]))), expected, 'written byte by byte')
      assert.deepEqual(run(c, src => {
        const parts: Buffer[] = []
        for (let i = 0, d = 0; i < src.length;) {
          parts.push(src.subarray(i, i + d))
          i += d
          d++
          if (i + d > src.length) d = src.length - i
        }
        return parts
      }), expected, 'written in growing slices')
    })
  }

  it('counts runes, not bytes, for widths', () => {
    assert.equal(tabify('本\tb\tc\naa\t本本本\tcccc\tddddd\naaa\tbbbb\n', {minwidth: 8, padchar: '.', padding: 1, tabwidth: 0}),
      '本.......b.......c\naa......本本本.....cccc....ddddd\naaa.....bbbb\n')
    assert.equal(runeCount(Buffer.from('è日本')), 3)
    assert.equal(runeCount(Buffer.from([0xff, 0x41, 0xc3])), 3)
  })

  it('RememberWidths keeps column widths across flushes (kubectl get --watch)', () => {
    const w = new TabWriter({flags: RememberWidths, minwidth: 6, padchar: ' ', padding: 3, tabwidth: 4})
    w.write('First\tMiddle\tLast\na\tbb\tccc\nddd\teeeeeeeeeeeeee\tf\n')
    w.flush()
    assert.equal(w.take(), 'First   Middle           Last\na       bb               ccc\nddd     eeeeeeeeeeeeee   f\n')
    w.write('g\th\ti\n')
    w.flush()
    assert.equal(w.take(), 'g       h                i\n')
    w.write('j\t\t\n')
    w.flush()
    w.write('\tk\t\n')
    w.flush()
    w.write('\t\tl\n')
    w.flush()
    assert.equal(w.take(), 'j                        \n        k                \n                         l\n')
    w.write('mmmmmmmmmmmmmmm\tnnn\tooo\n')
    w.flush()
    assert.equal(w.take(), 'mmmmmmmmmmmmmmm   nnn              ooo\n')
    assert.deepEqual(w.rememberedWidths(), [18, 17])
  })

  it('without RememberWidths each flush starts afresh', () => {
    const w = new TabWriter({minwidth: 6, padchar: ' ', padding: 3, tabwidth: 4})
    w.write('aaaaaaaaaa\tb\n')
    w.flush()
    w.write('c\td\n')
    w.flush()
    assert.equal(w.take(), 'aaaaaaaaaa   b\nc     d\n')
  })

  it('describe settings: a line without a tab ends the column block', () => {
    const text = tabify('Name:\tweb\nLonger label:\tx\nEvents:\n  Type\tReason\n  ----\t------\n', DESCRIBE)
    assert.equal(text, 'Name:          web\nLonger label:  x\nEvents:\n  Type  Reason\n  ----  ------\n')
  })

  it('describe settings: empty terminated cells are padded, continuation lines align', () => {
    const text = tabify('Labels:\ta=b\n\tc=d\nIP:\t\nEndpoints:\t\nPort:\thttp\t80/TCP\n', DESCRIBE)
    assert.equal(text, 'Labels:     a=b\n            c=d\nIP:         \nEndpoints:  \nPort:       http  80/TCP\n')
  })

  it('get settings: minimum width 6 and 3 spaces of padding', () => {
    assert.equal(tabify('NAME\tAGE\nab\t1s\n', GET_TABLE), 'NAME   AGE\nab     1s\n')
  })
})
