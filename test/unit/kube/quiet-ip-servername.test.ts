// quietIpServerName drops Node's warning about an IP address as a TLS servername (DEP0123) and no
// other warning, whichever form emitWarning is called in.

import assert from 'node:assert/strict'
import {once} from 'node:events'
import {test} from 'node:test'

import {quietIpServerName} from '../../../src/kube/identity.ts'

test('DEP0123 is dropped; other warnings, deprecations included, are emitted as before', async () => {
  quietIpServerName()
  quietIpServerName()
  const seen: string[] = []
  const onWarning = (warning: Error & {code?: string}) => seen.push(`${warning.name} ${warning.code ?? ''} ${warning.message}`)
  process.on('warning', onWarning)
  try {
    process.emitWarning('Setting the TLS ServerName to an IP address is not permitted by RFC 6066.', 'DeprecationWarning', 'DEP0123')
    process.emitWarning('by options', {code: 'DEP0123', type: 'DeprecationWarning'})
    process.emitWarning('another deprecation', 'DeprecationWarning', 'DEP0999')
    process.emitWarning('by options too', {code: 'DEP0998', type: 'DeprecationWarning'})
    process.emitWarning('a plain warning')
    // Warnings are emitted on the next tick: wait for the last one.
    while (seen.length < 3) await once(process, 'warning')
  } finally {
    process.off('warning', onWarning)
  }
  assert.deepEqual(seen, ['DeprecationWarning DEP0999 another deprecation', 'DeprecationWarning DEP0998 by options too', 'Warning  a plain warning'])
})
