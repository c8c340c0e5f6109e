// The real-cluster tier (`npm run test:real`) needs Go. `npm test` says so in one line on a
// machine without it, and fails in CI, where the tier must never be skipped silently.

import {test} from 'node:test'

import {GO_MISSING, GoMissingError, goVersion} from '../real-cluster/build.ts'

test('Go for the real-cluster tier is on PATH', async t => {
  try {
    t.diagnostic(`${await goVersion()}; the real-cluster tier runs with \`npm run test:real\``)
  } catch (error) {
    if (!(error instanceof GoMissingError) || process.env.CI === 'true') throw error
    t.skip(GO_MISSING)
  }
})
