// An exec credential plugin's failures in kubectl's words. client-node runs the plugin
// (ExecAuth.execFn, child_process.spawn) and fails with the plugin's stderr as its message, or
// Node's spawn error; kubectl (client-go plugin/pkg/client/auth/exec, Authenticator.refreshCredsLocked
// and wrapCmdRunErrorLocked) lets the plugin's stderr through to its own as it comes and fails the
// request with `getting credentials: exec: ...`, which kubectl prints as `Unable to connect to the
// server: ...` (the round tripper's url.Error).

import {spawn} from 'node:child_process'

import type {KubeConfig} from '@kubernetes/client-node'

import {ConnectionError} from './errors.ts'

/** client-go's installHintVerboseHelp, added once to `executable X not found`. */
const INSTALL_HINT = `

It looks like you are trying to use a client-go credential plugin that is not installed.

To learn more about this feature, consult the documentation available at:
      https://kubernetes.io/docs/reference/access-authn-authz/authentication/#client-go-credential-plugins`

/**
 * Makes client-node run the kubeconfig's exec plugins with their stderr passed to svc's, and
 * returns what reads a failure of the current user's plugin in kubectl's words (a ConnectionError
 * naming `server`), or undefined for any other error.
 */
export function runPluginsAsKubectl(kubeConfig: KubeConfig): (error: unknown, server: string) => ConnectionError | undefined {
  let exitCode: number | null | undefined
  const runner = (kubeConfig as unknown as {authenticators?: Array<{execFn?: unknown}>}).authenticators?.find(a => typeof a.execFn === 'function')
  if (runner) {
    runner.execFn = (command: string, args: readonly string[] | undefined, options: object) => {
      exitCode = undefined
      const child = spawn(command, args ?? [], options)
      // first, before client-node's own listeners
      child.on('close', code => (exitCode = code))
      child.stderr.on('data', (chunk: Buffer | string) => process.stderr.write(chunk))
      return child
    }
  }
  return (error, server) => {
    const exec = kubeConfig.getCurrentUser()?.exec as {command?: string; installHint?: string} | undefined
    if (!exec?.command) return undefined
    const {code, syscall} = error as NodeJS.ErrnoException
    const command = exec.command
    let words: string | undefined
    if (syscall?.startsWith('spawn') && code === 'ENOENT') {
      // exec.Command looks a name without a slash up in PATH (exec.Error); a path is tried as it is
      words = command.includes('/') ? `exec: fork/exec ${command}: no such file or directory` : `exec: executable ${command} not found${INSTALL_HINT}${exec.installHint ? `\n\n${exec.installHint}` : ''}`
    } else if (syscall?.startsWith('spawn') && code === 'EACCES') {
      words = `exec: fork/exec ${command}: permission denied`
    } else if (typeof exitCode === 'number' && exitCode !== 0) {
      words = `exec: executable ${command} failed with exit code ${exitCode}`
    }
    return words === undefined ? undefined : new ConnectionError(server, 'EXEC', `getting credentials: ${words}`)
  }
}
