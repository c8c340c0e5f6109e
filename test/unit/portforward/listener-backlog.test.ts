// The accept queue of svc's local listeners: as deep as a Go server's (the kernel's somaxconn), not
// Node's 511. Checked by what the kernel does with it: while the forwarder's event loop accepts
// nothing, a client process opens more connections than 511 at once; the kernel completes the
// handshakes of as many as the queue holds and drops the SYNs of the rest (those clients wait out a
// SYN retransmit, 1 s and more, which is what a burst of health checks met before).

import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import fs from 'node:fs'
import {after, test} from 'node:test'

import {bindListeners, closeListeners, listenBacklog} from '../../../src/portforward/listener.ts'

/** More than Node's 511 and below a 1,024-fd limit of the client process. */
const CLIENTS = 800

test('listenBacklog is the kernel\'s somaxconn where /proc has it, as Go\'s maxListenerBacklog', () => {
  const somaxconn = fs.existsSync('/proc/sys/net/core/somaxconn') ? Number.parseInt(fs.readFileSync('/proc/sys/net/core/somaxconn', 'utf8'), 10) : 4096
  assert.equal(listenBacklog(), Math.min(somaxconn, 65_535))
})

test(`${CLIENTS} clients connecting while the forwarder accepts nothing all complete their handshake (up to somaxconn)`, async () => {
  const accepted: Array<{destroy(): void}> = []
  const bound = await bindListeners([{address: '127.0.0.1', failureMode: 'any', family: 4}], [{local: 0, remote: 80}], socket => accepted.push(socket))
  after(() => {
    for (const socket of accepted) socket.destroy()
    return closeListeners(bound.listeners)
  })
  const port = bound.listeners[0].localPort
  // The client opens every connection at once and reports how many connected within 700 ms: a
  // queued handshake completes in well under that, a dropped SYN is sent again only after 1 s.
  const client = spawn(process.execPath, ['-e', `
    const net = require('node:net')
    let connected = 0
    const sockets = []
    for (let i = 0; i < ${CLIENTS}; i++) {
      const s = net.connect({host: '127.0.0.1', port: ${port}})
      s.on('error', () => {})
      s.on('connect', () => { connected++ })
      sockets.push(s)
    }
    setTimeout(() => { process.stdout.write(String(connected)); for (const s of sockets) s.destroy(); process.exit(0) }, 700)
  `], {stdio: ['ignore', 'pipe', 'inherit']})
  let out = ''
  client.stdout.setEncoding('utf8').on('data', d => (out += d))
  const exited = new Promise(resolve => client.once('exit', resolve))
  // This process accepts nothing until the client has counted: its event loop is held for that long.
  const held = new Int32Array(new SharedArrayBuffer(4))
  Atomics.wait(held, 0, 0, 1500)
  await exited
  const connected = Number(out)
  assert.ok(connected >= Math.min(CLIENTS, listenBacklog()), `${connected} of ${CLIENTS} clients connected while nothing was accepted; the listen backlog asked for is ${listenBacklog()}`)
})
