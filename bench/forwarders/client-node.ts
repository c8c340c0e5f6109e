// A port forwarder written the way @kubernetes/client-node documents PortForward: one local
// listener, and for each accepted connection forward.portForward(ns, pod, [port], socket, null, socket).
// Usage: node bench/forwarders/client-node.ts KUBECONFIG NAMESPACE POD REMOTE_PORT

import net from 'node:net'

import {KubeConfig, PortForward} from '@kubernetes/client-node'

const [kubeconfig, namespace, pod, remote] = process.argv.slice(2)
const kc = new KubeConfig()
kc.loadFromFile(kubeconfig)
const forward = new PortForward(kc)

const server = net.createServer(socket => {
  forward.portForward(namespace, pod, [Number(remote)], socket, null, socket).catch(error => {
    process.stderr.write(`forward failed: ${(error as Error).message}\n`)
    socket.destroy()
  })
})
server.listen(0, '127.0.0.1', () => {
  const {port} = server.address() as net.AddressInfo
  process.stdout.write(`Forwarding from 127.0.0.1:${port} -> ${remote}\n`)
})
process.on('SIGTERM', () => process.exit(0))
