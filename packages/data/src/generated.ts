import { COLOR_SHAPES_FACTOR_SET, COLOR_SHAPES_GRID_SIZE, generateColorShapes } from './color-shapes.js';
import { registerDataset } from './registry.js';
import { SHAPES_FACTOR_SET, SHAPES_GRID_SIZE, generateShapes } from './shapes.js';

/** The generated datasets (browser-safe): registered when `@vae/data` is imported. */
const generated = { hasLabels: true, hasTestSplit: true, data: 'none', resizable: false } as const;

registerDataset('shapes', async () => generateShapes(), {
  ...generated,
  channels: 1,
  factors: SHAPES_FACTOR_SET,
  description: `dSprites-like binary 64×64 sprites generated in TypeScript (20,000 train + 2,000 test of the ${SHAPES_GRID_SIZE}-point factor grid shape×scale×orientation×posX×posY, seed 0); labels = shape`,
});
registerDataset('color-shapes', async () => generateColorShapes(), {
  ...generated,
  channels: 3,
  factors: COLOR_SHAPES_FACTOR_SET,
  description: `the shapes sprites in colour, 64×64×3, with object hue and background hue as two more factors (10,000 train + 1,000 test of the ${COLOR_SHAPES_GRID_SIZE}-point grid, seed 0); labels = shape`,
});
