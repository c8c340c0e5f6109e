// What the launcher gives kwok and the API server beyond flags: kwok's pod stages (how a pod on a
// kwok node becomes Running, honouring the local cluster's sim.svc.local/* annotations), the
// PortForward resource kwok reads its port-forward targets from, and the Node kwok manages.

import {READY_ANNOTATION, PHASE_ANNOTATION} from '../cluster/sim/pod-status.ts'

export const NODE_NAME = 'kwok-node-0'
/** The annotation kwok's --manage-nodes-with-annotation-selector picks its nodes by. */
export const NODE_ANNOTATION = 'kwok.x-k8s.io/node'
/**
 * The annotation the pod agent (pods.ts) puts on a pod once the pod's PortForward exists; kwok's
 * start stage waits for it, so no pod is Running before its ports can be forwarded.
 */
export const FORWARD_ANNOTATION = 'real-cluster.svc.local/port-forward'

/**
 * kwok's pod stages (kwok.x-k8s.io/v1alpha1 Stage, given in its --config file). With pod stages
 * in the configuration kwok uses no built-in pod stage, so both the start and the delete stage are here.
 *
 * - start: a scheduled pod that has no IP yet becomes Running with an IP, unless the local
 *   cluster's `sim.svc.local/phase: Pending` keeps it Pending. It waits for the pod agent's
 *   FORWARD_ANNOTATION: a kubelet reports a container running once the runtime has started it
 *   (pkg/kubelet/kubelet_pods.go `generateAPIPodStatus` from the runtime's container statuses),
 *   and from then on pods/portforward reaches its ports; kwok has no runtime, its port-forward reads
 *   the pod's PortForward object (pkg/kwok/server/debugging_port_forword.go `getPodsForward`), so
 *   the pod is Running only once that object exists. Without the gate a client that forwards as
 *   soon as the pod is Ready (a Deployment's pod, a user's script) can get kwok's
 *   `no forward found for port N`. Ready and ContainersReady follow
 *   `sim.svc.local/ready` (false: not ready, with the kubelet's ContainersNotReady reason, as the
 *   local cluster writes them). Later flips of that annotation are the launcher's (pods.ts): the
 *   stage never matches a pod with an IP again.
 * - delete: a pod being deleted loses its finalizers and is deleted at once (no grace period runs
 *   on a kwok node).
 */
export function podStages(): string {
  const ready = `(ne (lower (dig "metadata" "annotations" "${READY_ANNOTATION}" "" .)) "false")`
  return `apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: svc-pod-start
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'DoesNotExist'
    - key: '.spec.nodeName'
      operator: 'Exists'
    - key: '.status.podIP'
      operator: 'DoesNotExist'
    - key: '.metadata.annotations["${PHASE_ANNOTATION}"]'
      operator: 'NotIn'
      values: ['Pending', 'pending']
    - key: '.metadata.annotations["${FORWARD_ANNOTATION}"]'
      operator: 'Exists'
  next:
    statusTemplate: |
      {{ $now := Now }}
      {{ $ready := ${ready} }}
      {{ $names := list }}{{ range .spec.containers }}{{ $names = append $names .name }}{{ end }}
      conditions:
      - lastTransitionTime: {{ $now | Quote }}
        status: "True"
        type: Initialized
      - lastTransitionTime: {{ $now | Quote }}
        status: {{ if $ready }}"True"{{ else }}"False"{{ end }}
        type: Ready
        {{ if not $ready }}reason: ContainersNotReady
        message: {{ printf "containers with unready status: [%s]" (join " " $names) | Quote }}{{ end }}
      - lastTransitionTime: {{ $now | Quote }}
        status: {{ if $ready }}"True"{{ else }}"False"{{ end }}
        type: ContainersReady
        {{ if not $ready }}reason: ContainersNotReady
        message: {{ printf "containers with unready status: [%s]" (join " " $names) | Quote }}{{ end }}
      containerStatuses:
      {{ range .spec.containers }}
      - image: {{ .image | Quote }}
        name: {{ .name | Quote }}
        ready: {{ $ready }}
        restartCount: 0
        started: true
        state:
          running:
            startedAt: {{ $now | Quote }}
      {{ end }}
      hostIP: {{ NodeIPWith .spec.nodeName | Quote }}
      podIP: {{ PodIPWith .spec.nodeName ( or .spec.hostNetwork false ) ( or .metadata.uid "" ) ( or .metadata.name "" ) ( or .metadata.namespace "" ) | Quote }}
      phase: Running
      startTime: {{ $now | Quote }}
---
apiVersion: kwok.x-k8s.io/v1alpha1
kind: Stage
metadata:
  name: svc-pod-delete
spec:
  resourceRef:
    apiGroup: v1
    kind: Pod
  selector:
    matchExpressions:
    - key: '.metadata.deletionTimestamp'
      operator: 'Exists'
  next:
    finalizers:
      empty: true
    delete: true
`
}

/**
 * The PortForward resource kwok reads with --enable-crds=PortForward (one per pod, named after it).
 * The schema is kept open: kwok validates what it reads.
 */
export function portForwardCrd(): unknown {
  const open = {type: 'object', 'x-kubernetes-preserve-unknown-fields': true}
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: {name: 'portforwards.kwok.x-k8s.io'},
    spec: {
      group: 'kwok.x-k8s.io',
      names: {kind: 'PortForward', listKind: 'PortForwardList', plural: 'portforwards', singular: 'portforward'},
      scope: 'Namespaced',
      versions: [{
        name: 'v1alpha1',
        schema: {openAPIV3Schema: {properties: {spec: open, status: open}, type: 'object'}},
        served: true,
        storage: true,
        subresources: {status: {}},
      }],
    },
  }
}

/** The Node kwok manages: its kubelet API is kwok's server on loopback. */
export function nodeObject(): unknown {
  return {
    apiVersion: 'v1',
    kind: 'Node',
    metadata: {
      annotations: {[NODE_ANNOTATION]: 'fake', 'node.alpha.kubernetes.io/ttl': '0'},
      labels: {'kubernetes.io/hostname': NODE_NAME, 'kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', type: 'kwok'},
      name: NODE_NAME,
    },
    spec: {podCIDR: '10.244.0.0/16', podCIDRs: ['10.244.0.0/16']},
  }
}
