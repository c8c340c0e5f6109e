// The template printers replay what real kubectl 1.35 printed (test/fixtures/templates, recorded
// by record.ts): for every case, the same object gives the same stdout, the same error text and
// the same exit code. One table per format; each row is one construct.

import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {test} from 'node:test'

import {CliError, renderError} from '../../../src/kube/errors.ts'
import {TemplatePrintError, templatePrinter} from '../../../src/printers/templates.ts'
import {ROOT} from '../../helpers/run-svc.ts'

interface Case {
  args: string[]
  code: number
  stderr: string
  stdout: string
  target: string
}

function load(name: string): {cases: Case[]; objects: Record<string, unknown>} {
  return JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'templates', name), 'utf8'))
}

/** What `svc get` prints for one object with this -o value: stdout, stderr, exit code. */
export function simulate(output: string, obj: unknown, allowMissingKeys: boolean): {code: number; stderr: string; stdout: string} {
  let stdout = ''
  try {
    const printer = templatePrinter(output, {allowMissingKeys}, true)
    assert.ok(printer, `no printer for ${output}`)
    stdout = printer.print(obj)
    return {code: 0, stderr: '', stdout}
  } catch (error) {
    if (error instanceof TemplatePrintError) stdout = error.partial
    assert.ok(error instanceof CliError, String(error))
    const {exitCode, text} = renderError(error, {commandPath: 'svc get'})
    return {code: exitCode, stderr: text.endsWith('\n') ? text : `${text}\n`, stdout}
  }
}

for (const file of ['jsonpath.json', 'jsonpath-as-json.json', 'custom-columns.json', 'go-template.json']) {
  const {cases, objects} = load(file)
  for (const c of cases) {
    const output = c.args[c.args.indexOf('-o') + 1]
    const strict = c.args.includes('--allow-missing-template-keys=false')
    test(`${file.replace('.json', '')} on ${c.target}: ${output}${strict ? ' --allow-missing-template-keys=false' : ''}`, () => {
      const got = simulate(output, objects[c.target], !strict)
      assert.deepEqual(got, {code: c.code, stderr: c.stderr, stdout: c.stdout})
    })
  }
}
