import { trainDevices } from '@vae/core';
import { WEB_RUNTIME_INFO } from '@vae/runtime-web/backend';
import type { WebDevice } from './ort-build.js';
import type { SiteManifest } from './site-types.js';

/** An onnxruntime-web device the training page can train on. */
export type WebTrainDevice = WebDevice;
/** A device request of the training page. */
export type TrainDeviceRequest = 'auto' | WebTrainDevice;

/**
 * Devices the training page offers: `auto` (wasm unless WebGPU measures faster), then every
 * onnxruntime-web device the ort trainer trains on, in `auto` order. Derived from
 * `@vae/runtime-web`'s `WEB_RUNTIME_INFO` (the one device list): a device added there appears here,
 * in the page's select and in the worker's checks.
 */
export const TRAIN_PAGE_DEVICES: readonly TrainDeviceRequest[] = Object.freeze([
  'auto',
  // trainDevices keeps only devices with a `train` note in deviceInfo, so each key is a WebTrainDevice.
  ...(Object.keys(trainDevices(WEB_RUNTIME_INFO)) as WebTrainDevice[]),
]);

/** Throws a RangeError naming `name`, the devices the page offers and `value`, unless `value` is one of them. */
export function assertTrainDevice(value: unknown, name = 'device'): asserts value is TrainDeviceRequest {
  if (!(TRAIN_PAGE_DEVICES as readonly unknown[]).includes(value)) {
    throw new RangeError(`${name}: expected one of ${TRAIN_PAGE_DEVICES.join('|')}, got ${JSON.stringify(value)}`);
  }
}

/** What a training run is made of (the defaults are the CLI's: `vae train` with the default VAE). */
export interface TrainSettings {
  readonly seed: number;
  /** Training examples used (the first ones of MNIST's 55,000 after the 5,000 validation examples); null: all. */
  readonly trainSize: number | null;
  /** Validation examples evaluated after each epoch (the first ones of the held-out 5,000); null: all. */
  readonly valCount: number | null;
  readonly batchSize: number;
  readonly learningRate: number;
  readonly epochs: number;
  readonly device: TrainDeviceRequest;
  /** Steps between checkpoints while training (besides pause, epoch ends and the end of a run), so a reload loses at most this many. */
  readonly checkpointEvery: number;
  /**
   * Side N of the N×N images the user's PNG/JPEG files become (short side resized to N, centre crop:
   * the CLI's `--image-size` rule). MNIST and IDX files keep their own size. Absent (older checkpoints): 28.
   */
  readonly imageSize?: number;
  /** Channels of the user's PNG/JPEG images: 1 (luminance), 3 (RGB) or `auto` (3 if any pixel has colour). Absent: `auto`. */
  readonly channels?: 1 | 3 | 'auto';
}

/** Largest {@link TrainSettings.imageSize} the page accepts. */
export const MAX_IMAGE_SIZE = 128;

/** Where a run stands (also what the checkpoint holds besides tensors). */
export interface TrainStatus {
  readonly step: number;
  readonly epoch: number;
  readonly epochStep: number;
  readonly epochSteps: number;
  /** Loss of each step so far, in order (nats per example, batch means). */
  readonly losses: readonly number[];
  /** Validation ELBO after each completed epoch. */
  readonly valElbo: readonly number[];
  readonly done: boolean;
  /** Seconds spent in training steps (this page load and earlier ones). */
  readonly trainSeconds: number;
  /** Seconds spent in validation after epochs, and in writing checkpoints. */
  readonly validationSeconds: number;
  readonly checkpointSeconds: number;
}

/** What `init` reports: the device that runs and why, and whether a checkpoint was resumed. */
export interface TrainInfo {
  readonly device: 'wasm' | 'webgpu';
  readonly why: string;
  readonly resumed: boolean;
  readonly trainCount: number;
  readonly valCount: number;
  /** What the run trains on: `MNIST`, or the name of the user's data. */
  readonly dataset: string;
  /** `[H, W, C]` of the model (and of the data). */
  readonly imageShape: readonly [number, number, number];
  readonly status: TrainStatus;
  readonly settings: TrainSettings;
}

/**
 * Training data the user chose with the page's file pickers, posted to the worker as the files
 * themselves (nothing is uploaded): IDX files (one image file, an optional label file; raw or
 * gzipped), or PNG/JPEG images of any size (resized in the worker to `imageSize`).
 */
export interface OwnData {
  readonly kind: 'idx' | 'png';
  readonly files: readonly File[];
}

/** An exported model directory, in memory. */
export interface ExportedModel {
  readonly name: string;
  /** File name → bytes (`encoder.onnx`, `decoder.onnx`, `scorer.onnx`, `manifest.json`). */
  readonly files: Record<string, Uint8Array>;
}

/** Operations of the training worker, with their argument and result types. */
export interface TrainOps {
  /**
   * Loads runtime and data; resumes the stored checkpoint when `resume` and one exists, else starts
   * afresh. `data`: the user's files instead of MNIST (absent or null: MNIST, or the data of the resumed run).
   */
  init: {
    args: { site: SiteManifest; settings: TrainSettings; resume: boolean; data?: OwnData | null };
    result: TrainInfo;
  };
  /** Trains until paused, until `untilStep` steps in total (null: no limit) or until the last epoch ends. */
  run: { args: { untilStep: number | null }; result: TrainStatus };
  /** Asks a running `run` to stop after its current step and checkpoint. */
  pause: { args: null; result: null };
  /** Validation terms on the held-out examples (same draws as the Node trainer's validation). */
  validate: { args: null; result: { loss: number; elbo: number | null; activeUnits: number | null } };
  /** Builds the model directory (fp32) in memory, provenance naming this browser, and stores it for the viewer. */
  export: { args: { name: string }; result: ExportedModel };
  /** Deletes the stored checkpoint. */
  forget: { args: null; result: null };
}
/** A training worker operation. */
export type TrainOp = keyof TrainOps;

/** Page → worker. */
export interface TrainRequest<K extends TrainOp = TrainOp> {
  readonly id: number;
  readonly op: K;
  readonly args: TrainOps[K]['args'];
  /** The page's base URL (site files are relative to it). */
  readonly base: string;
}

/** Worker → page: a result, an error, or progress (download bytes, or a training step). */
export type TrainMessage =
  | { readonly kind: 'result'; readonly id: number; readonly result: unknown }
  | { readonly kind: 'error'; readonly id: number; readonly message: string }
  | { readonly kind: 'download'; readonly path: string; readonly loaded: number; readonly total: number }
  | { readonly kind: 'step'; readonly status: Omit<TrainStatus, 'losses' | 'valElbo'>; readonly loss: number }
  | { readonly kind: 'epoch'; readonly epoch: number; readonly valElbo: number };
