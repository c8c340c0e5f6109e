// Names the way Kubernetes makes them: the pod-template-hash (FNV-32a of the template, written in
// decimal and mapped digit by digit onto the "safe" alphabet, as k8s.io/apimachinery/pkg/util/rand
// SafeEncodeString does) and random suffixes for generateName (5 characters of the same alphabet).

import {randomInt} from 'node:crypto'

/** The alphabet of utilrand: no vowels (no words), no 0/1/3 (no confusion with o, l, e). */
export const SAFE_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789'

export function fnv32a(data: string | Uint8Array): number {
  const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data
  let hash = 0x811c9dc5
  for (const byte of bytes) {
    hash ^= byte
    hash = Math.imul(hash, 0x01000193) >>> 0
  }
  return hash >>> 0
}

/** Maps each character onto the safe alphabet by its code modulo 27 (SafeEncodeString). */
export function safeEncodeString(s: string): string {
  let out = ''
  for (const ch of s) out += SAFE_ALPHABET[ch.codePointAt(0)! % SAFE_ALPHABET.length]
  return out
}

/** JSON with object keys sorted at every level: a stable image of a template. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null'
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`
  const keys = Object.keys(value as object).filter((k) => (value as any)[k] !== undefined).sort()
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson((value as any)[k])}`).join(',')}}`
}

/**
 * The pod-template-hash label value of a Deployment's template. Kubernetes hashes a Go dump of the
 * template struct (not reproducible outside Go); this hashes its canonical JSON instead, with the
 * same FNV-32a, the same collisionCount mixing and the same encoding, so values look alike
 * (up to 10 characters of SAFE_ALPHABET) and are stable for a given template.
 */
export function podTemplateHash(template: unknown, collisionCount?: number): string {
  let bytes = Buffer.from(canonicalJson(template ?? {}), 'utf8')
  if (collisionCount != null) {
    // controller.ComputeHash writes the collision count as a little-endian uint32 after the template.
    const extra = Buffer.alloc(4)
    extra.writeUInt32LE(collisionCount >>> 0)
    bytes = Buffer.concat([bytes, extra])
  }
  return safeEncodeString(String(fnv32a(bytes)))
}

/** n random characters of SAFE_ALPHABET (utilrand.String), as generateName appends 5 of them. */
export function randomSuffix(n = 5): string {
  let out = ''
  for (let i = 0; i < n; i++) out += SAFE_ALPHABET[randomInt(SAFE_ALPHABET.length)]
  return out
}

/** Lower-case hex of n random bytes: container IDs, sandbox IDs, image digests. */
export function randomHex(bytes: number): string {
  let out = ''
  for (let i = 0; i < bytes; i++) out += randomInt(256).toString(16).padStart(2, '0')
  return out
}
