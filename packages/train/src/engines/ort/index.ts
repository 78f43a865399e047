export * from './ort-devices.js';
export * from './ort-step-runner.js';
export * from './ort-protocol.js';
export * from './ort-engine.js';
export * from './ort-platform.js';
export * from './node-platform.js';
