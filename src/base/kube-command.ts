// The base of every svc command. It owns what is the same everywhere: the global flags, the
// kubeconfig and client, the output streams and colour policy, and the single place where any
// failure becomes kubectl's text and an exit code. Commands never call process.exit.

import path from 'node:path'

import {Command, type Interfaces} from '@oclif/core'
import type {ChalkInstance} from 'chalk'

import {type FlagShape, kubectlArgv, operandsInOrder} from '../flags/argv.ts'
import {globalFlags} from '../flags/index.ts'
import {parseDryRun} from '../flags/mutation.ts'
import {KubeClient} from '../kube/client.ts'
import {type Environment, loadKubeConfig, type LoadedKubeConfig, type ResolvedConfig, selectContext} from '../kube/config.ts'
import {renderError} from '../kube/errors.ts'
import {impersonationFromTexts, resolveImpersonation} from '../kube/impersonation.ts'
import type {DryRun} from '../kube/service-ops.ts'
import {colorEnabled, makeChalk} from '../printers/color.ts'
import {klogWarning} from '../printers/klog.ts'

export type CommandFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof KubeCommand)['baseFlags'] & T['flags']>
export type CommandArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/** A resolved connection: the client and the namespace to act in. */
export interface Kube {
  client: KubeClient
  config: ResolvedConfig
  namespace: string
}

/**
 * The command's arguments with none read from stdin. oclif takes the first missing argument from
 * piped stdin (waiting up to 10 ms for it, and loading readline to read it), so `echo web | svc
 * delete` deleted Service web and `echo x | svc describe` described x; kubectl reads no argument
 * from stdin (`kubectl delete svc` then says no name was specified). Input is read only where a
 * command asks for it (`-f -`).
 */
function ignoringStdin(args: Interfaces.ArgInput | undefined): Interfaces.ArgInput {
  return Object.fromEntries(Object.entries(args ?? {}).map(([name, arg]) => [name, {...arg, ignoreStdin: true}]))
}

export abstract class KubeCommand<T extends typeof Command> extends Command {
  static baseFlags = globalFlags

  protected args!: CommandArgs<T>
  protected flags!: CommandFlags<T>
  /** Every positional argument, in order (what a `strict = false` command takes as NAME...). */
  protected operands: string[] = []
  /** The words after the first `--`, as typed (also the last ones of `operands`); undefined without `--`. */
  protected afterDash?: string[]
  /** The command's words before the one parse (a repeated single-valued flag still has every value). */
  protected typedArgv: string[] = []
  /** The environment kubeconfig resolution reads; tests may replace it. */
  protected environment?: Environment
  private kubeCache?: Kube
  /** The kubeconfig files, read once for every context the command connects to. */
  private loadedConfig?: LoadedKubeConfig

  /** `svc create clusterip`, or `kubectl svc ...` when run as a kubectl plugin. */
  get commandPath(): string {
    const invokedAs = path.basename(process.argv[1] ?? '')
    const bin = invokedAs === 'kubectl-svc' ? 'kubectl svc' : this.config.bin
    return [bin, ...(this.id ?? '').split(':').filter(Boolean)].join(' ')
  }

  /** The kubeconfig, client and namespace, resolved on first use so that offline commands need none. */
  get kube(): Kube {
    this.kubeCache ??= this.connect(this.flags.context)
    return this.kubeCache
  }

  /** Another context of the same kubeconfig (read once), with the same flags (a command that spans contexts). */
  protected kubeFor(context: string): Kube {
    return this.connect(context)
  }

  private connect(context: string | undefined): Kube {
    const f = this.flags
    this.loadedConfig ??= loadKubeConfig(f.kubeconfig, this.environment, f.server)
    const config = selectContext(this.loadedConfig, {
      certificateAuthority: f['certificate-authority'],
      clientCertificate: f['client-certificate'],
      clientKey: f['client-key'],
      cluster: f.cluster,
      context,
      insecureSkipTlsVerify: f['insecure-skip-tls-verify'],
      kubeconfig: f.kubeconfig,
      namespace: f.namespace,
      password: f.password,
      server: f.server,
      tlsServerName: f['tls-server-name'],
      token: f.token,
      user: f.user,
      username: f.username,
    })
    const userName = config.kubeConfig.getCurrentUser()?.name ?? ''
    const impersonation = resolveImpersonation(
      impersonationFromTexts(config.texts, userName),
      {as: this.flags.as, asGroup: this.flags['as-group'], asUid: this.flags['as-uid']},
      userName,
    )
    const client = new KubeClient(config.kubeConfig, {
      impersonation,
      log: line => this.stderr(line),
      timeoutMs: this.flags['request-timeout'],
      verbosity: this.flags.verbose,
    })
    return {client, config, namespace: config.namespace}
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
    if (text !== '') this.stderr(text)
    process.exitCode = exitCode
  }

  /** The operands before `--` (cobra's ArgsLenAtDash): kubectl counts only these as NAMEs. */
  protected get operandsBeforeDash(): string[] {
    return this.afterDash ? this.operands.slice(0, this.operands.length - this.afterDash.length) : this.operands
  }

  /**
   * --dry-run, parsed as kubectl's GetDryRunStrategy does for every command that has the flag, with
   * its deprecation warning printed at once in klog's format, as kubectl prints it.
   */
  protected dryRunStrategy(value: string | undefined): DryRun {
    const {at, strategy, warning} = parseDryRun(value)
    if (warning) this.stderr(klogWarning(warning, at ?? 'helpers.go:703'))
    return strategy
  }

  /**
   * The one parse of every command: kubectl's flag spellings are rewritten first (flags/argv.ts,
   * driven by the command's flag definitions), then oclif parses once.
   */
  protected async init(): Promise<void> {
    await super.init()
    const flagShapes = {...KubeCommand.baseFlags, ...this.ctor.flags} as Record<string, FlagShape>
    this.typedArgv = [...this.argv]
    this.argv = kubectlArgv(this.argv, flagShapes)
    const dash = this.argv.indexOf('--')
    this.afterDash = dash >= 0 ? this.argv.slice(dash + 1) : undefined
    const {args, argv, flags} = await this.parse({
      args: ignoringStdin(this.ctor.args),
      baseFlags: KubeCommand.baseFlags,
      enableJsonFlag: this.ctor.enableJsonFlag,
      flags: this.ctor.flags,
      strict: this.ctor.strict,
    })
    this.flags = flags as CommandFlags<T>
    this.args = args as CommandArgs<T>
    this.operands = operandsInOrder((argv as unknown[]).map(String), this.argv)
  }
}
