import {createServiceArgs, createServiceFlags, CreateServiceCommand} from '../../base/create-service-command.ts'
import type {ServiceOptions, ServiceType} from '../../generate/service.ts'

export default class CreateHeadless extends CreateServiceCommand<typeof CreateHeadless> {
  static aliases = ['create:service:headless', 'create:svc:headless']
  static args = createServiceArgs
  static description = 'Create a headless service (ClusterIP None): DNS returns the pod IPs, no virtual IP. Ports are optional.'
  static examples = [
    '<%= config.bin %> create headless db --tcp=5432',
    '<%= config.bin %> create headless peers --selector app=etcd',
  ]
  static flags = createServiceFlags
  static strict = false
  static usage = 'create headless NAME [--tcp=<port>:<targetPort>] [--dry-run=server|client|none]'

  protected serviceType: ServiceType = 'ClusterIP'

  protected typeOptions(): Partial<ServiceOptions> {
    return {clusterIP: 'None'}
  }
}
