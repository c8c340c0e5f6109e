import {Args} from '@oclif/core'

import {CliError, UsageError} from '../../kube/errors.ts'
import {KubeCommand} from '../../base/kube-command.ts'

/** `svc create service` (kubectl's spelling) without a known type: list the types, or refuse the unknown one. */
export default class CreateService extends KubeCommand<typeof CreateService> {
  static aliases = ['create:svc']
  static args = {type: Args.string({description: 'clusterip, externalname, headless, loadbalancer or nodeport'})}
  static description = 'Create a service using a specified subcommand (clusterip, externalname, headless, loadbalancer, nodeport).'
  static strict = false

  async run(): Promise<void> {
    if (this.args.type !== undefined) throw new UsageError(`unknown command ${JSON.stringify(this.args.type)}`)
    throw new CliError(`create a service using a specified subcommand:
  clusterip      Create a ClusterIP service
  externalname   Create an ExternalName service
  headless       Create a headless service (svc)
  loadbalancer   Create a LoadBalancer service
  nodeport       Create a NodePort service
Usage: svc create service TYPE NAME [flags], or svc create TYPE NAME [flags]`)
  }
}
