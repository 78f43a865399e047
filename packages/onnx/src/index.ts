export * from './graphs.js';
export { exportModel, type ExportOptions, type ExportResult } from './export-model.js';
export { addGoldenFile, readModelDirectory, type ModelDirectory } from './model-directory.js';
