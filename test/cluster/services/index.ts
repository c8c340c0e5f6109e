// Service semantics of the local Kubernetes API server: v1 defaulting, ValidateService, clusterIP and
// nodePort allocation, update rules and release on delete, plus the field-error and name-validation helpers
// other kinds can reuse. See docs/cluster-svc.md.

export {createAllocators, AllocationError, IPAllocator, PortAllocator, type AllocatorOptions, type Allocators} from './allocators.ts'
export {prepareServiceCreate, prepareServiceUpdate, prepareServiceStatusUpdate, releaseService, canonicalService, defaultOnRead, warningsForService, type Prepared, type PrepareOptions} from './registry.ts'
export {setDefaultsService} from './defaults.ts'
export {validateService, validateServiceUpdate, validateServiceStatusUpdate, validateLoadBalancerStatus, validateClusterIPsRelatedFields, validatePortNumOrName, validateNonSpecialIP, validateIP, validateCIDR} from './validation.ts'
export {
  field,
  required,
  invalid,
  notSupported,
  duplicate,
  forbidden,
  tooLong,
  notFound,
  internalFieldError,
  asJSON,
  errorBody,
  errorString,
  aggregateMessage,
  invalidStatus,
  internalErrorStatus,
  badRequestStatus,
  notFoundStatus,
  alreadyExistsStatus,
  conflictStatus,
  goQuote,
  goJSON,
  child,
  index,
  key,
  type FieldError,
  type FieldErrorType,
  type Status,
  type StatusCause,
  type StatusDetails,
} from './errors.ts'
export {
  isDNS1035Label,
  isDNS1123Label,
  isDNS1123Subdomain,
  isValidPortName,
  isValidPortNum,
  isQualifiedName,
  isValidLabelValue,
  isValidPathSegmentName,
  regexError,
  validateDNS1123Label,
  validateDNS1123Subdomain,
  validateQualifiedName,
  validateLabels,
  validateAnnotations,
  validateObjectMeta,
  validateObjectMetaUpdate,
  validateKubeObjectMetaUpdate,
  validateCommonCreate,
  nameIsDNS1035Label,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  validateNamespaceName,
  type NameValidator,
} from './names.ts'
export {parseIP, parseCIDR, formatIP, type Family} from './ip.ts'
export {unknownServiceFields, unknownObjectMetaFields, serviceTypeError, OBJECT_META_SHAPE} from './schema.ts'
