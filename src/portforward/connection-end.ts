// What a port-forward session says and decides when one of its connections ends: the failure
// words, the error and closed events, and whether the session must end with it. Pure; the session
// (session.ts) applies the result. Table-tested in test/unit/portforward/connection-end.test.ts.

import {ApiError, CliError} from '../kube/errors.ts'
import type {Backend} from './balancer.ts'
import {isPermanentUpgradeError, onConnectionOutcome, type PermanentErrorState, upgradeErrorText} from './lifecycle.ts'
import type {ConnectionClosedEvent, ErrorEvent} from './output.ts'
import type {ForwardResult} from './types.ts'

/** A connection that could not be given a pod (no ready endpoint, pod/NAME lost). */
export class PickError extends Error {}

/** The reason a connection is aborted when its pod goes away. */
export class PodGoneError extends Error {}

/** The words for a failed connection, or undefined when it ended normally (`abortReason`: why its signal aborted). */
export function failureMessage(result: ForwardResult, abortReason: unknown): string | undefined {
  const error = result.error
  switch (result.reason) {
    case 'completed':
    case 'half-close-timeout':
    case 'local-closed':
      return undefined
    case 'aborted':
      return abortReason instanceof PodGoneError ? abortReason.message : undefined
    case 'open-failed':
      if (error instanceof PickError) return error.message
      return upgradeErrorText(error) ?? error?.message ?? 'unable to open the tunnel'
    default:
      return error?.message ?? result.reason
  }
}

/** A 401 or 403 answer to the upgrade ends the session, as kubectl ends at start. */
export function forbiddenUpgrade(result: ForwardResult): CliError | undefined {
  const error = result.error
  if (result.reason !== 'open-failed' || !(error instanceof ApiError) || (error.code !== 401 && error.code !== 403)) return undefined
  return new CliError(`error upgrading connection: ${error.status.message ?? error.message}`)
}

export interface ConnectionEndFacts {
  /** Why the connection's signal aborted, if it did. */
  abortReason: unknown
  /** The pod the connection was given, if any. */
  backend?: Backend
  durationMs: number
  id: number
  listener: {localPort: number; remotePort: number}
  /** Connections in a row failing permanently before the session ends. */
  permanentErrorLimit: number
  result: ForwardResult
}

export interface ConnectionEnd {
  closed: ConnectionClosedEvent
  /** The error line to report, if the connection failed and the line is not a repeat. */
  error?: ErrorEvent
  /** The error the session ends with, if this connection ends it. */
  fatal?: CliError
}

/**
 * The events for a finished connection and whether it ends the session. `state` counts the
 * permanent failures in a row (onConnectionOutcome) and is updated.
 */
export function connectionEnd(facts: ConnectionEndFacts, state: PermanentErrorState): ConnectionEnd {
  const {backend, id, listener, result} = facts
  const remotePort = backend?.port ?? listener.remotePort
  const message = failureMessage(result, facts.abortReason)
  const permanent = result.reason === 'open-failed' && isPermanentUpgradeError(result.error)
  const outcome = onConnectionOutcome(state, permanent, facts.permanentErrorLimit)
  const closed: ConnectionClosedEvent = {
    bytesIn: result.bytesIn,
    bytesOut: result.bytesOut,
    durationMs: facts.durationMs,
    id,
    localPort: listener.localPort,
    reason: result.reason,
    remotePort: listener.remotePort,
    ...(message === undefined ? {} : {error: message}),
    ...(backend ? {pod: backend.pod, podPort: backend.port} : {}),
  }
  const error: ErrorEvent | undefined = message !== undefined && outcome.report ? {
    id,
    localPort: listener.localPort,
    message: `an error occurred forwarding ${listener.localPort} -> ${remotePort}: ${message}`,
    remotePort,
    ...(backend ? {pod: backend.pod} : {}),
  } : undefined
  const fatal = outcome.exit ? new CliError(`${message} (${state.count} connections in a row; giving up)`) : forbiddenUpgrade(result)
  return {closed, ...(error ? {error} : {}), ...(fatal ? {fatal} : {})}
}
