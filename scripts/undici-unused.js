// Stands in for undici inside svc's bundle (see scripts/build.ts). @kubernetes/client-node imports
// undici only to build fetch dispatchers (KubeConfig.applyToFetchOptions and its API clients);
// svc sends its requests with node:https via KubeConfig.applyToHTTPSOptions, so undici is never
// called. Loading it costs ~1.4 MB of JavaScript on every start; if a future change does reach it,
// this fails loudly instead of silently misbehaving.
function unused(name) {
  return class {
    constructor() {
      throw new Error(`undici.${name} is not part of the svc bundle; see scripts/build.ts`)
    }
  }
}

export const Agent = unused('Agent')
export const ProxyAgent = unused('ProxyAgent')
export function fetch() {
  throw new Error('undici.fetch is not part of the svc bundle; see scripts/build.ts')
}
