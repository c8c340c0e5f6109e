// A kubeconfig file as its YAML reads: for tests that take a cluster's kubeconfig apart, change a
// field and write it back (client-node's KubeConfig renames and drops fields).

import yaml from 'js-yaml'

export interface KubeconfigDoc {
  apiVersion?: string
  clusters: Array<{cluster: {'certificate-authority-data'?: string; 'insecure-skip-tls-verify'?: boolean; 'proxy-url'?: string; server: string}; name: string}>
  contexts: Array<{context: {cluster: string; namespace?: string; user: string}; name: string}>
  'current-context'?: string
  kind?: string
  users: Array<{name: string; user: {'client-certificate-data'?: string; 'client-key-data'?: string; token?: string}}>
}

/** The kubeconfig text as a document. */
export function kubeconfigDoc(text: string): KubeconfigDoc {
  return yaml.load(text) as KubeconfigDoc
}
