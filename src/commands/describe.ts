import {Args, Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {describeOne, type DescribeSettings, type SharedReads} from '../describe/describer.ts'
import {allNamespacesFlag, selectorFlag} from '../flags/index.ts'
import {MultiError} from '../kube/errors.ts'
import {getNamedServices, getService, isNotFound, listServices} from '../kube/service-ops.ts'
import {describeOptions} from '../options/describe.ts'
import {currentTime} from '../printers/human-duration.ts'

export default class Describe extends KubeCommand<typeof Describe> {
  static args = {names: Args.string({description: 'Service names (NAME, svc/NAME, or `svc NAME`); none describes every Service.', required: false})}
  static description = `Show details of Services: kubectl's describe text, then the pods behind each Service and why they are or are not ready, the Ingresses routing to it, how to reach it, and a diagnosis.

A NAME that matches no Service is taken as a prefix, as kubectl does. --compat prints exactly what kubectl describe prints.`
  static examples = [
    '<%= config.bin %> describe web',
    '<%= config.bin %> describe svc/web --compat',
    '<%= config.bin %> describe -l app=web',
    '<%= config.bin %> describe -A',
  ]
  static flags = {
    'all-namespaces': allNamespacesFlag,
    compat: Flags.boolean({description: 'Print exactly what kubectl describe service prints (no Backends, Routes, Access or Diagnosis).'}),
    selector: selectorFlag,
    'show-events': Flags.boolean({allowNo: true, default: true, description: 'If true, display events related to the described object.'}),
  }
  static strict = false

  async run(): Promise<void> {
    const {allNamespaces: all, names, selector} = describeOptions(this.operands, this.flags)
    const client = this.kube.client
    const namespace = this.kube.namespace
    const settings: DescribeSettings = {
      compat: this.flags.compat,
      // the tunnel hint needs -n unless the Service is in the context's own namespace
      defaultNamespace: this.contextNamespace(),
      now: currentTime(),
      render: {chalk: this.chalkFor(), program: this.commandPath.replace(/ describe$/, '')},
      showEvents: this.flags['show-events'],
    }
    const shared: SharedReads = new Map()

    if (names.length === 0) {
      const {items} = await listServices(client, {labelSelector: selector, namespace: all ? undefined : namespace})
      if (items.length === 0) {
        this.stderr(all ? 'No resources found' : `No resources found in ${namespace} namespace.`)
        return
      }
      await this.describeEach(items, settings, shared)
      return
    }

    if (names.length === 1) {
      try {
        const svc = await getService(client, namespace, names[0])
        this.stdout(await describeOne(client, svc, settings, shared))
      } catch (error) {
        if (!isNotFound(error)) throw error
        // kubectl: a name that matches nothing is tried as a prefix; each match ends with a newline
        const {items} = await listServices(client, {namespace})
        const matches = items.filter(s => (s.metadata?.name ?? '').startsWith(names[0]))
        if (matches.length === 0) throw error
        for (const svc of matches) this.stdout(`${await describeOne(client, svc, settings, shared)}\n`)
      }
      return
    }

    const {errors, found} = await getNamedServices(client, namespace, names)
    await this.describeEach(found, settings, shared)
    if (errors.length > 0) throw new MultiError(errors)
  }

  private contextNamespace(): string {
    const kc = this.kube.config.kubeConfig
    return kc.getContextObject(kc.getCurrentContext())?.namespace || 'default'
  }

  // kubectl separates descriptions with a blank line: "\n\n" before every one but the first.
  private async describeEach(items: Parameters<typeof describeOne>[1][], settings: DescribeSettings, shared: SharedReads): Promise<void> {
    let first = true
    for (const svc of items) {
      const text = await describeOne(this.kube.client, svc, settings, shared)
      this.stdout(first ? text : `\n\n${text}`)
      first = false
    }
  }
}
