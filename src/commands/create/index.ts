import {Flags} from '@oclif/core'

import {KubeCommand} from '../../base/kube-command.ts'
import {dryRunSuffix, mutationFlags, parseOutput, parseValidate, printResult, validateFlag} from '../../flags/mutation.ts'
import {readManifests} from '../../generate/manifest.ts'
import {withAnnotation} from '../../generate/service.ts'
import {ApiError, MultiError, UsageError} from '../../kube/errors.ts'
import {collectionPath, createObject} from '../../kube/services.ts'
import {validateManifests} from '../../options/create.ts'

export default class Create extends KubeCommand<typeof Create> {
  static description = 'Create Services from files or stdin (YAML or JSON, several documents, kind: List). Every document is checked first; nothing is created if any is invalid.'
  static examples = [
    '<%= config.bin %> create -f web-svc.yaml',
    'cat svc.json | <%= config.bin %> create -f -',
    '<%= config.bin %> create -f manifests/ --dry-run=server -o yaml',
  ]
  static flags = {
    ...mutationFlags('kubectl-create'),
    filename: Flags.string({char: 'f', description: 'Filename, directory, or - for stdin, of the Services to create.', multiple: true, multipleNonGreedy: true}),
    recursive: Flags.boolean({char: 'R', default: false, description: 'Process the directory used in -f, --filename recursively.'}),
    validate: validateFlag,
  }

  static strict = false

  async run(): Promise<unknown[]> {
    if (this.operands.length > 0) throw new UsageError(`Unexpected args: [${this.operands.join(' ')}]`)
    const files = this.flags.filename ?? []
    if (files.length === 0) {
      throw new UsageError('must specify one of -f and -k')
    }
    const dryRun = this.dryRunStrategy(this.flags['dry-run'])
    const output = parseOutput(this.flags.output, {allowMissingKeys: this.flags['allow-missing-template-keys'], template: this.flags.template})
    const fieldValidation = parseValidate(this.flags.validate)

    const objects = readManifests(files, this.flags.recursive)
    const explicitNs = this.flags.namespace
    validateManifests(objects, {namespace: explicitNs, skipRangeChecks: fieldValidation === 'Ignore'})
    const needsServer = dryRun !== 'client'
    const defaultNs = explicitNs || (needsServer ? this.kube.namespace : this.namespaceWithoutServer())

    const errors: unknown[] = []
    const results: unknown[] = []
    let printed = 0
    for (const m of objects) {
      const obj = structuredClone(m.object)
      obj.metadata ??= {}
      obj.metadata.namespace ??= defaultNs
      // kubectl's RunCreate annotates (--save-config) before it looks at --dry-run: a client dry run shows it.
      const body = this.flags['save-config'] ? withAnnotation(obj) : obj
      let result = body
      if (needsServer) {
        try {
          result = await createObject(this.kube.client, collectionPath('', 'v1', obj.metadata.namespace, 'services'), body,
            {dryRun: dryRun === 'server', fieldManager: this.flags['field-manager'], fieldValidation}, line => this.stderr(line))
        } catch (error) {
          errors.push(addSource(error, m.source))
          continue
        }
      }
      this.stdout(printResult(result, output, {index: printed++, operation: `created${dryRunSuffix(dryRun)}`, showManagedFields: this.flags['show-managed-fields']}))
      results.push(result)
    }
    if (errors.length > 0) throw new MultiError(errors)
    return results
  }

  /** A client dry run needs no cluster: the context's namespace when there is a kubeconfig, else default. */
  private namespaceWithoutServer(): string {
    try {
      return this.kube.namespace
    } catch {
      return 'default'
    }
  }
}

/** kubectl's AddSourceToErr: `error when creating "<file>": ` inside the server's message. */
function addSource(error: unknown, source: string): unknown {
  if (error instanceof ApiError) {
    return new ApiError(error.code, {...error.status, message: `error when creating ${JSON.stringify(source)}: ${error.status.message ?? ''}`})
  }
  if (error instanceof Error) return new Error(`error when creating ${JSON.stringify(source)}: ${error.message}`)
  return error
}
