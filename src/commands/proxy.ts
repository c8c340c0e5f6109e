import {Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {halfCloseTimeoutFlag, outputFlag, transportFlag} from '../flags/index.ts'
import {processSignals} from '../portforward/child.ts'
import {forwardConnection} from '../portforward/forward.ts'
import {limitBufferGarbage} from '../portforward/heap.ts'
import {transportFor} from '../portforward/transport-mode.ts'
import {proxyOptions} from '../options/proxy.ts'
import {DEFAULT_CLUSTER_DOMAIN} from '../proxy/names.ts'
import {runProxy} from '../proxy/run.ts'

export default class Proxy extends KubeCommand<typeof Proxy> {
  static description = `Run a local SOCKS5 and HTTP proxy that reaches every Service by its cluster name, through the API server's pods/portforward (no agent in the cluster, no root).

Names resolve as cluster DNS resolves them: NAME, NAME.NS, NAME.NS.svc, NAME.NS.svc.<cluster domain>, a Service's ClusterIP, a pod IP, and HOST.NAME.NS for the pods of a headless Service. The Service port is mapped to each endpoint's target port; connections are spread over the ready endpoints with the Service's ClientIP affinity, kept current by watching each namespace in use. What cannot be reached is refused with one line saying why (a SOCKS5 reply code; HTTP 502 with that line as the body). With -- COMMAND, the command runs with HTTP_PROXY, HTTPS_PROXY, ALL_PROXY and NO_PROXY set, and its exit status becomes svc's.`

  static examples = [
    '<%= config.bin %> proxy',
    'curl --socks5-hostname 127.0.0.1:1080 http://web.shop:8080/',
    'curl -x http://127.0.0.1:1080 http://web.shop.svc.cluster.local:8080/',
    '<%= config.bin %> proxy --port 0 -- npm test',
    '<%= config.bin %> proxy --passthrough -v=1',
  ]

  static flags = {
    address: Flags.string({
      default: ['127.0.0.1'],
      description: 'Addresses to listen on (comma separated IP addresses, or localhost for 127.0.0.1 and ::1). Anything beyond loopback lets other machines use your credentials, and svc warns.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    'cluster-domain': Flags.string({default: DEFAULT_CLUSTER_DOMAIN, description: 'The cluster\'s DNS domain, as in NAME.NS.svc.<domain>.'}),
    'half-close-timeout': halfCloseTimeoutFlag('Over the WebSocket transport, which cannot tell the pod that the client stopped sending: after the client half-closes, how long the pod may stay silent before the connection is closed (0 waits for the pod).'),
    output: outputFlag(['json'] as const, 'Output format: json prints one event per line on stdout (listening, ready, connection-opened, connection-closed, refused, error).'),
    passthrough: Flags.boolean({description: 'Connect directly to names and IPs outside the cluster (and to where an ExternalName Service points) instead of refusing them.'}),
    port: Flags.integer({default: 1080, description: 'Port to listen on (0 picks a free one).'}),
    quiet: Flags.boolean({description: 'Print only errors and refusals.'}),
    transport: transportFlag('How connections reach the pods: tunnel, spdy, websocket or auto, as for port-forward.'),
  }

  static strict = false
  static summary = 'Reach every Service by its cluster name through a local SOCKS5 and HTTP proxy'
  static usage = 'proxy [--address ADDR] [--port PORT] [options] [-- COMMAND [ARGS...]]'

  async run(): Promise<void> {
    const options = proxyOptions({afterDash: this.afterDash, beforeDash: this.operandsBeforeDash}, this.flags)
    const {client, namespace} = this.kube
    limitBufferGarbage()
    const {open, transport} = transportFor(client, this.flags.transport, this.flags.verbose >= 4 ? line => this.stderr(line) : undefined)
    process.exitCode = await runProxy({
      ...options,
      client,
      env: process.env,
      forward: forwardConnection,
      log: this.flags.verbose >= 6 ? line => this.stderr(line) : undefined,
      namespace,
      openTunnel: open,
      passthrough: this.flags.passthrough,
      signals: processSignals,
      sink: {stderr: text => process.stderr.write(text), stdout: text => process.stdout.write(text)},
      statusLine: options.mode === 'text' && Boolean(process.stderr.isTTY),
      transport,
      verbosity: this.flags.verbose,
    })
  }
}
