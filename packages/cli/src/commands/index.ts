export { COMMANDS } from './registry.js';
