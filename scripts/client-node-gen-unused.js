// Stands in for @kubernetes/client-node's generated API (dist/gen/index.js) inside svc's bundle
// (see scripts/build.ts). Its KubeConfig imports the generated API only to build API clients
// (KubeConfig.makeApiClient); svc sends its own requests and never makes one. The generated API
// is hundreds of model classes that would otherwise be loaded on every start; if a future change
// does reach it, this fails loudly instead of silently misbehaving.
function unused(name) {
  return () => {
    throw new Error(`client-node's ${name} is not part of the svc bundle; see scripts/build.ts`)
  }
}

export const createConfiguration = unused('createConfiguration')
export const ServerConfiguration = class {
  constructor() {
    unused('ServerConfiguration')()
  }
}
