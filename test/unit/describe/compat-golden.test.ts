// describe --compat against output recorded from real kubectl v1.35.2 for the same objects
// (test/fixtures/describe/*.txt; the fixture's reference time is in now.txt).

import assert from 'node:assert/strict'
import fs from 'node:fs'
import path from 'node:path'
import {describe, it} from 'node:test'

import {describeServiceCompat} from '../../../src/describe/service.ts'
import {describeFixture} from '../../fixtures/describe-fixtures.ts'
import {ROOT} from '../../helpers/run-svc.ts'

const dir = path.join(ROOT, 'test', 'fixtures', 'describe')
const now = Date.parse(fs.readFileSync(path.join(dir, 'now.txt'), 'utf8').trim())
const fixture = describeFixture(now)

function render(which: string): string {
  const name = which === 'multi-with-events' ? 'multi' : which
  const service = fixture.services.find(s => s.metadata?.name === name)!
  const slices = fixture.slices.filter(s => s.metadata?.labels?.['kubernetes.io/service-name'] === name)
  const events = fixture.events.filter(e => e.involvedObject?.name === name && e.involvedObject?.uid === service.metadata?.uid)
  return describeServiceCompat({events: which === 'multi' ? null : events, now, service, slices})
}

describe('describe --compat matches kubectl 1.35 byte for byte', () => {
  const cases: [string, string][] = [
    ['web', 'ClusterIP: multi-line labels, long and multi-line annotations, last-applied skipped, events table with series and counts'],
    ['multi', 'NodePort, two ports, named targetPort, placeholder slice (blank Endpoints), --show-events=false'],
    ['ext', 'ExternalName: empty IP value, no traffic policies'],
    ['lb', 'LoadBalancer: external IPs, ingress with ipMode and hostname, ETP Local, health check port, source ranges, appProtocol'],
    ['headless', 'headless without ports'],
    ['many', 'unnamed port, two slices, not-ready endpoints: + 1 more...'],
    ['sticky', 'IPv6 endpoints bracketed, UDP port, ClientIP affinity, Local ITP, traffic distribution'],
    ['manual', 'no selector, no slices: <none>'],
  ]
  for (const [name, what] of cases) {
    it(`${name}: ${what}`, () => {
      assert.equal(render(name), fs.readFileSync(path.join(dir, `${name}.txt`), 'utf8'))
    })
  }

  it('several services are separated by a blank line (kubectl describe svc)', () => {
    const names = fixture.services.map(s => s.metadata!.name!)
    const text = names.map(n => render(n === 'multi' ? 'multi-with-events' : n)).join('\n\n')
    assert.equal(text, fs.readFileSync(path.join(dir, 'all.txt'), 'utf8'))
  })

  it('prefix matches (kubectl describe svc m) are each followed by a newline', () => {
    const text = ['multi-with-events', 'many', 'manual'].map(n => `${render(n)}\n`).join('')
    assert.equal(text, fs.readFileSync(path.join(dir, 'prefix.txt'), 'utf8'))
  })
})
