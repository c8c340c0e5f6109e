/** The generic REST verbs over the store. */
export {BODY_TYPES, checkFields, decodeBody, type RestEnv, type RestRequest, type RestResult} from './common.ts'

export {filterFor, get, list} from './read.ts'
export {create, patch, update} from './write.ts'
export {remove, removeCollection, type DeleteEffects} from './delete.ts'
