// resource.ParseQuantity (k8s.io/apimachinery/pkg/api/resource/quantity.go) as far as comparing
// two quantities needs: which strings parse (`10`, `1.5`, `500Mi`, `2e3`, `100m`, `+.5k`) and
// their values, rounded up to the nano and capped at the int64 maximum as ParseQuantity does.
// kubectl's --sort-by compares two strings that both parse as quantities by value.

const DECIMAL_SI: Record<string, number> = {n: -9, u: -6, m: -3, '': 0, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18}
const BINARY_SI: Record<string, number> = {Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60}
const SUFFIX_CHARS = 'eEinumkKMGTP'
const isDigit = (c: string | undefined) => c !== undefined && c >= '0' && c <= '9'

/** parseQuantityString: sign, numerator and denominator digits, suffix; undefined for ErrFormatWrong. */
function split(str: string): {positive: boolean; num: string; denom: string; suffix: string} | undefined {
  let positive = true
  let pos = 0
  const end = str.length
  if (str[0] === '-') {
    positive = false
    pos++
  } else if (str[0] === '+') pos++
  while (pos < end && str[pos] === '0') pos++
  if (pos >= end) return {positive, num: '0', denom: '', suffix: ''}
  let i = pos
  while (i < end && isDigit(str[i])) i++
  let num = str.slice(pos, i)
  if (i >= end) return {positive, num, denom: '', suffix: ''}
  pos = i
  if (num.length === 0) num = '0'
  let denom = ''
  if (str[pos] === '.') {
    pos++
    i = pos
    while (i < end && isDigit(str[i])) i++
    denom = str.slice(pos, i)
    if (i >= end) return {positive, num, denom, suffix: ''}
    pos = i
  }
  const suffixStart = pos
  i = pos
  while (i < end && SUFFIX_CHARS.includes(str[i])) i++
  if (i >= end) return {positive, num, denom, suffix: str.slice(suffixStart)}
  pos = i
  if (str[pos] === '-' || str[pos] === '+') pos++
  for (i = pos; i < end; i++) if (!isDigit(str[i])) return undefined
  return {positive, num, denom, suffix: str.slice(suffixStart)}
}

/** The suffix's base and exponent (suffixHandler.interpret), or undefined for ErrSuffix. */
function interpret(suffix: string): {base: 2 | 10; exponent: number} | undefined {
  if (Object.hasOwn(DECIMAL_SI, suffix)) return {base: 10, exponent: DECIMAL_SI[suffix]}
  if (Object.hasOwn(BINARY_SI, suffix)) return {base: 2, exponent: BINARY_SI[suffix]}
  if (suffix.length > 1 && (suffix[0] === 'e' || suffix[0] === 'E') && /^[+-]?\d+$/.test(suffix.slice(1))) {
    const exponent = Number(suffix.slice(1))
    // strconv.ParseInt(.., 64) then int32(...): beyond int32 the exponent wraps in Go; such values are capped or zero either way
    return Number.isSafeInteger(exponent) ? {base: 10, exponent} : undefined
  }
  return undefined
}

const NANO_PER_UNIT = 10n ** 9n
const MAX_NANO = ((1n << 63n) - 1n) * NANO_PER_UNIT

/** The quantity in nano units (rounded up, capped), or undefined when the string is not a quantity. */
export function parseQuantityNano(str: string): bigint | undefined {
  if (str.length === 0) return undefined
  const parts = split(str)
  if (!parts) return undefined
  const suffix = interpret(parts.suffix)
  if (!suffix) return undefined
  let digits = BigInt(parts.num + parts.denom)
  // value = digits * 10^scale10 (* 2^exponent for binary suffixes)
  let scale10 = -parts.denom.length
  if (suffix.base === 2) digits <<= BigInt(suffix.exponent)
  else scale10 += suffix.exponent
  let nano: bigint
  if (digits === 0n) nano = 0n
  else if (scale10 + 9 >= 0) {
    // more than about 40 digits is over the cap whatever they are
    nano = scale10 + 9 > 40 ? MAX_NANO : digits * 10n ** BigInt(scale10 + 9)
  } else {
    const shift = -(scale10 + 9)
    if (shift > 400) nano = 1n
    else {
      const div = 10n ** BigInt(shift)
      nano = (digits + div - 1n) / div // rounds up to the nano, as ParseQuantity's inf.RoundUp
    }
  }
  if (nano > MAX_NANO) nano = MAX_NANO
  return parts.positive ? nano : -nano
}
