// The README and docs/ as a reader meets them: every relative link resolves (files and #anchors, with
// GitHub's heading anchors), and docs/commands.md names every command and every flag the CLI has
// (read from the oclif manifest that `npm run build` writes), so the manual cannot fall behind a flag.
import assert from 'node:assert/strict'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import path from 'node:path'
import {test} from 'node:test'

import {ROOT} from '../helpers/run-svc.ts'

const DOCS = path.join(ROOT, 'docs')
const FILES = [path.join(ROOT, 'README.md'), ...readdirSync(DOCS).filter(f => f.endsWith('.md')).map(f => path.join(DOCS, f))]

/** Markdown with fenced code blocks blanked out (their lines kept, so line numbers stay true). */
function prose(text: string): string[] {
  let fenced = false
  return text.split('\n').map(line => {
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced
      return ''
    }
    return fenced ? '' : line.replaceAll(/`[^`]*`/g, m => (m.includes('](') ? '' : m))
  })
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces to hyphens, repeats numbered. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>()
  const out = new Set<string>()
  for (const line of prose(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line)
    if (!m) continue
    const base = m[1].toLowerCase().replaceAll(/[^\p{L}\p{N}\s_-]/gu, '').replaceAll(' ', '-')
    const n = seen.get(base) ?? 0
    seen.set(base, n + 1)
    out.add(n === 0 ? base : `${base}-${n}`)
  }
  return out
}

test('GitHub anchors: punctuation dropped, spaces kept as hyphens, repeats numbered', () => {
  const text = '# svc create -f FILE\n## JSON events (`-o json`)\n```\n# not a heading\n```\n## Naming\n## Naming\n'
  assert.deepEqual([...anchors(text)], ['svc-create--f-file', 'json-events--o-json', 'naming', 'naming-1'])
})

test('every relative link in README.md and docs/ resolves, anchors included', () => {
  const broken: string[] = []
  for (const file of FILES) {
    const lines = prose(readFileSync(file, 'utf8'))
    lines.forEach((line, i) => {
      for (const m of line.matchAll(/!?\[[^\]]*\]\(([^)\s]+)(?:\s+"[^"]*")?\)/g)) {
        const target = m[1]
        if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue // https:, mailto:
        const [ref, anchor] = target.split('#', 2)
        const where = `${path.relative(ROOT, file)}:${i + 1}: ${target}`
        const resolved = ref === '' ? file : path.resolve(path.dirname(file), decodeURIComponent(ref))
        if (!existsSync(resolved)) {
          broken.push(`${where} (no such file)`)
          continue
        }
        if (anchor !== undefined && !anchors(readFileSync(resolved, 'utf8')).has(anchor)) broken.push(`${where} (no heading with that anchor)`)
      }
    })
  }
  assert.deepEqual(broken, [], `broken links:\n${broken.join('\n')}`)
})

test('the README stays a front door: under 300 lines', () => {
  const lines = readFileSync(path.join(ROOT, 'README.md'), 'utf8').split('\n').length
  assert.ok(lines < 300, `README.md has ${lines} lines; move detail into docs/`)
})

type Manifest = {commands: Record<string, {aliases?: string[]; flags: Record<string, {char?: string; hidden?: boolean}>; hidden?: boolean}>}

test('docs/commands.md names every command and, in its section, every flag', () => {
  const manifestFile = path.join(ROOT, 'oclif.manifest.json')
  assert.ok(existsSync(manifestFile), 'oclif.manifest.json is missing: run `npm run build` first')
  const manifest = JSON.parse(readFileSync(manifestFile, 'utf8')) as Manifest
  const doc = readFileSync(path.join(DOCS, 'commands.md'), 'utf8')
  // Global flags are documented once, before the first command's section; each command's flags in
  // the sections of its top-level word (`create clusterip` in "## svc create ...").
  const sections = doc.split(/^(?=## )/m)
  const global = sections.filter(s => !s.startsWith('## svc ')).join('')
  const missing: string[] = []
  assert.ok(Object.keys(manifest.commands).length >= 10, 'the manifest lists too few commands')
  for (const [id, command] of Object.entries(manifest.commands)) {
    if (command.hidden) continue
    const words = id.split(':').join(' ')
    if (!doc.includes(`svc ${words}`)) missing.push(`command: svc ${words}`)
    const top = id.split(':')[0]
    const text = global + sections.filter(s => s.startsWith(`## svc ${top}`)).join('')
    for (const [name, flag] of Object.entries(command.flags)) {
      if (flag.hidden) continue
      if (!text.includes(`--${name}`)) missing.push(`svc ${words}: --${name}`)
    }
  }
  assert.deepEqual(missing, [], `docs/commands.md does not mention:\n${missing.join('\n')}`)
})
