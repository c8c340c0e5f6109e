// The README's quick start, run as a user runs it: `node scripts/quickstart.ts --exit` brings up the
// local cluster, deploys two pods, and drives the built svc through expose, create, get, describe
// and a port-forward that runs a command. Every step must succeed and the forwarded requests must
// reach the pods.

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {test} from 'node:test'

import {ROOT} from '../helpers/run-svc.ts'

test('npm run quickstart -- --exit: every step succeeds and the port-forward reaches the pods', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'svc-quickstart-'))
  try {
    const child = spawn(process.execPath, [path.join(ROOT, 'scripts', 'quickstart.ts'), '--exit', '--kubeconfig', path.join(dir, 'kubeconfig')], {
      env: {...process.env, KUBECONFIG: undefined, NO_COLOR: '1'},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', d => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', d => (stderr += d))
    const timer = setTimeout(() => child.kill('SIGKILL'), 90_000)
    const code = await new Promise<number | null>(resolve => child.on('close', resolve))
    clearTimeout(timer)
    assert.equal(code, 0, `stderr:\n${stderr}\nstdout:\n${stdout}`)
    assert.equal(stderr, '')
    assert.match(stdout, /^\$ svc expose deployment web --port 80 --target-port http\nservice\/web exposed$/m)
    assert.match(stdout, /^\$ svc create nodeport web-public --tcp 80:http --selector app=web\nservice\/web-public created$/m)
    assert.match(stdout, /^web-public +NodePort +10\.\d+\.\d+\.\d+ +<none> +80:3\d{4}\/TCP/m)
    assert.match(stdout, /^Name: +web$/m)
    const answers = stdout.match(/^GET \/hostname -> (.*)$/gm) ?? []
    assert.equal(answers.length, 2, stdout)
    for (const line of answers) assert.match(line, /-> web-[a-z0-9]+-[a-z0-9]{5}$/)
  } finally {
    fs.rmSync(dir, {force: true, recursive: true})
  }
})
