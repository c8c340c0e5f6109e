// ValidateService rule by rule, in code order, on stored-shape (defaulted and allocated) Services.
import assert from 'node:assert/strict'
import {describe, it} from 'node:test'

import {errorString, validateClusterIPsRelatedFields, validateService, validateServiceUpdate} from '../../cluster/services/index.ts'

/** A valid, fully allocated Service of the given type. */
function base(type = 'ClusterIP'): any {
  const s: any = {
    kind: 'Service',
    apiVersion: 'v1',
    metadata: {name: 'foo', namespace: 'default', resourceVersion: '1', uid: 'u1'},
    spec: {
      ports: [{name: 'http', protocol: 'TCP', port: 80, targetPort: 8080}],
      selector: {app: 'foo'},
      clusterIP: '10.96.1.2',
      clusterIPs: ['10.96.1.2'],
      type,
      sessionAffinity: 'None',
      ipFamilies: ['IPv4'],
      ipFamilyPolicy: 'SingleStack',
      internalTrafficPolicy: 'Cluster',
    },
    status: {loadBalancer: {}},
  }
  if (type === 'NodePort' || type === 'LoadBalancer') {
    s.spec.ports[0].nodePort = 30080
    s.spec.externalTrafficPolicy = 'Cluster'
  }
  if (type === 'LoadBalancer') s.spec.allocateLoadBalancerNodePorts = true
  if (type === 'ExternalName') {
    s.spec = {type, externalName: 'example.com', sessionAffinity: 'None', selector: {app: 'foo'}}
  }
  return s
}

function errs(s: any): string[] {
  return validateService(s).map(errorString)
}

const DNS1123_LABEL =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
const DNS1123_SUBDOMAIN =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"

describe('ValidateService accepts', () => {
  for (const t of ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']) {
    it(`a valid ${t} service`, () => assert.deepEqual(errs(base(t)), []))
  }
  it('a headless service without ports', () => {
    const s = base()
    s.spec.clusterIP = 'None'
    s.spec.clusterIPs = ['None']
    delete s.spec.ports
    assert.deepEqual(errs(s), [])
  })
  it('an ExternalName with a trailing dot', () => {
    const s = base('ExternalName')
    s.spec.externalName = 'example.com.'
    assert.deepEqual(errs(s), [])
  })
  it('port names that start with a digit (DNS-1123 labels)', () => {
    const s = base()
    s.spec.ports = [{name: '5678-8080', protocol: 'TCP', port: 5678, targetPort: 8080}, {name: '443-https', protocol: 'TCP', port: 443, targetPort: 'https'}]
    assert.deepEqual(errs(s), [])
  })
  it('the same port number with TCP and UDP', () => {
    const s = base()
    s.spec.ports = [{name: 'dns', protocol: 'UDP', port: 53, targetPort: 53}, {name: 'dns-tcp', protocol: 'TCP', port: 53, targetPort: 53}]
    assert.deepEqual(errs(s), [])
  })
  it('a ClientIP timeout of exactly 86400', () => {
    const s = base()
    s.spec.sessionAffinity = 'ClientIP'
    s.spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: 86400}}
    assert.deepEqual(errs(s), [])
  })
})

describe('ValidateService rejects (one rule per row, in code order)', () => {
  const cases: Array<{name: string; mutate: (s: any) => void; type?: string; want: string[]}> = [
    {name: 'empty name', mutate: (s) => delete s.metadata.name, want: ['metadata.name: Required value: name or generateName is required']},
    {name: 'missing namespace', mutate: (s) => delete s.metadata.namespace, want: ['metadata.namespace: Required value']},
    {
      name: 'invalid namespace',
      mutate: (s) => (s.metadata.namespace = 'Bad'),
      want: [`metadata.namespace: Invalid value: "Bad": ${DNS1123_LABEL}`],
    },
    {
      name: 'invalid label value',
      mutate: (s) => (s.metadata.labels = {app: 'a b'}),
      want: [
        "metadata.labels: Invalid value: \"a b\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')",
      ],
    },
    {
      name: 'invalid annotation key',
      mutate: (s) => (s.metadata.annotations = {'a/b/c': 'x'}),
      want: [
        "metadata.annotations: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    },
    {
      name: 'a non-standard finalizer without a prefix',
      mutate: (s) => (s.metadata.finalizers = ['custom']),
      want: ['metadata.finalizers[0]: Invalid value: "custom": name is neither a standard finalizer name nor is it fully qualified'],
    },
    {
      name: 'topology-mode and topology-aware-hints annotations disagree',
      mutate: (s) =>
        (s.metadata.annotations = {'service.kubernetes.io/topology-aware-hints': 'Auto', 'service.kubernetes.io/topology-mode': 'Disabled'}),
      want: [
        'metadata.annotations[service.kubernetes.io/topology-mode]: Invalid value: "Disabled": must match annotations[service.kubernetes.io/topology-aware-hints] when both are specified',
      ],
    },
    {name: 'no ports', mutate: (s) => delete s.spec.ports, want: ['spec.ports: Required value']},
    {
      name: 'LoadBalancer headless',
      type: 'LoadBalancer',
      mutate: (s) => {
        s.spec.clusterIP = 'None'
        s.spec.clusterIPs = ['None']
      },
      want: ["spec.clusterIPs[0]: Invalid value: \"None\": may not be set to 'None' for LoadBalancer services"],
    },
    {
      name: 'ExternalName with clusterIPs, ipFamilies and ipFamilyPolicy',
      type: 'ExternalName',
      mutate: (s) => {
        s.spec.clusterIP = '10.96.1.2'
        s.spec.clusterIPs = ['10.96.1.2']
        s.spec.ipFamilies = ['IPv4']
        s.spec.ipFamilyPolicy = 'SingleStack'
      },
      want: [
        'spec.clusterIPs: Forbidden: may not be set for ExternalName services',
        'spec.ipFamilies: Forbidden: may not be set for ExternalName services',
        'spec.ipFamilyPolicy: Forbidden: may not be set for ExternalName services',
      ],
    },
    {
      name: 'ExternalName that is not a DNS subdomain',
      type: 'ExternalName',
      mutate: (s) => (s.spec.externalName = 'Bar_com'),
      want: [`spec.externalName: Invalid value: "Bar_com": ${DNS1123_SUBDOMAIN}`],
    },
    {
      name: 'port name with upper case and a dot',
      mutate: (s) => (s.spec.ports[0].name = 'HTTP'),
      want: [`spec.ports[0].name: Invalid value: "HTTP": ${DNS1123_LABEL}`],
    },
    {
      name: 'port name with dots',
      mutate: (s) => (s.spec.ports[0].name = 'a.b'),
      want: ['spec.ports[0].name: Invalid value: "a.b": must not contain dots'],
    },
    {
      name: 'port too large',
      mutate: (s) => (s.spec.ports[0].port = 65536),
      want: ['spec.ports[0].port: Invalid value: 65536: must be between 1 and 65535, inclusive'],
    },
    {name: 'empty protocol', mutate: (s) => (s.spec.ports[0].protocol = ''), want: ['spec.ports[0].protocol: Required value']},
    {
      name: 'unsupported protocol',
      mutate: (s) => (s.spec.ports[0].protocol = 'ICMP'),
      want: ['spec.ports[0].protocol: Unsupported value: "ICMP": supported values: "SCTP", "TCP", "UDP"'],
    },
    {
      name: 'numeric targetPort out of range',
      mutate: (s) => (s.spec.ports[0].targetPort = 70000),
      want: ['spec.ports[0].targetPort: Invalid value: 70000: must be between 1 and 65535, inclusive'],
    },
    {
      name: 'named targetPort breaking every IANA rule it can',
      mutate: (s) => (s.spec.ports[0].targetPort = '-Very--Long-Name-'),
      want: [
        'spec.ports[0].targetPort: Invalid value: "-Very--Long-Name-": must be no more than 15 characters',
        'spec.ports[0].targetPort: Invalid value: "-Very--Long-Name-": must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)',
        'spec.ports[0].targetPort: Invalid value: "-Very--Long-Name-": must not contain consecutive hyphens',
        'spec.ports[0].targetPort: Invalid value: "-Very--Long-Name-": must not begin or end with a hyphen',
      ],
    },
    {
      name: 'named targetPort without a letter',
      mutate: (s) => (s.spec.ports[0].targetPort = '123'),
      want: ['spec.ports[0].targetPort: Invalid value: "123": must contain at least one letter (a-z)'],
    },
    {
      name: 'appProtocol that is not a qualified name',
      mutate: (s) => (s.spec.ports[0].appProtocol = 'a b'),
      want: [
        "spec.ports[0].appProtocol: Invalid value: \"a b\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')",
      ],
    },
    {
      name: 'selector key with two slashes',
      mutate: (s) => (s.spec.selector = {'a/b/c': 'x'}),
      want: [
        "spec.selector: Invalid value: \"a/b/c\": a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')",
      ],
    },
    {name: 'empty sessionAffinity', mutate: (s) => (s.spec.sessionAffinity = ''), want: ['spec.sessionAffinity: Required value']},
    {
      name: 'unsupported sessionAffinity',
      mutate: (s) => (s.spec.sessionAffinity = 'Sticky'),
      want: ['spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"'],
    },
    {
      name: 'ClientIP without a config',
      mutate: (s) => (s.spec.sessionAffinity = 'ClientIP'),
      want: ['spec.sessionAffinityConfig: Required value: when session affinity type is ClientIP'],
    },
    {
      name: 'ClientIP without clientIP',
      mutate: (s) => {
        s.spec.sessionAffinity = 'ClientIP'
        s.spec.sessionAffinityConfig = {}
      },
      want: ['spec.sessionAffinityConfig.clientIP: Required value: when session affinity type is ClientIP'],
    },
    {
      name: 'ClientIP without timeoutSeconds',
      mutate: (s) => {
        s.spec.sessionAffinity = 'ClientIP'
        s.spec.sessionAffinityConfig = {clientIP: {}}
      },
      want: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Required value: when session affinity type is ClientIP'],
    },
    {
      name: 'ClientIP timeout 0',
      mutate: (s) => {
        s.spec.sessionAffinity = 'ClientIP'
        s.spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: 0}}
      },
      want: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 0: must be greater than 0 and less than 86400'],
    },
    {
      name: 'ClientIP timeout 86401',
      mutate: (s) => {
        s.spec.sessionAffinity = 'ClientIP'
        s.spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: 86401}}
      },
      want: ['spec.sessionAffinityConfig.clientIP.timeoutSeconds: Invalid value: 86401: must be greater than 0 and less than 86400'],
    },
    {
      name: 'sessionAffinityConfig with None',
      mutate: (s) => (s.spec.sessionAffinityConfig = {clientIP: {timeoutSeconds: 10}}),
      want: ['spec.sessionAffinityConfig: Forbidden: must not be set when session affinity is None'],
    },
    {name: 'clusterIP without clusterIPs', mutate: (s) => delete s.spec.clusterIPs, want: ['spec.clusterIPs: Required value']},
    {
      name: 'clusterIPs[0] different from clusterIP',
      mutate: (s) => (s.spec.clusterIPs = ['10.96.1.3']),
      want: ['spec.clusterIPs: Invalid value: ["10.96.1.3"]: first value must match `clusterIP`'],
    },
    {
      name: 'clusterIPs without clusterIP',
      mutate: (s) => delete s.spec.clusterIP,
      want: ['spec.clusterIPs: Invalid value: ["10.96.1.2"]: must be empty when `clusterIP` is not specified'],
    },
    {
      name: 'unsupported and duplicate ipFamilies',
      mutate: (s) => (s.spec.ipFamilies = ['IPv5', 'IPv5']),
      want: [
        'spec.ipFamilies[0]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"',
        'spec.ipFamilies[1]: Unsupported value: "IPv5": supported values: "IPv4", "IPv6"',
        'spec.ipFamilies[1]: Duplicate value: "IPv5"',
      ],
    },
    {
      name: 'unsupported ipFamilyPolicy',
      mutate: (s) => (s.spec.ipFamilyPolicy = 'Both'),
      want: ['spec.ipFamilyPolicy: Unsupported value: "Both": supported values: "PreferDualStack", "RequireDualStack", "SingleStack"'],
    },
    {
      name: "'None' with a second IP",
      mutate: (s) => {
        s.spec.clusterIP = 'None'
        s.spec.clusterIPs = ['None', '10.96.1.2']
      },
      want: ['spec.clusterIPs: Invalid value: ["None","10.96.1.2"]: \'None\' must be the first and only value'],
    },
    {
      name: 'clusterIP that is not an IP',
      mutate: (s) => {
        s.spec.clusterIP = 'ten'
        s.spec.clusterIPs = ['ten']
      },
      want: ['spec.clusterIPs[0]: Invalid value: "ten": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)'],
    },
    {
      name: 'three clusterIPs of one family',
      mutate: (s) => (s.spec.clusterIPs = ['10.96.1.2', '10.96.1.3', '10.96.1.4']),
      want: [
        'spec.clusterIPs: Invalid value: ["10.96.1.2","10.96.1.3","10.96.1.4"]: may only hold up to 2 values',
        'spec.clusterIPs: Invalid value: ["10.96.1.2","10.96.1.3","10.96.1.4"]: may specify no more than one IP for each IP family',
      ],
    },
    {
      name: 'three clusterIPs of both families: only the count is wrong',
      mutate: (s) => {
        s.spec.clusterIPs = ['10.96.1.2', 'fd00::2', '10.96.1.4']
        s.spec.ipFamilies = ['IPv4', 'IPv6']
      },
      want: ['spec.clusterIPs: Invalid value: ["10.96.1.2","fd00::2","10.96.1.4"]: may only hold up to 2 values'],
    },
    {
      name: 'an IPv6 clusterIP for an IPv4 family',
      mutate: (s) => {
        s.spec.clusterIP = 'fd00::1'
        s.spec.clusterIPs = ['fd00::1']
      },
      want: ['spec.clusterIPs[0]: Invalid value: "fd00::1": expected an IPv4 value as indicated by `ipFamilies[0]`'],
    },
    {
      name: 'external IPs: invalid, loopback, unspecified, link-local, multicast',
      mutate: (s) => (s.spec.externalIPs = ['x', '127.0.0.1', '0.0.0.0', '169.254.1.1', '224.0.0.5']),
      want: [
        'spec.externalIPs[0]: Invalid value: "x": must be a valid IP address, (e.g. 10.9.8.7 or 2001:db8::ffff)',
        'spec.externalIPs[1]: Invalid value: "127.0.0.1": may not be in the loopback range (127.0.0.0/8, ::1/128)',
        'spec.externalIPs[2]: Invalid value: "0.0.0.0": may not be unspecified (0.0.0.0)',
        'spec.externalIPs[3]: Invalid value: "169.254.1.1": may not be in the link-local range (169.254.0.0/16, fe80::/10)',
        'spec.externalIPs[4]: Invalid value: "224.0.0.5": may not be in the link-local multicast range (224.0.0.0/24, ff02::/10)',
        'spec.externalTrafficPolicy: Required value',
      ],
    },
    {
      name: 'empty type',
      mutate: (s) => (s.spec.type = ''),
      want: ['spec.type: Required value'],
    },
    {
      name: 'unsupported type',
      mutate: (s) => (s.spec.type = 'Magic'),
      want: ['spec.type: Unsupported value: "Magic": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'],
    },
    {
      name: 'ClusterIP with a nodePort',
      mutate: (s) => (s.spec.ports[0].nodePort = 30080),
      want: ["spec.ports[0].nodePort: Forbidden: may not be used when `type` is 'ClusterIP'"],
    },
    {
      name: 'duplicate nodePort for one protocol',
      type: 'NodePort',
      mutate: (s) => s.spec.ports.push({name: 'b', protocol: 'TCP', port: 81, targetPort: 81, nodePort: 30080}),
      want: ['spec.ports[1].nodePort: Duplicate value: 30080'],
    },
    {
      name: 'loadBalancerSourceRanges on a ClusterIP service, one not a CIDR',
      mutate: (s) => (s.spec.loadBalancerSourceRanges = ['10.0.0.0/8', 'nope']),
      want: [
        "spec.LoadBalancerSourceRanges: Forbidden: may only be used when `type` is 'LoadBalancer'",
        'spec.LoadBalancerSourceRanges[1]: Invalid value: "nope": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    },
    {
      name: 'the source-ranges annotation on a ClusterIP service',
      mutate: (s) => (s.metadata.annotations = {'service.beta.kubernetes.io/load-balancer-source-ranges': '1.2.3.0/24, bad'}),
      want: [
        "metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Forbidden: may only be used when `type` is 'LoadBalancer'",
        'metadata.annotations[service.beta.kubernetes.io/load-balancer-source-ranges]: Invalid value: "bad": must be a valid CIDR value, (e.g. 10.9.8.0/24 or 2001:db8::/64)',
      ],
    },
    {
      name: 'allocateLoadBalancerNodePorts on a NodePort service',
      type: 'NodePort',
      mutate: (s) => (s.spec.allocateLoadBalancerNodePorts = true),
      want: ["spec.allocateLoadBalancerNodePorts: Forbidden: may only be used when `type` is 'LoadBalancer'"],
    },
    {
      name: 'LoadBalancer without allocateLoadBalancerNodePorts (the path has no spec.)',
      type: 'LoadBalancer',
      mutate: (s) => delete s.spec.allocateLoadBalancerNodePorts,
      want: ['allocateLoadBalancerNodePorts: Required value'],
    },
    {
      name: 'loadBalancerClass on a ClusterIP service',
      mutate: (s) => (s.spec.loadBalancerClass = 'example.com/lb'),
      want: ["spec.loadBalancerClass: Forbidden: may only be used when `type` is 'LoadBalancer'"],
    },
    {
      name: 'externalTrafficPolicy on a ClusterIP service',
      mutate: (s) => (s.spec.externalTrafficPolicy = 'Local'),
      want: ['spec.externalTrafficPolicy: Invalid value: "Local": may only be set for externally-accessible services'],
    },
    {
      name: 'unsupported externalTrafficPolicy',
      type: 'NodePort',
      mutate: (s) => (s.spec.externalTrafficPolicy = 'Global'),
      want: ['spec.externalTrafficPolicy: Unsupported value: "Global": supported values: "Cluster", "Local"'],
    },
    {
      name: 'healthCheckNodePort without ETP Local',
      type: 'LoadBalancer',
      mutate: (s) => (s.spec.healthCheckNodePort = 31000),
      want: ["spec.healthCheckNodePort: Invalid value: 31000: may only be set when `type` is 'LoadBalancer' and `externalTrafficPolicy` is 'Local'"],
    },
    {
      name: 'ETP Local without healthCheckNodePort',
      type: 'LoadBalancer',
      mutate: (s) => (s.spec.externalTrafficPolicy = 'Local'),
      want: ['spec.healthCheckNodePort: Required value'],
    },
    {name: 'missing internalTrafficPolicy', mutate: (s) => delete s.spec.internalTrafficPolicy, want: ['spec.internalTrafficPolicy: Required value']},
    {
      name: 'unsupported internalTrafficPolicy',
      mutate: (s) => (s.spec.internalTrafficPolicy = 'Node'),
      want: ['spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"'],
    },
    {
      name: 'unsupported trafficDistribution',
      mutate: (s) => (s.spec.trafficDistribution = 'Anywhere'),
      want: ['spec.trafficDistribution: Unsupported value: "Anywhere": supported values: "PreferClose"'],
    },
  ]
  for (const c of cases) {
    it(c.name, () => {
      const s = base(c.type)
      c.mutate(s)
      assert.deepEqual(errs(s), c.want)
    })
  }

  it('reports several rules at once, in code order', () => {
    const s = base('NodePort')
    s.metadata.name = '1abc'
    s.spec.ports = [{protocol: 'TCP', port: 0, targetPort: 80, nodePort: 30080}, {protocol: 'XTP', port: 81, targetPort: 81, nodePort: 30080}]
    s.spec.sessionAffinity = 'Sticky'
    s.spec.externalTrafficPolicy = ''
    s.spec.internalTrafficPolicy = 'Node'
    assert.deepEqual(errs(s), [
      "metadata.name: Invalid value: \"1abc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')",
      'spec.ports[0].name: Required value',
      'spec.ports[0].port: Invalid value: 0: must be between 1 and 65535, inclusive',
      'spec.ports[1].name: Required value',
      'spec.ports[1].protocol: Unsupported value: "XTP": supported values: "SCTP", "TCP", "UDP"',
      'spec.sessionAffinity: Unsupported value: "Sticky": supported values: "ClientIP", "None"',
      'spec.externalTrafficPolicy: Required value',
      'spec.internalTrafficPolicy: Unsupported value: "Node": supported values: "Cluster", "Local"',
    ])
  })

  it('renders Go-quoted and JSON values differently where Go does', () => {
    const s = base()
    s.spec.ports[0].name = 'a\tb'
    s.spec.ports[0].protocol = 'T<P'
    assert.deepEqual(errs(s), [
      `spec.ports[0].name: Invalid value: "a\\tb": ${DNS1123_LABEL}`,
      'spec.ports[0].protocol: Unsupported value: "T\\u003cP": supported values: "SCTP", "TCP", "UDP"',
    ])
  })
})

describe('ValidateServiceClusterIPsRelatedFields', () => {
  it('is skipped for ExternalName', () => {
    const s = base('ExternalName')
    s.spec.clusterIPs = ['x']
    assert.deepEqual(validateClusterIPsRelatedFields(s), [])
  })
  it('accepts a dual-stack pair', () => {
    const s = base()
    s.spec.clusterIPs = ['10.96.1.2', 'fd00::2']
    s.spec.ipFamilies = ['IPv4', 'IPv6']
    assert.deepEqual(validateClusterIPsRelatedFields(s), [])
  })
})

describe('ValidateServiceUpdate', () => {
  function upd(mutate: (s: any) => void, type = 'ClusterIP', mutateOld?: (s: any) => void): string[] {
    const old = base(type)
    mutateOld?.(old)
    const s = structuredClone(old)
    mutate(s)
    return validateServiceUpdate(s, old).map(errorString)
  }
  it('accepts an unchanged object', () => assert.deepEqual(upd(() => {}), []))
  it('refuses a changed clusterIP', () => {
    assert.deepEqual(
      upd((s) => {
        s.spec.clusterIP = '10.96.1.9'
        s.spec.clusterIPs = ['10.96.1.9']
      }),
      ['spec.clusterIPs[0]: Invalid value: ["10.96.1.9"]: may not change once set'],
    )
  })
  it('refuses an emptied clusterIPs (and ValidateService adds its own complaint)', () => {
    assert.deepEqual(
      upd((s) => delete s.spec.clusterIPs),
      ['spec.clusterIPs[0]: Invalid value: []: primary clusterIP can not be unset', 'spec.clusterIPs: Required value'],
    )
  })
  it('refuses dropping the secondary clusterIP without SingleStack', () => {
    assert.deepEqual(
      upd(
        (s) => {
          s.spec.clusterIPs = ['10.96.1.2']
          s.spec.ipFamilies = ['IPv4']
          s.spec.ipFamilyPolicy = 'PreferDualStack'
        },
        'ClusterIP',
        (o) => {
          o.spec.clusterIPs = ['10.96.1.2', 'fd00::2']
          o.spec.ipFamilies = ['IPv4', 'IPv6']
          o.spec.ipFamilyPolicy = 'PreferDualStack'
        },
      ),
      [
        'spec.ipFamilyPolicy: Invalid value: "PreferDualStack": must be set to \'SingleStack\' when releasing the secondary clusterIP',
        'spec.ipFamilyPolicy: Invalid value: "PreferDualStack": must be set to \'SingleStack\' when releasing the secondary ipFamily',
      ],
    )
  })
  it('refuses a changed ipFamily', () => {
    assert.deepEqual(
      upd((s) => (s.spec.ipFamilies = ['IPv6'])),
      [
        'spec.ipFamilies[0]: Invalid value: ["IPv6"]: may not change once set',
        'spec.clusterIPs[0]: Invalid value: "10.96.1.2": expected an IPv6 value as indicated by `ipFamilies[0]`',
      ],
    )
  })
  it('skips the clusterIP rules when either side is ExternalName', () => {
    assert.deepEqual(
      upd((s) => {
        s.spec = base('ExternalName').spec
      }),
      [],
    )
  })
  it('refuses a changed loadBalancerClass', () => {
    assert.deepEqual(
      upd((s) => (s.spec.loadBalancerClass = 'example.com/b'), 'LoadBalancer', (o) => (o.spec.loadBalancerClass = 'example.com/a')),
      ['spec.loadBalancerClass: Invalid value: "example.com/b": may not change once set'],
    )
  })
  it('refuses a changed healthCheckNodePort', () => {
    assert.deepEqual(
      upd((s) => (s.spec.healthCheckNodePort = 31001), 'LoadBalancer', (o) => {
        o.spec.externalTrafficPolicy = 'Local'
        o.spec.healthCheckNodePort = 31000
      }),
      ['spec.healthCheckNodePort: Forbidden: field is immutable'],
    )
  })
  it('refuses changed name, namespace and uid, and a missing resourceVersion', () => {
    assert.deepEqual(
      upd((s) => {
        s.metadata.name = 'bar'
        s.metadata.namespace = 'other'
        s.metadata.uid = 'u2'
        delete s.metadata.resourceVersion
      }),
      [
        'metadata.resourceVersion: Invalid value: "": must be specified for an update',
        'metadata.name: Invalid value: "bar": field is immutable',
        'metadata.namespace: Invalid value: "other": field is immutable',
        'metadata.uid: Invalid value: "u2": field is immutable',
      ],
    )
  })
})
