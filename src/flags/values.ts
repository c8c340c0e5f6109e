// pflag's parsing of values that svc declares as string flags (so that the error text is kubectl's,
// not oclif's): integers, and string slices.

import {FlagError} from '../kube/errors.ts'

/** pflag's int parsing, with its error text. */
export function parseIntFlag(flag: string, value: string | undefined, bits = 64): number | undefined {
  if (value === undefined) return undefined
  if (!/^[+-]?[0-9]+$/.test(value)) {
    throw new FlagError(`invalid argument "${value}" for "--${flag}" flag: strconv.ParseInt: parsing "${value}": invalid syntax`)
  }
  const n = Number(value)
  if (Math.abs(n) >= 2 ** (bits - 1)) {
    throw new FlagError(`invalid argument "${value}" for "--${flag}" flag: strconv.ParseInt: parsing "${value}": value out of range`)
  }
  return n
}

/** pflag's StringSlice: an empty value (`--tcp=`) is an empty list, not one empty item. */
export function csvList(values: string[] | undefined): string[] | undefined {
  return values?.every(v => v === '') ? [] : values
}
