import type {Script} from 'node:vm'

export declare const CACHE_NAMES: readonly string[]
export declare function cacheFile(file: string, name?: string): string
export declare function cacheName(argv: readonly string[], env?: NodeJS.ProcessEnv): string | undefined
export declare const FORWARDER_CACHE: string
export declare const ID_LENGTH: number
export declare function compileBundle(file: string, source: string, cachedData?: Buffer): {exports?: Record<string, unknown>; script: Script}
export declare function bundleId(source: string): string | undefined
export declare function loadBundle(file: string, argv?: readonly string[]): Record<string, unknown>
export declare function readBundleSource(file: string): string
