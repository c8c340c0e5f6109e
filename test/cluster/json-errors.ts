/** JSON parsing that reports syntax errors with the text Go's encoding/json produces (the API server's words). */

function quoteChar(c: string): string {
  if (c === '\'') return '\'\\\'\''
  if (c === '"') return '\'"\''
  const code = c.codePointAt(0)!
  if (code < 0x20) return `'\\x${code.toString(16).padStart(2, '0')}'`
  return `'${c}'`
}

/** Go's syntax error message for invalid JSON text, or undefined when the text is valid. */
export function goJsonSyntaxError(text: string): string | undefined {
  let i = 0
  const ws = (): void => {
    while (i < text.length && ' \t\r\n'.includes(text[i])) i++
  }
  class Stop {
    message: string
    constructor(message: string) {
      this.message = message
    }
  }
  const eof = (): never => {
    throw new Stop('unexpected end of JSON input')
  }
  const bad = (context: string): never => {
    if (i >= text.length) eof()
    throw new Stop(`invalid character ${quoteChar(String.fromCodePoint(text.codePointAt(i)!))} ${context}`)
  }
  const literal = (word: string): void => {
    for (let k = 0; k < word.length; k++, i++) {
      if (i >= text.length) eof()
      if (text[i] !== word[k]) bad(`in literal ${word} (expecting ${quoteChar(word[k])})`)
    }
  }
  const string = (): void => {
    i++
    while (true) {
      if (i >= text.length) eof()
      const c = text[i]
      if (c === '"') {
        i++
        return
      }
      if (c === '\\') {
        i++
        if (i >= text.length) eof()
        if (text[i] === 'u') {
          for (let k = 0; k < 4; k++) {
            i++
            if (i >= text.length) eof()
            if (!/[0-9a-fA-F]/.test(text[i])) bad('in \\u hexadecimal character escape')
          }
        } else if (!'"\\/bfnrt'.includes(text[i])) bad('in string escape code')
        i++
        continue
      }
      if (c.charCodeAt(0) < 0x20) bad('in string literal')
      i++
    }
  }
  const number = (): void => {
    if (text[i] === '-') {
      i++
      if (i >= text.length) eof()
      if (!/[0-9]/.test(text[i])) bad('in numeric literal')
    }
    if (text[i] === '0') i++
    else while (i < text.length && /[0-9]/.test(text[i])) i++
    if (text[i] === '.') {
      i++
      if (i >= text.length) eof()
      if (!/[0-9]/.test(text[i])) bad('after decimal point in numeric literal')
      while (i < text.length && /[0-9]/.test(text[i])) i++
    }
    if (text[i] === 'e' || text[i] === 'E') {
      i++
      if (text[i] === '+' || text[i] === '-') i++
      if (i >= text.length) eof()
      if (!/[0-9]/.test(text[i])) bad('in exponent of numeric literal')
      while (i < text.length && /[0-9]/.test(text[i])) i++
    }
  }
  const value = (): void => {
    ws()
    if (i >= text.length) eof()
    const c = text[i]
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') {
        i++
        return
      }
      while (true) {
        ws()
        if (text[i] !== '"') bad('looking for beginning of object key string')
        string()
        ws()
        if (text[i] !== ':') bad('after object key')
        i++
        value()
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === '}') {
          i++
          return
        }
        bad('after object key:value pair')
      }
    }
    if (c === '[') {
      i++
      ws()
      if (text[i] === ']') {
        i++
        return
      }
      while (true) {
        value()
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === ']') {
          i++
          return
        }
        bad('after array element')
      }
    }
    if (c === '"') return string()
    if (c === '-' || /[0-9]/.test(c)) return number()
    if (c === 't') return literal('true')
    if (c === 'f') return literal('false')
    if (c === 'n') return literal('null')
    bad('looking for beginning of value')
  }
  try {
    value()
    ws()
    if (i < text.length) bad('after top-level value')
    return undefined
  } catch (e) {
    if (e instanceof Stop) return e.message
    throw e
  }
}

export type ParseResult = {ok: true; value: any} | {ok: false; message: string}

export function parseJson(text: string): ParseResult {
  try {
    return {ok: true, value: JSON.parse(text)}
  } catch {
    return {ok: false, message: goJsonSyntaxError(text) ?? 'unexpected end of JSON input'}
  }
}
