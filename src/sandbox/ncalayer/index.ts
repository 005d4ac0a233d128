// The sandbox's NCALayer simulator (issue 29). Not a sandbox room yet: the lead wires it in.
export {
  createNcaLayerSimulator,
  HEARTBEAT,
  type NcaLayerKey,
  type NcaLayerSimulator,
  type NcaLayerSimulatorOptions,
} from './simulator.js';
export { MODULE, STORAGE } from './protocol.js';
export { NcaLayerConfigSchema, type Behaviour, type NcaLayerConfig } from './state.js';
