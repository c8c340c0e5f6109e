import {readFileSync} from 'node:fs'

import {Flags} from '@oclif/core'

import {KubeCommand} from '../base/kube-command.ts'
import {dryRunSuffix, mutationFlags, printResult} from '../flags/mutation.ts'
import {applyOverrides, checkExposable, checkOverrideType, exposeService, parseResourceArgs} from '../generate/expose.ts'
import {parseManifest} from '../generate/manifest.ts'
import {withAnnotation} from '../generate/service.ts'
import {ApiError, CliError} from '../kube/errors.ts'
import {collectionPath, createObject} from '../kube/services.ts'
import type {UnstructuredObject} from '../kube/types.ts'
import {exposeOptions} from '../options/expose.ts'

export default class Expose extends KubeCommand<typeof Expose> {
  static description = `Expose a resource as a new Kubernetes service.

Looks up a deployment, service, replica set, replication controller or pod by name and uses the selector for that resource as the selector for a new service on the specified port. A deployment or replica set will be exposed as a service only if its selector is convertible to a selector that service supports, i.e. when the selector contains only the matchLabels component. Note that if no port is specified via --port and the exposed resource has multiple ports, all will be re-used by the new service. Also if no labels are specified, the new service will re-use the labels from the resource it exposes.

Possible resources include (case insensitive):

pod (po), service (svc), replicationcontroller (rc), deployment (deploy), replicaset (rs)`
  static examples = [
    '# Create a service for a replicated nginx, which serves on port 80 and connects to the containers on port 8000\n<%= config.bin %> expose rc nginx --port=80 --target-port=8000',
    '# Create a service for a pod valid-pod, which serves on port 444 with the name "frontend"\n<%= config.bin %> expose pod valid-pod --port=444 --name=frontend',
    '# Create a second service based on the above service, exposing the container port 8443 as port 443 with the name "nginx-https"\n<%= config.bin %> expose service nginx --port=443 --target-port=8443 --name=nginx-https',
    '# Create a service for an nginx deployment, which serves on port 80 and connects to the containers on port 8000\n<%= config.bin %> expose deployment nginx --port=80 --target-port=8000',
    '# svc: a NodePort with a fixed node port and sticky sessions for 10 minutes\n<%= config.bin %> expose deployment/web --port=80 --type=NodePort --node-port=30080 --session-affinity=ClientIP --session-affinity-timeout=600',
  ]
  static flags = {
    ...mutationFlags('kubectl-expose'),
    'cluster-ip': Flags.string({description: "ClusterIP to be assigned to the service. Leave empty to auto-allocate, or set to 'None' to create a headless service."}),
    'external-ip': Flags.string({description: 'Additional external IP address (not managed by Kubernetes) to accept for the service. If this IP is routed to a node, the service can be accessed by this IP in addition to its generated service IP.'}),
    filename: Flags.string({char: 'f', description: 'Filename, directory, or URL to files identifying the resource to expose a service', multiple: true, multipleNonGreedy: true}),
    labels: Flags.string({char: 'l', description: 'Labels to apply to the service created by this call.'}),
    'load-balancer-ip': Flags.string({description: 'IP to assign to the LoadBalancer. If empty, an ephemeral IP will be created and used (cloud-provider specific).'}),
    name: Flags.string({description: 'The name for the newly created object.'}),
    'node-port': Flags.string({description: 'svc: node port for every port of the service (type NodePort or LoadBalancer); 0 lets the cluster pick.'}),
    'override-type': Flags.string({default: 'merge', description: 'The method used to override the generated object: json, merge, or strategic.'}),
    overrides: Flags.string({description: 'An inline JSON override for the generated object. If this is non-empty, it is used to override the generated object. Requires that the object supply a valid apiVersion field.'}),
    port: Flags.string({description: 'The port that the service should serve on. Copied from the resource being exposed, if unspecified'}),
    protocol: Flags.string({description: "The network protocol for the service to be created. Default is 'TCP'."}),
    selector: Flags.string({description: 'A label selector to use for this service. Only equality-based selector requirements are supported. If empty (the default) infer the selector from the replication controller or replica set.)'}),
    'session-affinity': Flags.string({description: "If non-empty, set the session affinity for the service to this; legal values: 'None', 'ClientIP'"}),
    'session-affinity-timeout': Flags.string({description: 'svc: seconds a ClientIP affinity lasts, 1 to 86400 (the server default is 10800); needs --session-affinity=ClientIP.'}),
    'target-port': Flags.string({description: 'Name or number for the port on the container that the service should direct traffic to. Optional.'}),
    type: Flags.string({description: "Type for this service: ClusterIP, NodePort, LoadBalancer, or ExternalName. Default is 'ClusterIP'."}),
  }
  static strict = false
  static usage = 'expose (-f FILENAME | TYPE NAME) [--port=port] [--protocol=TCP|UDP|SCTP] [--target-port=number-or-name] [--name=name] [--external-ip=external-ip-of-service] [--type=type]'

  async run(): Promise<unknown[]> {
    const f = this.flags
    const {dryRun, output, service: spec} = exposeOptions(f, value => this.dryRunStrategy(value))
    const namespace = this.kube.namespace
    const objects = f.filename?.length ? this.fromFiles(f.filename) : [await this.fetch(this.operands, namespace)]
    const results: unknown[] = []
    for (const [index, obj] of objects.entries()) {
      let service = exposeService(obj, spec)
      if (f.overrides) service = applyOverrides(service, f.overrides, checkOverrideType(f['override-type']))
      let result = service
      if (dryRun === 'client') {
        if (f.namespace) result = {...service, metadata: {...service.metadata, namespace}}
      } else {
        const body = f['save-config'] ? withAnnotation(service, {typed: true}) : service
        result = await createObject(this.kube.client, collectionPath('', 'v1', namespace, 'services'), body,
          {dryRun: dryRun === 'server', fieldManager: f['field-manager']}, line => this.stderr(line))
      }
      this.stdout(printResult(result, output, {index, operation: `exposed${dryRunSuffix(dryRun)}`, showManagedFields: f['show-managed-fields'], typed: true}))
      results.push(result)
    }
    return results
  }

  private async fetch(args: string[], namespace: string): Promise<UnstructuredObject> {
    const ref = parseResourceArgs(args)
    const r = ref.resource
    try {
      const res = await this.kube.client.request<UnstructuredObject>({path: `${collectionPath(r.group, r.version, namespace, r.plural)}/${encodeURIComponent(ref.name)}`})
      checkExposable(res.body)
      return res.body
    } catch (error) {
      // A 404 that names no object: the server does not serve that resource at all (kubectl finds
      // this out from discovery).
      if (error instanceof ApiError && error.code === 404 && !error.status.details?.name) {
        throw new CliError(`the server doesn't have a resource type ${JSON.stringify(ref.type)}`)
      }
      throw error
    }
  }

  private fromFiles(files: string[]): UnstructuredObject[] {
    const out: UnstructuredObject[] = []
    for (const file of files) {
      let text: string
      try {
        text = readFileSync(file === '-' ? 0 : file, 'utf8')
      } catch {
        throw new CliError(`the path "${file}" does not exist`)
      }
      for (const m of parseManifest(file === '-' ? 'STDIN' : file, text)) {
        checkExposable(m.object)
        out.push(m.object)
      }
    }
    return out
  }
}
