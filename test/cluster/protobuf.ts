// Request bodies in `application/vnd.kubernetes.protobuf`: kubectl's typed clients (`kubectl create
// service|deployment|namespace|ingress`, `kubectl delete`) send them. The envelope is the 4 bytes `k8s\0` followed
// by a runtime.Unknown {typeMeta{apiVersion, kind}, raw, contentEncoding, contentType}; `raw` is
// the object in the field numbering of k8s.io/api's generated.proto.
//
// This decoder knows the messages kubectl sends for the resources the local cluster serves and
// turns them into the JSON form the rest of the server already handles. Zero values are dropped,
// as `omitempty` JSON would have them (gogo-protobuf writes every non-pointer field, even empty).
// Unknown field numbers are skipped, as the real decoder does.

type FieldType =
  | 'string' | 'int' | 'bool' | 'map' | 'intorstring' | 'time' | 'quantity' | 'bytes'
  | {message: string}

/** `inline`: a Go struct embedded with `json:",inline"`, whose fields JSON puts in the parent. */
interface Field {name: string; type: FieldType; repeated?: boolean; inline?: boolean}

const s = (name: string): Field => ({name, type: 'string'})
const rs = (name: string): Field => ({name, type: 'string', repeated: true})
const i = (name: string): Field => ({name, type: 'int'})
const b = (name: string): Field => ({name, type: 'bool'})
const m = (name: string, message: string): Field => ({name, type: {message}})
const rm = (name: string, message: string): Field => ({name, type: {message}, repeated: true})
const map = (name: string): Field => ({name, type: 'map'})

/** Field numbers of the messages used (k8s.io/api and k8s.io/apimachinery generated.proto). */
const SCHEMAS: Record<string, Record<number, Field>> = {
  Unknown: {1: m('typeMeta', 'TypeMeta'), 2: {name: 'raw', type: 'bytes'}, 3: s('contentEncoding'), 4: s('contentType')},
  TypeMeta: {1: s('apiVersion'), 2: s('kind')},
  ObjectMeta: {
    1: s('name'), 2: s('generateName'), 3: s('namespace'), 4: s('selfLink'), 5: s('uid'), 6: s('resourceVersion'),
    7: i('generation'), 8: {name: 'creationTimestamp', type: 'time'}, 9: {name: 'deletionTimestamp', type: 'time'},
    10: i('deletionGracePeriodSeconds'), 11: map('labels'), 12: map('annotations'), 13: rm('ownerReferences', 'OwnerReference'),
    14: rs('finalizers'),
  },
  OwnerReference: {1: s('kind'), 3: s('name'), 4: s('uid'), 5: s('apiVersion'), 6: b('controller'), 7: b('blockOwnerDeletion')},
  LabelSelector: {1: map('matchLabels'), 2: rm('matchExpressions', 'LabelSelectorRequirement')},
  LabelSelectorRequirement: {1: s('key'), 2: s('operator'), 3: rs('values')},
  Service: {1: m('metadata', 'ObjectMeta'), 2: m('spec', 'ServiceSpec'), 3: m('status', 'ServiceStatus')},
  // k8s.io/api authorization/v1 generated.proto (kubectl auth can-i); the status is the server's to write
  SelfSubjectAccessReview: {1: m('metadata', 'ObjectMeta'), 2: m('spec', 'SelfSubjectAccessReviewSpec')},
  SelfSubjectAccessReviewSpec: {1: m('resourceAttributes', 'ResourceAttributes'), 2: m('nonResourceAttributes', 'NonResourceAttributes')},
  ResourceAttributes: {1: s('namespace'), 2: s('verb'), 3: s('group'), 4: s('version'), 5: s('resource'), 6: s('subresource'), 7: s('name')},
  NonResourceAttributes: {1: s('path'), 2: s('verb')},
  ServiceSpec: {
    1: rm('ports', 'ServicePort'), 2: map('selector'), 3: s('clusterIP'), 4: s('type'), 5: rs('externalIPs'),
    7: s('sessionAffinity'), 8: s('loadBalancerIP'), 9: rs('loadBalancerSourceRanges'), 10: s('externalName'),
    11: s('externalTrafficPolicy'), 12: i('healthCheckNodePort'), 13: b('publishNotReadyAddresses'),
    14: m('sessionAffinityConfig', 'SessionAffinityConfig'), 17: s('ipFamilyPolicy'), 18: rs('clusterIPs'), 19: rs('ipFamilies'),
    20: b('allocateLoadBalancerNodePorts'), 21: s('loadBalancerClass'), 22: s('internalTrafficPolicy'), 23: s('trafficDistribution'),
  },
  ServicePort: {1: s('name'), 2: s('protocol'), 3: i('port'), 4: {name: 'targetPort', type: 'intorstring'}, 5: i('nodePort'), 6: s('appProtocol')},
  SessionAffinityConfig: {1: m('clientIP', 'ClientIPConfig')},
  ClientIPConfig: {1: i('timeoutSeconds')},
  ServiceStatus: {1: m('loadBalancer', 'LoadBalancerStatus')},
  LoadBalancerStatus: {1: rm('ingress', 'LoadBalancerIngress')},
  LoadBalancerIngress: {1: s('ip'), 2: s('hostname'), 3: s('ipMode')},
  Deployment: {1: m('metadata', 'ObjectMeta'), 2: m('spec', 'DeploymentSpec')},
  DeploymentSpec: {
    1: i('replicas'), 2: m('selector', 'LabelSelector'), 3: m('template', 'PodTemplateSpec'), 4: m('strategy', 'DeploymentStrategy'),
    5: i('minReadySeconds'), 6: i('revisionHistoryLimit'), 7: b('paused'), 9: i('progressDeadlineSeconds'),
  },
  DeploymentStrategy: {1: s('type'), 2: m('rollingUpdate', 'RollingUpdateDeployment')},
  RollingUpdateDeployment: {1: {name: 'maxUnavailable', type: 'intorstring'}, 2: {name: 'maxSurge', type: 'intorstring'}},
  PodTemplateSpec: {1: m('metadata', 'ObjectMeta'), 2: m('spec', 'PodSpec')},
  PodSpec: {
    2: rm('containers', 'Container'), 3: s('restartPolicy'), 4: i('terminationGracePeriodSeconds'), 6: s('dnsPolicy'),
    7: map('nodeSelector'), 8: s('serviceAccountName'), 10: s('nodeName'), 16: s('hostname'), 17: s('subdomain'),
    19: s('schedulerName'), 20: rm('initContainers', 'Container'),
  },
  Container: {
    1: s('name'), 2: s('image'), 3: rs('command'), 4: rs('args'), 5: s('workingDir'), 6: rm('ports', 'ContainerPort'),
    7: rm('env', 'EnvVar'), 8: m('resources', 'ResourceRequirements'), 13: s('terminationMessagePath'), 14: s('imagePullPolicy'),
    16: b('stdin'), 17: b('stdinOnce'), 18: b('tty'), 20: s('terminationMessagePolicy'), 24: s('restartPolicy'),
  },
  ContainerPort: {1: s('name'), 2: i('hostPort'), 3: i('containerPort'), 4: s('protocol'), 5: s('hostIP')},
  EnvVar: {1: s('name'), 2: s('value')},
  ResourceRequirements: {1: {name: 'limits', type: 'map'}, 2: {name: 'requests', type: 'map'}},
  DeleteOptions: {1: i('gracePeriodSeconds'), 2: m('preconditions', 'Preconditions'), 3: b('orphanDependents'), 4: s('propagationPolicy'), 5: rs('dryRun')},
  Preconditions: {1: s('uid'), 2: s('resourceVersion')},
  // kubectl create namespace
  Namespace: {1: m('metadata', 'ObjectMeta'), 2: m('spec', 'NamespaceSpec')},
  NamespaceSpec: {1: rs('finalizers')},
  // k8s.io/api networking/v1 generated.proto (kubectl create ingress)
  Ingress: {1: m('metadata', 'ObjectMeta'), 2: m('spec', 'IngressSpec')},
  IngressSpec: {1: m('defaultBackend', 'IngressBackend'), 2: rm('tls', 'IngressTLS'), 3: rm('rules', 'IngressRule'), 4: s('ingressClassName')},
  IngressBackend: {3: m('resource', 'TypedLocalObjectReference'), 4: m('service', 'IngressServiceBackend')},
  TypedLocalObjectReference: {1: s('apiGroup'), 2: s('kind'), 3: s('name')},
  IngressServiceBackend: {1: s('name'), 2: m('port', 'ServiceBackendPort')},
  ServiceBackendPort: {1: s('name'), 2: i('number')},
  IngressTLS: {1: rs('hosts'), 2: s('secretName')},
  IngressRule: {1: s('host'), 2: {name: 'ingressRuleValue', type: {message: 'IngressRuleValue'}, inline: true}},
  IngressRuleValue: {1: m('http', 'HTTPIngressRuleValue')},
  HTTPIngressRuleValue: {1: rm('paths', 'HTTPIngressPath')},
  HTTPIngressPath: {1: s('path'), 2: m('backend', 'IngressBackend'), 3: s('pathType')},
}

export class ProtobufError extends Error {}

interface Reader {buf: Buffer; pos: number}

function varint(r: Reader): bigint {
  let result = 0n
  let shift = 0n
  for (;;) {
    if (r.pos >= r.buf.length) throw new ProtobufError('truncated varint')
    const byte = r.buf[r.pos++]
    result |= BigInt(byte & 0x7f) << shift
    if ((byte & 0x80) === 0) return result
    shift += 7n
    if (shift > 70n) throw new ProtobufError('varint too long')
  }
}

function bytes(r: Reader): Buffer {
  const len = Number(varint(r))
  if (r.pos + len > r.buf.length) throw new ProtobufError('truncated length-delimited field')
  const out = r.buf.subarray(r.pos, r.pos + len)
  r.pos += len
  return out
}

function skip(r: Reader, wire: number): void {
  if (wire === 0) varint(r)
  else if (wire === 1) r.pos += 8
  else if (wire === 2) bytes(r)
  else if (wire === 5) r.pos += 4
  else throw new ProtobufError(`unsupported wire type ${wire}`)
}

/** Reads every (field number, wire type, value reader) of a message. */
function* fields(buf: Buffer): Generator<{num: number; wire: number; r: Reader}> {
  const r: Reader = {buf, pos: 0}
  while (r.pos < buf.length) {
    const key = Number(varint(r))
    yield {num: key >>> 3, wire: key & 7, r}
  }
}

function toInt(v: bigint): number {
  // int32/int64 fields: two's complement in 64 bits.
  return Number(BigInt.asIntN(64, v))
}

function decodeMap(entries: Buffer[], valueIsQuantity = false): Record<string, string> {
  const out: Record<string, string> = {}
  for (const e of entries) {
    let key = ''
    let value = ''
    for (const f of fields(e)) {
      if (f.num === 1 && f.wire === 2) key = bytes(f.r).toString('utf8')
      else if (f.num === 2 && f.wire === 2) {
        const raw = bytes(f.r)
        value = valueIsQuantity ? decodeMessageRaw(raw, {1: s('string')}).string ?? '' : raw.toString('utf8')
      } else skip(f.r, f.wire)
    }
    out[key] = value
  }
  return out
}

function decodeMessageRaw(buf: Buffer, schema: Record<number, Field>): Record<string, any> {
  const out: Record<string, any> = {}
  const mapEntries: Record<string, Buffer[]> = {}
  for (const f of fields(buf)) {
    const field = schema[f.num]
    if (!field) {
      skip(f.r, f.wire)
      continue
    }
    let value: any
    const t = field.type
    if (t === 'map') {
      if (f.wire !== 2) throw new ProtobufError(`field ${field.name}: wire type ${f.wire}`)
      ;(mapEntries[field.name] ??= []).push(bytes(f.r))
      continue
    }
    if (t === 'string' || t === 'bytes') {
      if (f.wire !== 2) throw new ProtobufError(`field ${field.name}: wire type ${f.wire}`)
      const raw = bytes(f.r)
      value = t === 'bytes' ? Buffer.from(raw) : raw.toString('utf8')
    } else if (t === 'int' || t === 'bool') {
      if (f.wire !== 0) throw new ProtobufError(`field ${field.name}: wire type ${f.wire}`)
      const v = varint(f.r)
      value = t === 'bool' ? v !== 0n : toInt(v)
    } else if (t === 'intorstring') {
      const io = decodeMessageRaw(bytes(f.r), {1: i('type'), 2: i('intVal'), 3: s('strVal')})
      value = io.type === 1 ? io.strVal ?? '' : io.intVal ?? 0
    } else if (t === 'time') {
      const tm = decodeMessageRaw(bytes(f.r), {1: i('seconds'), 2: i('nanos')})
      value = tm.seconds ? new Date(tm.seconds * 1000).toISOString().replace(/\.\d+Z$/, 'Z') : undefined
    } else if (t === 'quantity') {
      value = decodeMessageRaw(bytes(f.r), {1: s('string')}).string
    } else {
      value = decodeMessageRaw(bytes(f.r), SCHEMAS[t.message])
    }
    if (field.inline) Object.assign(out, value)
    else if (field.repeated) (out[field.name] ??= []).push(value)
    else out[field.name] = value
  }
  for (const [name, entries] of Object.entries(mapEntries)) {
    out[name] = decodeMap(entries, name === 'limits' || name === 'requests')
  }
  return out
}

/** Drops the zero values gogo-protobuf writes and omitempty JSON leaves out. */
function prune(value: any, keepZero: boolean): any {
  if (Array.isArray(value)) return value.map((v) => prune(v, true))
  if (value && typeof value === 'object' && !Buffer.isBuffer(value)) {
    const out: Record<string, any> = {}
    for (const [k, v] of Object.entries(value)) {
      const p = prune(v, false)
      if (p !== undefined) out[k] = p
    }
    return Object.keys(out).length === 0 && !keepZero ? undefined : out
  }
  if (!keepZero && (value === '' || value === 0 || value === false || value === undefined)) return undefined
  return value
}

/** The kinds this decoder can read, by kind name. */
export function knowsKind(kind: string): boolean {
  return Object.hasOwn(SCHEMAS, kind) && kind !== 'Unknown'
}

/**
 * Decodes a `application/vnd.kubernetes.protobuf` body into the JSON object (with apiVersion and
 * kind from the envelope). Throws ProtobufError for anything that is not a well-formed envelope.
 */
export function decodeKubernetesProtobuf(body: Buffer): any {
  if (body.length < 4 || body.readUInt32BE(0) !== 0x6b387300) throw new ProtobufError('provided data does not appear to be a protobuf message, expected prefix [107 56 115 0]')
  const unknown = decodeMessageRaw(body.subarray(4), SCHEMAS.Unknown)
  const kind: string = unknown.typeMeta?.kind ?? ''
  const apiVersion: string = unknown.typeMeta?.apiVersion ?? ''
  if (!knowsKind(kind)) throw new ProtobufError(`no kind "${kind}" is registered for version "${apiVersion}"`)
  const raw: Buffer = unknown.raw ?? Buffer.alloc(0)
  const obj = prune(decodeMessageRaw(raw, SCHEMAS[kind]), true) ?? {}
  // Zero values that are meaningful in JSON for these types.
  if (kind === 'Deployment' && obj.spec && obj.spec.replicas === undefined && hasField(raw, [2, 1])) obj.spec.replicas = 0
  return {kind, apiVersion, ...obj}
}

/** Whether a nested field path (field numbers) is present in the message. */
function hasField(buf: Buffer, path: number[]): boolean {
  for (const f of fields(buf)) {
    if (f.num !== path[0]) {
      skip(f.r, f.wire)
      continue
    }
    if (path.length === 1) return true
    if (f.wire !== 2) return false
    return hasField(bytes(f.r), path.slice(1))
  }
  return false
}
