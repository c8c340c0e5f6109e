import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {parseDryRun, parseOutput, parseValidate} from '../../../src/flags/mutation.ts'
import {CliError} from '../../../src/kube/errors.ts'

describe('mutation flags', () => {
  it('--dry-run values and warnings (GetDryRunStrategy, the same for create, expose and delete)', () => {
    assert.deepEqual(parseDryRun(undefined), {strategy: 'none'})
    assert.deepEqual(parseDryRun('none'), {strategy: 'none'})
    assert.deepEqual(parseDryRun('client'), {strategy: 'client'})
    assert.deepEqual(parseDryRun('server'), {strategy: 'server'})
    assert.deepEqual(parseDryRun('unchanged'), {at: 'helpers.go:703', strategy: 'client', warning: '--dry-run is deprecated and can be replaced with --dry-run=client.'})
    assert.deepEqual(parseDryRun('false'), {at: 'helpers.go:717', strategy: 'none', warning: '--dry-run=false is deprecated (boolean value) and can be replaced with --dry-run=none.'})
    assert.deepEqual(parseDryRun('1'), {at: 'helpers.go:717', strategy: 'client', warning: '--dry-run=1 is deprecated (boolean value) and can be replaced with --dry-run=client.'})
    assert.throws(() => parseDryRun('x'), {message: 'Invalid dry-run value (x). Must be "none", "server", or "client".'})
    assert.throws(() => parseDryRun('yes'), CliError)
  })
  it('--validate and -o', () => {
    assert.deepEqual(['true', 'strict', 'warn', 'ignore', 'F'].map(parseValidate), ['Strict', 'Strict', 'Warn', 'Ignore', 'Ignore'])
    assert.throws(() => parseValidate('x'), {message: 'invalid - validate option "x"; must be one of: strict (or true), warn, ignore (or false)'})
    assert.equal(parseOutput('YAML'), 'yaml')
    assert.throws(() => parseOutput('wide'), {message: 'unable to match a printer suitable for the output format "wide", allowed formats are: go-template,go-template-file,json,jsonpath,jsonpath-as-json,jsonpath-file,name,template,templatefile,yaml'})
  })
})
