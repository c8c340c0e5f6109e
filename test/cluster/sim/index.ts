// The simulated workloads of the local cluster (see docs/cluster-sim.md).
export {startSimulation, PodDialError} from './simulation.ts'
export type {Simulation, SimulationOptions} from './simulation.ts'
export {kubeletPortForwardError, runtimePortForwardError, patternBytes} from './containers.ts'
export {endpointsFor, endpointSlicesFor, desiredSliceContents} from './endpoints.ts'
export {podTemplateHash} from './hash.ts'
export type {SimStore, StoreEvent} from './types.ts'
