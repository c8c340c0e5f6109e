import {Flags} from '@oclif/core'
import {dump} from 'js-yaml'

import {KubeCommand} from '../base/kube-command.ts'
import {outputFlag} from '../flags/index.ts'
import {type ServerVersion, versionInfo, type VersionInfo, versionText} from '../version/info.ts'

export default class Version extends KubeCommand<typeof Version> {
  static description = 'Print the svc client version and, when the cluster is reachable, the server version.'
  static examples = ['<%= config.bin %> version', '<%= config.bin %> version --client -o json']
  static flags = {
    client: Flags.boolean({description: 'If true, shows client version only (no server required).'}),
    output: outputFlag(['json', 'yaml'] as const, "One of 'yaml' or 'json'."),
  }

  async run(): Promise<VersionInfo> {
    let server: ServerVersion | undefined
    let failure: unknown
    if (!this.flags.client) {
      try {
        server = (await this.kube.client.request<ServerVersion>({path: '/version'})).body
      } catch (error) {
        failure = error
      }
    }
    const info = versionInfo(this.config.version, server)
    const format = this.flags.output
    if (format === 'json') this.stdout(`${JSON.stringify(info, null, 2)}\n`)
    else if (format === 'yaml') this.stdout(dump(info, {noArrayIndent: true}))
    else this.stdout(versionText(info))
    if (failure) throw failure
    return info
  }
}
