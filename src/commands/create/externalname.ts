import {Flags} from '@oclif/core'

import {createServiceArgs, createServiceFlags, CreateServiceCommand} from '../../base/create-service-command.ts'
import type {ServiceOptions, ServiceType} from '../../generate/service.ts'
import {CliError} from '../../kube/errors.ts'

export default class CreateExternalName extends CreateServiceCommand<typeof CreateExternalName> {
  static aliases = ['create:service:externalname', 'create:svc:externalname']
  static args = createServiceArgs
  static description = 'Create an ExternalName service: a DNS CNAME to an outside name.'
  static examples = ['# Create a new ExternalName service named my-ns\n<%= config.bin %> create externalname my-ns --external-name bar.com']
  static flags = {
    ...createServiceFlags,
    'external-name': Flags.string({description: 'External name of service'}),
  }
  static strict = false
  static usage = 'create externalname NAME --external-name external.name [--dry-run=server|client|none]'

  protected serviceType: ServiceType = 'ExternalName'

  protected typeOptions(): Partial<ServiceOptions> {
    if (this.flags['external-name'] === undefined) throw new CliError('required flag(s) "external-name" not set')
    return {externalName: this.flags['external-name']}
  }
}
