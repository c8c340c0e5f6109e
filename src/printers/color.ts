// The colour policy, and the only place chalk is configured. Colour is on only when the stream is
// a TTY, NO_COLOR is unset and the output is for people (not -o json|yaml|name); FORCE_COLOR turns
// it on anyway (FORCE_COLOR=0 turns it off), as chalk and most CLIs agree.

import {Chalk, type ChalkInstance} from 'chalk'

export interface ColorInputs {
  env: Record<string, string | undefined>
  isTTY: boolean
  /** True for machine formats: json, yaml, name. */
  machineOutput?: boolean
}

export function colorEnabled({env, isTTY, machineOutput}: ColorInputs): boolean {
  if (machineOutput) return false
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false
  if (env.FORCE_COLOR !== undefined) return !['0', 'false'].includes(env.FORCE_COLOR)
  if (env.TERM === 'dumb') return false
  return isTTY
}

/** A chalk instance with colour on or off; every coloured string in svc comes from one of these. */
export function makeChalk(enabled: boolean): ChalkInstance {
  return new Chalk({level: enabled ? 1 : 0})
}
