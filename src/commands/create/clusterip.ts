import {Flags} from '@oclif/core'

import {createServiceArgs, createServiceFlags, CreateServiceCommand} from '../../base/create-service-command.ts'
import type {ServiceOptions, ServiceType} from '../../generate/service.ts'

export default class CreateClusterIP extends CreateServiceCommand<typeof CreateClusterIP> {
  static aliases = ['create:service:clusterip', 'create:svc:clusterip']
  static args = createServiceArgs
  static description = 'Create a ClusterIP service.'
  static examples = [
    '# Create a new ClusterIP service named my-cs\n<%= config.bin %> create clusterip my-cs --tcp=5678:8080',
    '# Create a new ClusterIP service named my-cs (in headless mode)\n<%= config.bin %> create clusterip my-cs --clusterip="None"',
    '# Same, with kubectl\'s spelling\n<%= config.bin %> create service clusterip my-cs --tcp=5678:8080',
  ]
  static flags = {
    ...createServiceFlags,
    clusterip: Flags.string({description: "Assign your own ClusterIP or set to 'None' for a 'headless' service (no loadbalancing)."}),
  }
  static strict = false
  static usage = 'create clusterip NAME [--tcp=<port>:<targetPort>] [--dry-run=server|client|none]'

  protected serviceType: ServiceType = 'ClusterIP'

  protected typeOptions(): Partial<ServiceOptions> {
    return {clusterIP: this.flags.clusterip}
  }
}
