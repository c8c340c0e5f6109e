// What `svc version` reports, as pure data and text.

/** The API server's /version body (the fields svc prints). */
export interface ServerVersion {
  gitVersion: string
  major?: string
  minor?: string
  platform?: string
  [key: string]: unknown
}

export interface VersionInfo {
  clientVersion: {gitVersion: string; nodeVersion: string; platform: string}
  serverVersion?: ServerVersion
}

export function versionInfo(clientVersion: string, server?: ServerVersion): VersionInfo {
  const info: VersionInfo = {
    clientVersion: {gitVersion: `v${clientVersion}`, nodeVersion: process.versions.node, platform: `${process.platform}/${process.arch}`},
  }
  if (server) info.serverVersion = server
  return info
}

export function versionText(info: VersionInfo): string {
  let text = `Client Version: ${info.clientVersion.gitVersion}\n`
  if (info.serverVersion) text += `Server Version: ${info.serverVersion.gitVersion}\n`
  return text
}
