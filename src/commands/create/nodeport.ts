import {Flags} from '@oclif/core'

import {createServiceArgs, createServiceFlags, CreateServiceCommand} from '../../base/create-service-command.ts'
import {parseIntFlag} from '../../flags/values.ts'
import type {ServiceOptions, ServiceType} from '../../generate/service.ts'

export default class CreateNodePort extends CreateServiceCommand<typeof CreateNodePort> {
  static aliases = ['create:service:nodeport', 'create:svc:nodeport']
  static args = createServiceArgs
  static description = 'Create a NodePort service.'
  static examples = [
    '# Create a new NodePort service named my-ns\n<%= config.bin %> create nodeport my-ns --tcp=5678:8080',
    '<%= config.bin %> create nodeport web --tcp=80:http --node-port=30080',
  ]
  static flags = {
    ...createServiceFlags,
    'node-port': Flags.string({description: 'Port used to expose the service on each node in a cluster.'}),
  }
  static strict = false
  static usage = 'create nodeport NAME [--tcp=port:targetPort] [--dry-run=server|client|none]'

  protected serviceType: ServiceType = 'NodePort'

  protected typeOptions(): Partial<ServiceOptions> {
    return {nodePort: parseIntFlag('node-port', this.flags['node-port']) ?? 0}
  }
}
