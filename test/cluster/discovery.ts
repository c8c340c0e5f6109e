/** Discovery documents: legacy (/api, /apis, /api/v1, /apis/G/V) and aggregated (apidiscovery.k8s.io v2 / v2beta1). */
import {GROUPS, RESOURCES, storageVersionHash, type ResourceDef} from './registry.ts'

export const SERVER_ADDRESS = '172.18.0.2:6443'

function byName(a: ResourceDef, b: ResourceDef): number {
  return a.plural < b.plural ? -1 : a.plural > b.plural ? 1 : 0
}

function resourcesOf(group: string, version: string): ResourceDef[] {
  return RESOURCES.filter((r) => r.group === group && r.version === version).sort(byName)
}

export function apiVersions(): any {
  return {kind: 'APIVersions', versions: ['v1'], serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: SERVER_ADDRESS}]}
}

function groupDoc(name: string, version: string): any {
  const gv = {groupVersion: `${name}/${version}`, version}
  return {name, versions: [gv], preferredVersion: gv}
}

export function apiGroupList(): any {
  return {kind: 'APIGroupList', apiVersion: 'v1', groups: GROUPS.map((g) => groupDoc(g.name, g.version))}
}

export function apiGroup(name: string): any | undefined {
  const g = GROUPS.find((x) => x.name === name)
  if (!g) return undefined
  return {kind: 'APIGroup', apiVersion: 'v1', ...groupDoc(g.name, g.version)}
}

/** APIResourceList for one group version, or undefined when not served. */
export function apiResourceList(group: string, version: string): any | undefined {
  const defs = resourcesOf(group, version)
  if (defs.length === 0) return undefined
  const resources: any[] = []
  for (const d of defs) {
    const entry: any = {name: d.plural, singularName: d.singular, namespaced: d.namespaced, kind: d.kind, verbs: d.verbs}
    if (d.shortNames) entry.shortNames = d.shortNames
    if (d.categories) entry.categories = d.categories
    entry.storageVersionHash = storageVersionHash(d)
    resources.push(entry)
    for (const [sub, s] of Object.entries(d.subresources).sort(([a], [b]) => (a < b ? -1 : 1))) {
      const subEntry: any = {name: `${d.plural}/${sub}`, singularName: '', namespaced: d.namespaced}
      if (s.group !== undefined) subEntry.group = s.group
      if (s.version !== undefined) subEntry.version = s.version
      subEntry.kind = s.kind
      subEntry.verbs = s.verbs
      resources.push(subEntry)
    }
  }
  const doc: any = {kind: 'APIResourceList'}
  if (group) doc.apiVersion = 'v1'
  doc.groupVersion = group ? `${group}/${version}` : version
  doc.resources = resources
  return doc
}

function discoveryVersion(group: string, version: string): any {
  return {
    version,
    resources: resourcesOf(group, version).map((d) => {
      const r: any = {
        resource: d.plural,
        responseKind: {group: d.group, version: d.version, kind: d.kind},
        scope: d.namespaced ? 'Namespaced' : 'Cluster',
        singularResource: d.singular,
        verbs: d.verbs,
      }
      if (d.shortNames) r.shortNames = d.shortNames
      if (d.categories) r.categories = d.categories
      const subs = Object.entries(d.subresources).sort(([a], [b]) => (a < b ? -1 : 1))
      if (subs.length) {
        r.subresources = subs.map(([name, s]) => ({
          subresource: name,
          responseKind: {group: s.group ?? d.group, version: s.version ?? d.version, kind: s.kind},
          verbs: s.verbs,
        }))
      }
      return r
    }),
    freshness: 'Current',
  }
}

/** The aggregated discovery list for /api (core group only) or /apis (named groups). */
export function aggregatedDiscovery(path: '/api' | '/apis', apiVersion: 'v2' | 'v2beta1'): any {
  const items = path === '/api'
    ? [{metadata: {creationTimestamp: null}, versions: [discoveryVersion('', 'v1')]}]
    : GROUPS.map((g) => ({metadata: {name: g.name, creationTimestamp: null}, versions: [discoveryVersion(g.name, g.version)]}))
  return {kind: 'APIGroupDiscoveryList', apiVersion: `apidiscovery.k8s.io/${apiVersion}`, metadata: {}, items}
}

/** Which aggregated discovery version the Accept header asks for, if any (first acceptable entry wins). */
export function aggregatedAccept(accept: string | undefined): 'v2' | 'v2beta1' | undefined {
  if (!accept) return undefined
  for (const part of accept.split(',')) {
    const p = part.replace(/\s+/g, '')
    if (!/as=APIGroupDiscoveryList/.test(p) || !/g=apidiscovery\.k8s\.io/.test(p)) continue
    if (/[;]v=v2(;|$)/.test(p)) return 'v2'
    if (/[;]v=v2beta1(;|$)/.test(p)) return 'v2beta1'
  }
  return undefined
}

export function version(): any {
  return {
    major: '1',
    minor: '35',
    emulationMajor: '1',
    emulationMinor: '35',
    minCompatibilityMajor: '1',
    minCompatibilityMinor: '34',
    gitVersion: 'v1.35.0',
    gitCommit: '66452049f3d692768c39c797b21b793dce80314e',
    gitTreeState: 'clean',
    buildDate: '2025-12-17T12:32:06Z',
    goVersion: 'go1.25.5',
    compiler: 'gc',
    platform: 'linux/amd64',
  }
}
