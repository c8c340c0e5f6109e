// `svc port-forward` from parsed arguments to exit code: resolve every target, start following
// them, listen, announce ready, then wait for a signal, a fatal error, or the end of `-- COMMAND`.

import fs from 'node:fs'
import path from 'node:path'

import {ApiError, CliError, UsageError} from '../kube/errors.ts'
import {formatHosts, ServiceAddresses} from './addresses.ts'
import {type AllScope, startAll} from './all-run.ts'
import {childEnvironment, type SignalSource, startChild} from './child.ts'
import {childPorts, forwardedServices, forwardVariables, hostsEntries, type TargetForward, type Via} from './forwards.ts'
import type {ListWatchClient} from './informer.ts'
import type {TargetSpec} from './operands.ts'
import {createReporter, type OutputMode, type Reporter, type Sink, type SkippedEvent} from './output.ts'
import {LiveArea, renderPanel} from './panel.ts'
import {joinHostPort, type ListenAddress, parseAddresses} from './ports.ts'
import {resolveTarget} from './resolve.ts'
import {formatDotenv, serviceVariables} from './service-env.ts'
import type {ForwardFn, Session} from './session.ts'
import {checkAliases, makeSession, type StartContext, viaOf} from './target-start.ts'
import type {TransportControl} from './transport-mode.ts'
import type {TunnelOpener, TunnelTarget} from './types.ts'

export {processSignals, type SignalSource} from './child.ts'

export interface PortForwardRequest {
  addresses: string[]
  client: ListWatchClient
  /** `-- COMMAND [ARGS...]`, when given. */
  command?: string[]
  env: NodeJS.ProcessEnv
  forward: ForwardFn
  /** Linger after a local half-close over a transport without one (ms; 0 = wait for the pod). */
  halfCloseTimeoutMs?: number
  /** Connections in a row failing with a permanent error before svc exits 1. */
  permanentErrorLimit?: number
  /** A forwards file's `context:`: that context's client, tunnel opener, transport and namespace. */
  connectionFor?: (context: string) => Via & {namespace: string}
  /** --all: every Service of these namespaces (all when undefined), watched. */
  all?: AllScope
  /** --address-per-service: each svc/ target listens on its own 127.x.y.z, keeping its port numbers where it can. */
  addressPerService?: boolean
  /** --hosts-file: hosts lines for the Services' own addresses, written once every target listens. */
  hostsFile?: string
  /** --dotenv: written once every target listens (SVC_PORT... and the Services' variables, dotenv). */
  envFile?: string
  /** -v logging (watch retries at 6 and more). */
  log?: (line: string) => void
  mode: OutputMode
  namespace: string
  /** --one-pod: a svc/ target forwards to one pod at a time, as kubectl does. */
  onePod: boolean
  openTunnel: TunnelOpener<TunnelTarget>
  podRunningTimeoutMs: number
  signals: SignalSource
  sink: Sink
  /** Draw the live status line on stderr. */
  statusLine: boolean
  /** The targets and their ports, in command-line order. */
  targets?: TargetSpec[]
  /** Shorthand for one target: `targets: [{target, portArgs}]`. */
  target?: string
  portArgs?: string[]
  transport?: TransportControl
  /** Watch retry backoff (tests shorten it). */
  watchBackoff?: {initialMs?: number; maxMs?: number}
}

export type {TransportControl} from './transport-mode.ts'

/** Runs the forward; resolves with the exit code, throws what the command must render. */
export async function portForward(request: PortForwardRequest): Promise<number> {
  const addresses = validateRequest(request)
  const specs = request.targets ?? [{portArgs: request.portArgs ?? [], target: request.target ?? ''}]
  const signals = new SignalGate(request.signals, request.command ? ['SIGINT', 'SIGTERM', 'SIGHUP'] : ['SIGINT', 'SIGTERM'])
  const forwards: TargetForward[] = []
  let panel: Panel | undefined
  try {
    const several = specs.length > 1 || request.all !== undefined
    // On a terminal: one target has kubectl's lines and a status line; several have a live panel.
    panel = request.statusLine && several ? new Panel(request.sink.stderr, forwards) : undefined
    const reporter = createReporter({live: panel?.area, mode: request.mode, sink: request.sink, statusLine: request.statusLine && !several})
    const addressBook = request.addressPerService ? new ServiceAddresses() : undefined
    const ctx: StartContext = {addressBook, addresses, forwards, live: panel?.area, reporter, request, stop: signals.stop.signal}
    const all = request.all ? await startAll(request.all, ctx) : undefined
    const started = all ? !signals.stop.signal.aborted : await startForwards(specs, ctx)
    if (!started) return 0
    // The files first: a script that saw the ready event finds them.
    const writeFiles = () => {
      if (request.envFile) writeFileAtomically(request.envFile, formatDotenv(forwardVariables(forwards)))
      if (request.hostsFile) writeFileAtomically(request.hostsFile, formatHosts(hostsEntries(forwards)))
    }
    writeFiles()
    announceReady(forwards, reporter, request.transport, all?.skipped)
    panel?.start()
    all?.announced(() => writeFiles())
    if (signals.interrupted && !request.command) return 0
    // Under --all a Service that ends is reported and dropped (all-run.ts); only a signal or the command ends svc.
    const finished = all ? new Promise<undefined>(() => {}) : allFinished(forwards, reporter)
    if (!request.command) {
      const fatal = await Promise.race([finished, signals.next().then(() => undefined)])
      if (fatal) throw fatal
      return 0
    }
    return await runCommand(request, forwards, finished, signals)
  } finally {
    panel?.stop()
    signals.unsubscribe()
    signals.stop.abort()
    await Promise.all(forwards.map(f => f.session?.close()))
    request.transport?.close?.()
  }
}

/** The checks made before any request; the parsed --address list. */
function validateRequest(request: PortForwardRequest): ListenAddress[] {
  if (request.podRunningTimeoutMs <= 0) throw new UsageError('--pod-running-timeout must be higher than zero')
  if ((request.halfCloseTimeoutMs ?? 0) < 0) throw new UsageError('--half-close-timeout must not be negative')
  if (request.permanentErrorLimit !== undefined && request.permanentErrorLimit < 1) throw new UsageError('--permanent-error-limit must be at least 1')
  if (request.all && request.onePod) throw new UsageError('--one-pod does not combine with --all: --all follows each Service\'s endpoints')
  if (request.envFile) checkWritable(request.envFile, '--dotenv')
  if (request.hostsFile && !request.addressPerService) throw new UsageError('--hosts-file needs --address-per-service: on one shared address, names cannot tell the Services apart')
  if (request.hostsFile) checkWritable(request.hostsFile, '--hosts-file')
  try {
    return parseAddresses(request.addresses)
  } catch (error) {
    throw new CliError((error as Error).message)
  }
}

/**
 * The signals caught while svc runs. Until next() or passTo() is called, a signal aborts `stop`
 * (start-up ends quietly, exit 0); then it goes to the waiter or to the command.
 */
class SignalGate {
  readonly stop = new AbortController()
  interrupted: NodeJS.Signals | undefined
  readonly unsubscribe: () => void
  private handler: (signal: NodeJS.Signals) => void

  constructor(source: SignalSource, signals: NodeJS.Signals[]) {
    this.handler = signal => {
      this.interrupted = signal
      this.stop.abort()
    }
    this.unsubscribe = source(signals, signal => this.handler(signal))
  }

  /** The next signal (or the one already caught). */
  next(): Promise<NodeJS.Signals> {
    if (this.interrupted) return Promise.resolve(this.interrupted)
    return new Promise(resolve => {
      this.handler = signal => {
        this.interrupted = signal
        resolve(signal)
      }
    })
  }

  /** From now on every signal goes to `handler` (the one already caught too). */
  passTo(handler: (signal: NodeJS.Signals) => void): void {
    if (this.interrupted) handler(this.interrupted)
    this.handler = handler
  }
}

/**
 * Resolves every target (in parallel), then binds their listeners, in the order given. The first
 * target that fails stops the others and its error is thrown, naming it when there are several.
 * Resolves false when a signal ended the start-up before the listeners.
 */
async function startForwards(specs: readonly TargetSpec[], ctx: StartContext): Promise<boolean> {
  const several = specs.length > 1
  const failed = new AbortController()
  const signal = AbortSignal.any([ctx.stop, failed.signal])
  let first: unknown
  const fail = (spec: TargetSpec, error: unknown) => {
    first ??= several ? namingTarget(spec.target, error) : error
    failed.abort()
  }
  for (const spec of specs) {
    const via = spec.context === undefined ? undefined : ctx.request.connectionFor?.(spec.context)
    ctx.forwards.push({namespace: spec.namespace ?? via?.namespace ?? ctx.request.namespace, spec, ...(via ? {via} : {})})
  }
  await Promise.all(ctx.forwards.map(f => prepareTarget(f, ctx, signal, several).catch(error => fail(f.spec, error))))
  if (ctx.stop.aborted) return false
  if (first !== undefined) throw first
  await checkAliases(ctx.forwards)
  for (const forward of ctx.forwards) {
    try {
      forward.bound = await forward.session?.listen()
    } catch (error) {
      throw several ? namingTarget(forward.spec.target, error) : error
    }
  }
  return true
}

/** One target up to (not including) its listeners: resolved, its pods followed, its session made. */
async function prepareTarget(forward: TargetForward, ctx: StartContext, signal: AbortSignal, several: boolean): Promise<void> {
  const {request} = ctx
  const resolved = await resolveTarget(forward.spec.target, forward.spec.portArgs, {
    client: viaOf(forward, request).client, namespace: forward.namespace, podRunningTimeoutMs: request.podRunningTimeoutMs, signal,
  })
  if (signal.aborted) return
  const reporter = several ? createReporter({live: ctx.live, mode: request.mode, sink: request.sink, target: forward.spec.target}) : ctx.reporter
  await makeSession(forward, resolved, ctx, reporter, signal)
}

/** An error of one target among several, with the target's name in front unless the server's text names it. */
function namingTarget(target: string, error: unknown): unknown {
  if (error instanceof ApiError || !(error instanceof Error)) return error
  return new CliError(`${target}: ${error.message}`)
}

/** The ready event: the target's own (one target, as before), or one listing every target (and --all's skipped Services). */
function announceReady(forwards: readonly TargetForward[], reporter: Reporter, transport: TransportControl | undefined, skipped?: SkippedEvent[]): void {
  const sessions = forwards.map(f => f.session).filter(s => s !== undefined)
  if (sessions.length === 1 && !skipped) {
    sessions[0].ready()
    return
  }
  const targets = forwards.flatMap(f => {
    if (!f.session) return []
    const {transport: _, ...event} = f.session.readyEvent()
    return [{...event, ...(f.spec.context ? {context: f.spec.context} : {})}]
  })
  reporter.readyAll({targets, ...(transport ? {transport: transport.name()} : {}), ...(skipped ? {skipped: [...skipped]} : {})})
}

/**
 * Settles when every session has ended: with the error of the last one (a lone target's fatal
 * error, as before). With several targets, one that ends is reported and the rest go on.
 */
function allFinished(forwards: readonly TargetForward[], reporter: Reporter): Promise<Error | undefined> {
  const sessions = forwards.map(f => ({session: f.session as Session, target: f.spec.target}))
  let left = sessions.length
  return new Promise(resolve => {
    for (const {session, target} of sessions) {
      void session.finished.then(error => {
        left--
        if (left === 0) {
          resolve(error)
        } else if (error) {
          reporter.error({fatal: true, message: `${target}: ${error.message}`})
          void session.close()
        }
      })
    }
  })
}

/** `-- COMMAND`: runs it with the ports in its environment; its exit status, or the forward's fatal error. */
async function runCommand(request: PortForwardRequest, forwards: readonly TargetForward[], finished: Promise<Error | undefined>, signals: SignalGate): Promise<number> {
  const command = request.command ?? []
  const env = childEnvironment(request.env, childPorts(forwards), serviceVariables(forwardedServices(forwards)))
  const child = startChild(command, {env, stderr: line => request.sink.stderr(`${line}\n`)})
  signals.passTo(signal => child.passOn(signal))
  const outcome = await Promise.race([
    child.exited.then(code => ({code})),
    finished.then(error => ({error})),
  ])
  if ('error' in outcome) {
    // The forward is gone for good: the command cannot use it any more.
    child.passOn('SIGTERM')
    await child.exited
    if (outcome.error) throw outcome.error
    return 1
  }
  return outcome.code
}

/** A file svc will write later can be written: its directory exists and is writable (checked before anything starts). */
function checkWritable(file: string, flag: string): void {
  try {
    fs.accessSync(path.dirname(path.resolve(file)), fs.constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new CliError(`${flag} ${file}: ${code === 'ENOENT' ? 'no such directory' : code === 'EACCES' ? 'permission denied' : (error as Error).message}`)
  }
}

/** The live panel of several targets: redrawn every 500 ms from the sessions' counters. */
class Panel {
  readonly area: LiveArea
  private readonly forwards: readonly TargetForward[]
  private timer: NodeJS.Timeout | undefined

  constructor(write: (text: string) => void, forwards: readonly TargetForward[]) {
    this.area = new LiveArea(write)
    this.forwards = forwards
  }

  start(): void {
    this.draw()
    this.timer = setInterval(() => this.draw(), 500)
    this.timer.unref()
  }

  stop(): void {
    clearInterval(this.timer)
    this.area.clear()
  }

  private draw(): void {
    const rows = this.forwards.flatMap(f => {
      if (!f.session || !f.bound) return []
      const snapshot = f.session.snapshot()
      const local = [...new Map(f.bound.listeners.map(l => [l.index, joinHostPort(l.address, l.localPort)])).values()]
      return [{...snapshot, local, target: f.spec.target}]
    })
    this.area.draw(renderPanel(rows, process.stderr.columns || 80))
  }
}

/** Writes a file that readers see whole or not at all (a temporary file renamed over it). */
function writeFileAtomically(file: string, text: string): void {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.${process.pid}.tmp`)
  try {
    fs.writeFileSync(temporary, text)
    fs.renameSync(temporary, file)
  } catch (error) {
    fs.rmSync(temporary, {force: true})
    throw new CliError(`cannot write ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
