// The base of every svc command. It owns what is the same everywhere: the global flags, the
// kubeconfig and client, the output streams and colour policy, and the single place where any
// failure becomes kubectl's text and an exit code. Commands never call process.exit.

import path from 'node:path'

import {Command, type Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {globalFlags} from '../flags/index.ts'
import {KubeClient} from '../kube/client.ts'
import {type Environment, resolveKubeConfig, type ResolvedConfig} from '../kube/config.ts'
import {renderError} from '../kube/errors.ts'
import {colorEnabled, makeChalk} from '../printers/color.ts'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof KubeCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** A resolved connection: the client and the namespace to act in. */
export interface Kube {
  client: KubeClient
  config: ResolvedConfig
  namespace: string
}

export abstract class KubeCommand<T extends typeof Command> extends Command {
  static baseFlags = globalFlags

  protected args!: CommandArgs<T>
  protected flags!: CommandFlags<T>
  /** Every positional argument, in order (what a `strict = false` command takes as NAME...). */
  protected operands: string[] = []
  /** The environment kubeconfig resolution reads; tests may replace it. */
  protected environment?: Environment
  private kubeCache?: Kube

  /** `svc create clusterip`, or `kubectl svc ...` when run as a kubectl plugin. */
  get commandPath(): string {
    const invokedAs = path.basename(process.argv[1] ?? '')
    const bin = invokedAs === 'kubectl-svc' ? 'kubectl svc' : this.config.bin
    return [bin, ...(this.id ?? '').split(':').filter(Boolean)].join(' ')
  }

  /** The kubeconfig, client and namespace, resolved on first use so that offline commands need none. */
  get kube(): Kube {
    if (!this.kubeCache) {
      const config = resolveKubeConfig(
        {cluster: this.flags.cluster, context: this.flags.context, kubeconfig: this.flags.kubeconfig, namespace: this.flags.namespace, user: this.flags.user},
        this.environment,
      )
      const client = new KubeClient(config.kubeConfig, {
        log: line => this.stderr(line),
        timeoutMs: this.flags['request-timeout'],
        verbosity: this.flags.verbose,
      })
      this.kubeCache = {client, config, namespace: config.namespace}
    }
    return this.kubeCache
  }

  /** A chalk instance that colours only when stdout is a TTY and the format is for people. */
  chalkFor(stream: NodeJS.WriteStream = process.stdout, machineOutput = false): ChalkInstance {
    return makeChalk(colorEnabled({env: process.env, isTTY: Boolean(stream.isTTY), machineOutput}))
  }

  /** Writes data to stdout, as is (add the newline yourself). */
  stdout(text: string): void {
    process.stdout.write(text)
  }

  /** Writes one diagnostic line to stderr. */
  stderr(line: string): void {
    process.stderr.write(line.endsWith('\n') ? line : `${line}\n`)
  }

  protected async catch(err: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    // --help and --version are thrown as exits by oclif; let it handle those.
    if (err.oclif?.exit === 0 || err.message === 'EEXIT: 0') throw err
    const {exitCode, text} = renderError(err, {commandPath: this.commandPath, verbosity: this.flags?.verbose})
    this.stderr(text)
    process.exitCode = exitCode
  }

  protected async init(): Promise<void> {
    await super.init()
    const {args, argv, flags} = await this.parse({
      args: this.ctor.args,
      baseFlags: (super.ctor as typeof KubeCommand).baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    this.operands = (argv as unknown[]).map(String)
  }
}
