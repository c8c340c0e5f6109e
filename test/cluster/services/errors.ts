// Field errors and metav1.Status objects, rendered byte for byte the way apimachinery does it.
// Sources: k8s.io/apimachinery pkg/util/validation/field/errors.go (ErrorBody, the constructors),
// pkg/util/errors/errors.go (aggregate) and pkg/api/errors/errors.go (NewInvalid, NewInternalError, ...).

import {status, type Status, type StatusCause, type StatusDetails} from '../status.ts'

export type FieldErrorType =
  | 'FieldValueRequired'
  | 'FieldValueInvalid'
  | 'FieldValueNotSupported'
  | 'FieldValueDuplicate'
  | 'FieldValueForbidden'
  | 'FieldValueTooLong'
  | 'FieldValueNotFound'
  | 'InternalError'

const TYPE_STRINGS: Record<FieldErrorType, string> = {
  FieldValueRequired: 'Required value',
  FieldValueInvalid: 'Invalid value',
  FieldValueNotSupported: 'Unsupported value',
  FieldValueDuplicate: 'Duplicate value',
  FieldValueForbidden: 'Forbidden',
  FieldValueTooLong: 'Too long',
  FieldValueNotFound: 'Not found',
  InternalError: 'Internal error',
}

/**
 * A bad value is rendered by its Go type: int and bool with %v, a plain Go `string` with %q, anything else
 * (slices, maps, pointers, structs, and named string types such as core.Protocol) as JSON.
 * Numbers and booleans pick %v, strings pick %q; wrap a value in `asJSON` to force the JSON form.
 */
export class GoJSON {
  readonly value: unknown
  constructor(value: unknown) {
    this.value = value
  }
}

/** Marks a value whose Go type renders as JSON (a named string type, a pointer, a slice, a struct). */
export function asJSON(value: unknown): GoJSON {
  return new GoJSON(value)
}

export interface FieldError {
  type: FieldErrorType
  field: string
  badValue: unknown
  detail: string
}

export function required(field: string, detail = ''): FieldError {
  return {type: 'FieldValueRequired', field, badValue: '', detail}
}

export function invalid(field: string, value: unknown, detail: string): FieldError {
  return {type: 'FieldValueInvalid', field, badValue: value, detail}
}

/** NotSupported: the detail lists the supported values, each strconv.Quote'd, joined with ", ". */
export function notSupported(field: string, value: unknown, validValues: readonly string[]): FieldError {
  const detail = validValues.length > 0 ? 'supported values: ' + validValues.map((v) => goQuote(v)).join(', ') : ''
  return {type: 'FieldValueNotSupported', field, badValue: value, detail}
}

export function duplicate(field: string, value: unknown): FieldError {
  return {type: 'FieldValueDuplicate', field, badValue: value, detail: ''}
}

export function forbidden(field: string, detail: string): FieldError {
  return {type: 'FieldValueForbidden', field, badValue: '', detail}
}

/** TooLong(field, _, maxLength): the value is never shown. */
export function tooLong(field: string, maxLength: number): FieldError {
  const detail = maxLength >= 0 ? `may not be more than ${maxLength} ${maxLength === 1 ? 'byte' : 'bytes'}` : 'value is too long'
  return {type: 'FieldValueTooLong', field, badValue: '<value omitted>', detail}
}

export function notFound(field: string, value: unknown): FieldError {
  return {type: 'FieldValueNotFound', field, badValue: value, detail: ''}
}

export function internalFieldError(field: string, message: string): FieldError {
  return {type: 'InternalError', field, badValue: message, detail: message}
}

/** field.Error.ErrorBody(). */
export function errorBody(e: FieldError): string {
  let s: string
  switch (e.type) {
    case 'FieldValueRequired':
    case 'FieldValueForbidden':
    case 'FieldValueTooLong':
    case 'InternalError':
      s = TYPE_STRINGS[e.type]
      break
    default:
      s = `${TYPE_STRINGS[e.type]}: ${renderValue(e.badValue)}`
  }
  if (e.detail.length > 0) s += `: ${e.detail}`
  return s
}

/** field.Error.Error(): "<field>: <ErrorBody>". */
export function errorString(e: FieldError): string {
  return `${e.field}: ${errorBody(e)}`
}

function renderValue(v: unknown): string {
  if (v instanceof GoJSON) return goJSON(v.value)
  if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') return String(v)
  if (typeof v === 'string') return goQuote(v)
  return goJSON(v)
}

// ---------------------------------------------------------------------------------------------------------
// Go string quoting (strconv.Quote) and encoding/json output.

const PRINTABLE = /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]$/u

/** Replaces lone UTF-16 surrogates by U+FFFD, as Go's JSON decoder would have done. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD')
}

/** strconv.Quote: Go's %q for strings. Printable Unicode stays as it is; the rest is escaped. */
export function goQuote(s: string): string {
  let out = '"'
  for (const ch of wellFormed(s)) {
    const r = ch.codePointAt(0) as number
    if (ch === '"' || ch === '\\') {
      out += '\\' + ch
    } else if (PRINTABLE.test(ch)) {
      out += ch
    } else {
      switch (ch) {
        case '\x07': out += '\\a'; break
        case '\b': out += '\\b'; break
        case '\f': out += '\\f'; break
        case '\n': out += '\\n'; break
        case '\r': out += '\\r'; break
        case '\t': out += '\\t'; break
        case '\v': out += '\\v'; break
        default:
          if (r < 0x20 || r === 0x7f) out += '\\x' + r.toString(16).padStart(2, '0')
          else if (r < 0x10000) out += '\\u' + r.toString(16).padStart(4, '0')
          else out += '\\U' + r.toString(16).padStart(8, '0')
      }
    }
  }
  return out + '"'
}

/** encoding/json.Marshal of a JSON-like value: HTML-safe escapes for <, >, & and U+2028/U+2029. */
export function goJSON(v: unknown): string {
  const text = JSON.stringify(v, (_k, val) => (typeof val === 'string' ? wellFormed(val) : val))
  if (text === undefined) return 'null'
  return text
    .replace(/</g, '\\u003c')
    .replace(/>/g, '\\u003e')
    .replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029')
}

// ---------------------------------------------------------------------------------------------------------
// Aggregates and Status objects.

/**
 * ErrorList.ToAggregate().Error(): duplicates (by their full text) are dropped; one message is printed alone,
 * several as "[msg1, msg2]". Returns '' for an empty list.
 */
export function aggregateMessage(errs: readonly FieldError[]): string {
  const seen = new Set<string>()
  const msgs: string[] = []
  for (const e of errs) {
    const m = errorString(e)
    if (seen.has(m)) continue
    seen.add(m)
    msgs.push(m)
  }
  if (msgs.length === 0) return ''
  if (msgs.length === 1) return msgs[0]
  return '[' + msgs.join(', ') + ']'
}

// The Status bodies themselves are built by ../status.ts (one place for the field order and omitempty rules).
export type {Status, StatusCause, StatusDetails}

function makeStatus(message: string, reason: string, details: StatusDetails | undefined, code: number): Status {
  return status(code, reason, message, details)
}

/** GroupKind.String(): "Kind" for the core group, "Kind.group" otherwise. */
function groupKind(kind: string, group: string): string {
  return group ? `${kind}.${group}` : kind
}

/**
 * errors.NewInvalid: HTTP 422, reason Invalid, message `<Kind> "<name>" is invalid: <aggregate>`,
 * details {name, group, kind, causes[{reason, message, field}]}.
 */
export function invalidStatus(kind: string, name: string, errs: readonly FieldError[], group = ''): Status {
  const causes: StatusCause[] = errs.map((e) => {
    const c: StatusCause = {reason: e.type, message: errorBody(e), field: e.field}
    if (!c.field) delete c.field
    return c
  })
  const agg = aggregateMessage(errs)
  const gk = groupKind(kind, group)
  const message = agg === '' ? `${gk} ${goQuote(name)} is invalid` : `${gk} ${goQuote(name)} is invalid: ${agg}`
  return makeStatus(message, 'Invalid', {name, group, kind, causes}, 422)
}

/** errors.NewInternalError: HTTP 500, message "Internal error occurred: <err>", one cause carrying <err>. */
export function internalErrorStatus(err: string): Status {
  return makeStatus(`Internal error occurred: ${err}`, 'InternalError', {causes: [{message: err}]}, 500)
}

/** errors.NewBadRequest: HTTP 400, reason BadRequest, no details. */
export function badRequestStatus(message: string): Status {
  return makeStatus(message, 'BadRequest', undefined, 400)
}

/** errors.NewNotFound: `<resource> "<name>" not found`; details.kind is the resource (plural). */
export function notFoundStatus(resource: string, name: string, group = ''): Status {
  const what = group ? `${resource}.${group}` : resource
  return makeStatus(`${what} ${goQuote(name)} not found`, 'NotFound', {name, group, kind: resource}, 404)
}

/** errors.NewAlreadyExists: `<resource> "<name>" already exists`. */
export function alreadyExistsStatus(resource: string, name: string, group = ''): Status {
  const what = group ? `${resource}.${group}` : resource
  return makeStatus(`${what} ${goQuote(name)} already exists`, 'AlreadyExists', {name, group, kind: resource}, 409)
}

/** errors.NewConflict: `Operation cannot be fulfilled on <resource> "<name>": <err>`. */
export function conflictStatus(resource: string, name: string, err: string, group = ''): Status {
  const what = group ? `${resource}.${group}` : resource
  return makeStatus(`Operation cannot be fulfilled on ${what} ${goQuote(name)}: ${err}`, 'Conflict', {name, group, kind: resource}, 409)
}

// ---------------------------------------------------------------------------------------------------------
// field.Path rendering.

export function child(path: string, ...names: string[]): string {
  let p = path
  for (const n of names) p = p ? `${p}.${n}` : n
  return p
}

export function index(path: string, i: number): string {
  return `${path}[${i}]`
}

export function key(path: string, k: string): string {
  return `${path}[${k}]`
}

/** The builders under apimachinery's names: field.Required(...), field.Invalid(...), ... */
export const field = {
  Required: required,
  Invalid: invalid,
  NotSupported: notSupported,
  Duplicate: duplicate,
  Forbidden: forbidden,
  TooLong: tooLong,
  NotFound: notFound,
  InternalError: internalFieldError,
} as const
