// Go's sort.Sort (src/sort/zsortinterface.go, Go 1.21+: pattern-defeating quicksort), step for
// step, so that an order kubectl leaves to it comes out the same here: the order of equal keys
// (not stable above 12 items) and of objects without the field, which kubectl's Less puts first
// whatever the other one is (get/sorter.go), so that they also move among themselves.

/** Sorts `items` in place with Go's sort.Sort and `less(a, b)`. */
export function goSort<T>(items: T[], less: (a: T, b: T) => boolean): void {
  const n = items.length
  if (n <= 1) return
  const d: Data = {
    less: (i, j) => less(items[i], items[j]),
    swap: (i, j) => {
      const t = items[i]
      items[i] = items[j]
      items[j] = t
    },
  }
  pdqsort(d, 0, n, bitsLen(n))
}

interface Data {less(i: number, j: number): boolean; swap(i: number, j: number): void}

const UNKNOWN = 0
const INCREASING = 1
const DECREASING = 2

/** math/bits.Len: the number of bits needed to represent n. */
function bitsLen(n: number): number {
  return n === 0 ? 0 : 32 - Math.clz32(n)
}

function insertionSort(d: Data, a: number, b: number): void {
  for (let i = a + 1; i < b; i++) {
    for (let j = i; j > a && d.less(j, j - 1); j--) d.swap(j, j - 1)
  }
}

function siftDown(d: Data, lo: number, hi: number, first: number): void {
  let root = lo
  for (;;) {
    let child = 2 * root + 1
    if (child >= hi) return
    if (child + 1 < hi && d.less(first + child, first + child + 1)) child++
    if (!d.less(first + root, first + child)) return
    d.swap(first + root, first + child)
    root = child
  }
}

function heapSort(d: Data, a: number, b: number): void {
  const first = a
  const hi = b - a
  for (let i = Math.trunc((hi - 1) / 2); i >= 0; i--) siftDown(d, i, hi, first)
  for (let i = hi - 1; i >= 0; i--) {
    d.swap(first, first + i)
    siftDown(d, 0, i, first)
  }
}

function pdqsort(d: Data, a: number, b: number, limit: number): void {
  const maxInsertion = 12
  let wasBalanced = true
  let wasPartitioned = true
  for (;;) {
    const length = b - a
    if (length <= maxInsertion) {
      insertionSort(d, a, b)
      return
    }
    if (limit === 0) {
      heapSort(d, a, b)
      return
    }
    if (!wasBalanced) {
      breakPatterns(d, a, b)
      limit--
    }
    let [pivot, hint] = choosePivot(d, a, b)
    if (hint === DECREASING) {
      reverseRange(d, a, b)
      pivot = (b - 1) - (pivot - a)
      hint = INCREASING
    }
    if (wasBalanced && wasPartitioned && hint === INCREASING && partialInsertionSort(d, a, b)) return
    if (a > 0 && !d.less(a - 1, pivot)) {
      a = partitionEqual(d, a, b, pivot)
      continue
    }
    const [mid, alreadyPartitioned] = partition(d, a, b, pivot)
    wasPartitioned = alreadyPartitioned
    const leftLen = mid - a
    const rightLen = b - mid
    const balanceThreshold = Math.trunc(length / 8)
    if (leftLen < rightLen) {
      wasBalanced = leftLen >= balanceThreshold
      pdqsort(d, a, mid, limit)
      a = mid + 1
    } else {
      wasBalanced = rightLen >= balanceThreshold
      pdqsort(d, mid + 1, b, limit)
      b = mid
    }
  }
}

function partition(d: Data, a: number, b: number, pivot: number): [number, boolean] {
  d.swap(a, pivot)
  let i = a + 1
  let j = b - 1
  while (i <= j && d.less(i, a)) i++
  while (i <= j && !d.less(j, a)) j--
  if (i > j) {
    d.swap(j, a)
    return [j, true]
  }
  d.swap(i, j)
  i++
  j--
  for (;;) {
    while (i <= j && d.less(i, a)) i++
    while (i <= j && !d.less(j, a)) j--
    if (i > j) break
    d.swap(i, j)
    i++
    j--
  }
  d.swap(j, a)
  return [j, false]
}

function partitionEqual(d: Data, a: number, b: number, pivot: number): number {
  d.swap(a, pivot)
  let i = a + 1
  let j = b - 1
  for (;;) {
    while (i <= j && !d.less(a, i)) i++
    while (i <= j && d.less(a, j)) j--
    if (i > j) break
    d.swap(i, j)
    i++
    j--
  }
  return i
}

function partialInsertionSort(d: Data, a: number, b: number): boolean {
  const maxSteps = 5
  const shortestShifting = 50
  let i = a + 1
  for (let step = 0; step < maxSteps; step++) {
    while (i < b && !d.less(i, i - 1)) i++
    if (i === b) return true
    if (b - a < shortestShifting) return false
    d.swap(i, i - 1)
    if (i - a >= 2) {
      for (let j = i - 1; j >= 1; j--) {
        if (!d.less(j, j - 1)) break
        d.swap(j, j - 1)
      }
    }
    if (b - i >= 2) {
      for (let j = i + 1; j < b; j++) {
        if (!d.less(j, j - 1)) break
        d.swap(j, j - 1)
      }
    }
  }
  return false
}

const MASK64 = (1n << 64n) - 1n

function breakPatterns(d: Data, a: number, b: number): void {
  const length = b - a
  if (length < 8) return
  let random = BigInt(length) // sort.go's xorshift, seeded with the length
  const modulus = BigInt(2 ** bitsLen(length))
  for (let idx = a + Math.trunc(length / 4) * 2 - 1; idx <= a + Math.trunc(length / 4) * 2 + 1; idx++) {
    random ^= (random << 13n) & MASK64
    random ^= random >> 7n
    random ^= (random << 17n) & MASK64
    let other = Number(random & (modulus - 1n))
    if (other >= length) other -= length
    d.swap(idx, a + other)
  }
}

function choosePivot(d: Data, a: number, b: number): [number, number] {
  const shortestNinther = 50
  const maxSwaps = 4 * 3
  const l = b - a
  const swaps = {n: 0}
  let i = a + Math.trunc(l / 4) * 1
  let j = a + Math.trunc(l / 4) * 2
  let k = a + Math.trunc(l / 4) * 3
  if (l >= 8) {
    if (l >= shortestNinther) {
      i = median(d, i - 1, i, i + 1, swaps)
      j = median(d, j - 1, j, j + 1, swaps)
      k = median(d, k - 1, k, k + 1, swaps)
    }
    j = median(d, i, j, k, swaps)
  }
  if (swaps.n === 0) return [j, INCREASING]
  if (swaps.n === maxSwaps) return [j, DECREASING]
  return [j, UNKNOWN]
}

function order2(d: Data, a: number, b: number, swaps: {n: number}): [number, number] {
  if (d.less(b, a)) {
    swaps.n++
    return [b, a]
  }
  return [a, b]
}

function median(d: Data, a: number, b: number, c: number, swaps: {n: number}): number {
  ;[a, b] = order2(d, a, b, swaps)
  ;[b, c] = order2(d, b, c, swaps)
  ;[a, b] = order2(d, a, b, swaps)
  return b
}

function reverseRange(d: Data, a: number, b: number): void {
  let i = a
  let j = b - 1
  while (i < j) {
    d.swap(i, j)
    i++
    j--
  }
}
