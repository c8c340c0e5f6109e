// Label maps as kubectl writes them (apimachinery labels.FormatLabels): keys sorted, `k=v` joined
// with commas, `<none>` when there are none.

export function formatLabels(labels: Record<string, string> | null | undefined): string {
  const keys = sortedKeys(labels)
  if (keys.length === 0) return '<none>'
  return keys.map(k => `${k}=${labels![k]}`).join(',')
}

/** Go's sort.Strings order (byte-wise), which is what kubectl sorts keys with. */
export function byteCompare(a: string, b: string): number {
  const x = Buffer.from(a)
  const y = Buffer.from(b)
  return Buffer.compare(x, y)
}

export function sortedKeys(map: Record<string, unknown> | null | undefined): string[] {
  return Object.keys(map ?? {}).sort(byteCompare)
}
