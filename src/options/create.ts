// `svc create -f`'s checks on what it read, before any request (validate): every problem of every
// Service at once, then an empty input, then a namespace that contradicts --namespace.

import {CliError} from '../kube/errors.ts'
import {checkServiceManifest, describeOrigin, type ManifestObject} from '../generate/manifest.ts'

/** Throws kubectl's (or svc's) error for objects that cannot be created as they are; nothing has been sent yet. */
export function validateManifests(objects: ManifestObject[], options: {namespace?: string; skipRangeChecks: boolean}): void {
  const problems: string[] = []
  for (const m of objects) {
    for (const p of checkServiceManifest(m.object, {skipRangeChecks: options.skipRangeChecks})) {
      problems.push(`${describeOrigin(m)}: ${p.field ? `${p.field}: ` : ''}${p.message}`)
    }
  }
  if (problems.length > 0) throw new CliError([...problems, `nothing was created: fix the ${problems.length === 1 ? 'problem' : `${problems.length} problems`} above and run again`].join('\nerror: '))
  if (objects.length === 0) throw new CliError('no objects passed to create')
  const explicit = options.namespace
  for (const m of objects) {
    const ns = m.object.metadata?.namespace
    if (explicit && ns && ns !== explicit) {
      throw new CliError(`the namespace from the provided object "${ns}" does not match the namespace "${explicit}". You must pass '--namespace=${ns}' to perform this operation.`)
    }
  }
}
