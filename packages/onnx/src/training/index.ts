export * from './tape.js';
export * from './tape-grad.js';
export * from './tape-model.js';
export * from './objective-graph.js';
export * from './adam-graph.js';
export * from './train-step-graph.js';
