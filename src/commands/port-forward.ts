import {Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {flagValues} from '../flags/argv.ts'
import {allNamespacesFlag, durationFlag, halfCloseTimeoutFlag, outputFlag, selectorFlag, transportFlag} from '../flags/index.ts'
import {forwardConnection} from '../portforward/forward.ts'
import {DEFAULT_PERMANENT_ERROR_LIMIT} from '../portforward/lifecycle.ts'
import {limitBufferGarbage} from '../portforward/heap.ts'
import type {Via} from '../portforward/forwards.ts'
import {readForwardsFile} from '../portforward/forwards-file.ts'
import {portForward, processSignals} from '../portforward/run.ts'
import {transportFor} from '../portforward/transport-mode.ts'
import {portForwardOptions} from '../options/port-forward.ts'

export default class PortForward extends KubeCommand<typeof PortForward> {
  static description = `Forward one or more local ports to a pod, a Service's ready pods, or a Deployment's or ReplicaSet's pod.

Use TYPE/NAME (pod/, svc/, deployment/, rs/) to pick the target; TYPE defaults to pod. Each local connection gets its own tunnel: a failed connection is reported and closed, and the forward goes on. svc/ targets spread new connections over every ready endpoint as kube-proxy does (--one-pod: one pod at a time, as kubectl does); svc/, deployment/ and rs/ targets follow their pods through restarts and rollouts. Several targets may follow each other (svc/api 8080:80 svc/db :5432), each with its own ports, in one process. With -- COMMAND, the command runs once every port listens, with SVC_PORT, SVC_PORT_<REMOTE> and, for each Service, the variables Kubernetes gives pods (<NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT, ...) pointing at the local ports in its environment; its exit status becomes svc's.`

  static examples = [
    '<%= config.bin %> port-forward pod/mypod 5000 6000',
    '<%= config.bin %> port-forward svc/web 8080:80',
    '<%= config.bin %> port-forward service/myservice 8443:https',
    '<%= config.bin %> port-forward deployment/mydeployment :5000 -o json',
    '<%= config.bin %> port-forward --address 0.0.0.0 pod/mypod 8888:5000',
    '<%= config.bin %> port-forward svc/pg :5432 -- sh -c \'psql -h 127.0.0.1 -p "$SVC_PORT" -c "select 1"\'',
    '<%= config.bin %> port-forward svc/api 8080:80 svc/db :5432 pod/worker-0 9000',
  ]

  static flags = {
    address: Flags.string({
      default: ['localhost'],
      description: 'Addresses to listen on (comma separated). Only accepts IP addresses or localhost as a value. When localhost is supplied, svc binds both 127.0.0.1 and ::1 and fails only if neither can be bound.',
      multiple: true,
      multipleNonGreedy: true,
    }),
    filename: Flags.string({char: 'f', description: 'Read the targets from a forwards file (YAML: a list of target, ports, and optionally namespace, context, address; - for stdin), validated as a whole before anything starts. Takes no TYPE/NAME.'}),
    all: Flags.boolean({description: 'Forward every TCP port of every Service in the namespace (-n, repeatable; -A for all), narrowed by -l. Services are watched: new ones are forwarded, deleted ones closed; those that cannot be forwarded are listed once with the reason.'}),
    'all-namespaces': allNamespacesFlag,
    selector: selectorFlag,
    'address-per-service': Flags.boolean({description: 'Give each Service its own loopback address (127.x.y.z, the same for a given namespace/name on every run) and keep its port numbers where the OS allows (else a free port, printed). Other targets listen on --address.'}),
    'hosts-file': Flags.string({description: 'With --address-per-service: once every target listens, write hosts lines (127.x.y.z name name.ns name.ns.svc name.ns.svc.cluster.local) to this file. svc never edits /etc/hosts.'}),
    // Not --env-file: Node reads that option anywhere on its command line and exits 9 when the file does not exist yet (nodejs/node#54232).
    dotenv: Flags.string({description: 'Once every target listens, write the variables -- COMMAND gets (SVC_PORT..., and <NAME>_SERVICE_HOST, <NAME>_SERVICE_PORT, <NAME>_SERVICE_PORT_<PORT> for each Service) to this file as dotenv lines.'}),
    'half-close-timeout': halfCloseTimeoutFlag('Over the WebSocket transport, which cannot tell the pod that the local client stopped sending: after the client half-closes, how long the pod may stay silent before the connection is closed (like 1s or 30s; 0 waits for the pod to close). Longer keeps slow replies to clients that half-close; shorter frees finished connections sooner.'),
    'permanent-error-limit': Flags.integer({
      default: DEFAULT_PERMANENT_ERROR_LIMIT,
      description: 'How many connections in a row may fail with an error that retrying cannot fix (the server certificate fails verification) before svc exits 1. The first is reported; the others are not.',
    }),
    'one-pod': Flags.boolean({description: 'For svc/ targets: forward every connection to one pod (as kubectl does) instead of spreading them over all ready endpoints.'}),
    output: outputFlag(['json'] as const, 'Output format: json prints one event per line on stdout (listening, ready, connection-opened, connection-closed, error, target-changed).'),
    'pod-running-timeout': durationFlag({
      default: 60_000,
      defaultHelp: '1m0s',
      description: 'The length of time (like 5s, 2m, or 3h, higher than zero) to wait until at least one pod is running, and for a pod/ target to be running again after it went away.',
    }),
    quiet: Flags.boolean({description: 'Print only errors.'}),
    transport: transportFlag('How connections reach the pod: tunnel (one WebSocket to the pod carrying SPDY/3.1 streams for every connection, as kubectl 1.31+), spdy (SPDY/3.1 over a POST upgrade, kubectl\'s fallback), websocket (a v4 WebSocket per connection), or auto (tunnel, falling back to spdy when the tunnel upgrade is refused).'),
  }

  static strict = false
  static summary = 'Forward one or more local ports to a pod or a Service'
  static usage = 'port-forward TYPE/NAME [options] [LOCAL_PORT:]REMOTE_PORT [...[LOCAL_PORT_N:]REMOTE_PORT_N] [TYPE/NAME PORT...]... [-- COMMAND [ARGS...]]'

  async run(): Promise<void> {
    const {all, command, mode, targets} = portForwardOptions(
      {afterDash: this.afterDash, flags: this.flags, namespaces: flagValues(this.typedArgv, 'n', 'namespace'), operands: this.operandsBeforeDash},
      {
        forwardsFile: file => readForwardsFile(file, () => new Set(this.kube.config.kubeConfig.getContexts().map(c => c.name))),
        namespace: () => this.kube.namespace,
      },
    )
    const {client, namespace} = this.kube
    limitBufferGarbage()
    const {open, transport} = transportFor(client, this.flags.transport, this.flags.verbose >= 4 ? line => this.stderr(line) : undefined)
    try {
      process.exitCode = await portForward({
        addressPerService: this.flags['address-per-service'],
        all,
        addresses: this.flags.address,
        client,
        command,
        connectionFor: context => this.connectionFor(context),
        env: process.env,
        envFile: this.flags.dotenv,
        forward: forwardConnection,
        halfCloseTimeoutMs: this.flags['half-close-timeout'],
        hostsFile: this.flags['hosts-file'],
        permanentErrorLimit: this.flags['permanent-error-limit'],
        log: this.flags.verbose >= 6 ? line => this.stderr(line) : undefined,
        mode,
        namespace,
        onePod: this.flags['one-pod'],
        openTunnel: open,
        podRunningTimeoutMs: this.flags['pod-running-timeout'],
        signals: processSignals,
        sink: {stderr: text => process.stderr.write(text), stdout: text => process.stdout.write(text)},
        statusLine: mode === 'text' && Boolean(process.stderr.isTTY),
        targets,
        transport,
      })
    } finally {
      for (const via of this.contexts.values()) via.transport?.close?.()
    }
  }

  private readonly contexts = new Map<string, Via & {namespace: string}>()

  /** A forwards file's context: its own client and transport, made once. */
  private connectionFor(context: string): Via & {namespace: string} {
    let via = this.contexts.get(context)
    if (!via) {
      const {client, namespace} = this.kubeFor(context)
      const {open, transport} = transportFor(client, this.flags.transport, this.flags.verbose >= 4 ? line => this.stderr(line) : undefined)
      via = {client, namespace: this.flags.namespace ?? namespace, openTunnel: open, transport}
      this.contexts.set(context, via)
    }
    return via
  }
}
