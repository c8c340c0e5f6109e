import {createServiceArgs, createServiceFlags, CreateServiceCommand} from '../../base/create-service-command.ts'
import type {ServiceOptions, ServiceType} from '../../generate/service.ts'

export default class CreateLoadBalancer extends CreateServiceCommand<typeof CreateLoadBalancer> {
  static aliases = ['create:service:loadbalancer', 'create:svc:loadbalancer']
  static args = createServiceArgs
  static description = 'Create a LoadBalancer service.'
  static examples = ['# Create a new LoadBalancer service named my-lbs\n<%= config.bin %> create loadbalancer my-lbs --tcp=5678:8080']
  static flags = createServiceFlags
  static strict = false
  static usage = 'create loadbalancer NAME [--tcp=port:targetPort] [--dry-run=server|client|none]'

  protected serviceType: ServiceType = 'LoadBalancer'

  protected typeOptions(): Partial<ServiceOptions> {
    return {}
  }
}
