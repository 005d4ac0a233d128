// The sandbox's NCALayer simulator (issue 29); the sandbox room that starts it is setup.ts.
export {
  createNcaLayerSimulator,
  HEARTBEAT,
  type NcaLayerKey,
  type NcaLayerSimulator,
  type NcaLayerSimulatorOptions,
} from './simulator.js';
export { MODULE, STORAGE } from './protocol.js';
export { NcaLayerConfigSchema, type Behaviour, type NcaLayerConfig } from './state.js';
