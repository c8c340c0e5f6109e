import type {Script} from 'node:vm'

export declare const CACHE_SUFFIX: string
export declare const ID_LENGTH: number
export declare function compileBundle(file: string, source: string, cachedData?: Buffer): {exports?: Record<string, unknown>; script: Script}
export declare function bundleId(source: string): string | undefined
export declare function loadBundle(url: URL): Record<string, unknown>
