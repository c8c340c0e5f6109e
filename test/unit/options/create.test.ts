// svc create -f's validate step (options/create.ts): every problem of every Service in one error,
// then an empty input, then an object whose namespace contradicts --namespace.

import assert from 'node:assert/strict'
import {test} from 'node:test'

import type {ManifestObject} from '../../../src/generate/manifest.ts'
import {validateManifests} from '../../../src/options/create.ts'

function svc(name: string, more: Record<string, unknown> = {}, namespace?: string): ManifestObject {
  const object = {apiVersion: 'v1', kind: 'Service', metadata: {name, ...(namespace ? {namespace} : {})}, spec: {ports: [{port: 80}], ...more}}
  return {document: 1, object, source: `${name}.yaml`}
}

test('valid Services pass, with or without --namespace', () => {
  const cases: Array<[ManifestObject[], string | undefined]> = [
    [[svc('web')], undefined],
    [[svc('web'), svc('api', {}, 'dev')], undefined],
    [[svc('web', {}, 'dev')], 'dev'],
    [[svc('web')], 'dev'],
  ]
  for (const [objects, namespace] of cases) assert.doesNotThrow(() => validateManifests(objects, {namespace, skipRangeChecks: false}))
})

test('errors, in order: problems first, then no objects, then the namespace', () => {
  const bad = svc('web', {ports: [{port: 70000}]}, 'other')
  const cases: Array<[string, ManifestObject[], string | undefined, RegExp]> = [
    ['every problem, then the summary', [bad, svc('Bad_Name')], 'dev', /^web\.yaml: document 1: spec\.ports\[0\]\.port: .*\nerror: Bad_Name\.yaml: document 1: metadata\.name: .*\nerror: nothing was created: fix the 2 problems above and run again$/],
    ['no objects', [], 'dev', /^no objects passed to create$/],
    ['a namespace that contradicts --namespace', [svc('web', {}, 'other')], 'dev', /^the namespace from the provided object "other" does not match the namespace "dev"\. You must pass '--namespace=other' to perform this operation\.$/],
  ]
  for (const [name, objects, namespace, message] of cases) assert.throws(() => validateManifests(objects, {namespace, skipRangeChecks: false}), {message}, name)
})

test('--validate=false skips the node port range check only', () => {
  const nodePort = svc('web', {ports: [{nodePort: 80, port: 80}], type: 'NodePort'})
  assert.throws(() => validateManifests([nodePort], {skipRangeChecks: false}), /nodePort/)
  assert.doesNotThrow(() => validateManifests([nodePort], {skipRangeChecks: true}))
  assert.throws(() => validateManifests([svc('web', {ports: [{port: 70000}]})], {skipRangeChecks: true}), /port/)
})
