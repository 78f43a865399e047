import type { ParameterSet, RngState } from '@vae/core';
import type { OrtAdamState } from '@vae/train/web';
import type { OwnSplit } from './own-data.js';
import type { TrainSettings, TrainStatus } from './train-protocol.js';

/** A training checkpoint as the page stores it in IndexedDB (typed arrays are stored as they are). */
export interface StoredCheckpoint {
  readonly settings: TrainSettings;
  readonly params: ParameterSet;
  readonly optimizer: OrtAdamState;
  /** The run's generator after the last batch drawn. */
  readonly rng: RngState;
  /** The current epoch's shuffle (null between epochs). */
  readonly perm: Uint32Array | null;
  readonly status: TrainStatus;
  readonly savedAt: string;
}

const DB_NAME = 'vae-train';
const STORES = { checkpoints: 'checkpoints', models: 'models' } as const;
type Store = keyof typeof STORES;
const KEY = 'current';
/** Key of the user's decoded data, beside the checkpoint of the run that trains on it. */
const DATA_KEY = 'own-data';

/** `?model=` prefix under which the viewer opens a model trained on the training page (stored in IndexedDB). */
export const TRAINED_MODEL_PREFIX = 'trained:';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error ?? new Error('IndexedDB request failed'));
  });
}

async function open(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') throw new Error('checkpoint: expected IndexedDB in this browser, got none');
  const r = indexedDB.open(DB_NAME, 1);
  r.onupgradeneeded = () => {
    for (const name of Object.values(STORES)) r.result.createObjectStore(name);
  };
  return request(r);
}

async function transact<T>(
  store: Store,
  mode: IDBTransactionMode,
  body: (s: IDBObjectStore) => IDBRequest<T>,
): Promise<T> {
  const db = await open();
  try {
    const tx = db.transaction(STORES[store], mode);
    const result = await request(body(tx.objectStore(STORES[store])));
    await new Promise<void>((ok, fail) => {
      tx.oncomplete = () => ok();
      tx.onerror = () => fail(tx.error ?? new Error('IndexedDB transaction failed'));
      tx.onabort = () => fail(tx.error ?? new Error('IndexedDB transaction aborted'));
    });
    return result;
  } finally {
    db.close();
  }
}

/**
 * Stores `c` as the current checkpoint, replacing the previous one in one IndexedDB transaction
 * (atomic: a reload mid-write leaves the previous checkpoint).
 */
export function saveCheckpoint(c: StoredCheckpoint): Promise<IDBValidKey> {
  return transact('checkpoints', 'readwrite', (s) => s.put(c, KEY));
}

/** The stored checkpoint, or null. */
export async function loadCheckpoint(): Promise<StoredCheckpoint | null> {
  return ((await transact('checkpoints', 'readonly', (s) => s.get(KEY))) as StoredCheckpoint | undefined) ?? null;
}

/** Deletes the stored checkpoint and the user's data stored with it. */
export async function deleteCheckpoint(): Promise<void> {
  await transact('checkpoints', 'readwrite', (s) => s.delete(KEY));
  await deleteOwnData();
}

/** Stores the user's decoded data, so that a reload resumes a run on it without choosing the files again. */
export function saveOwnData(data: OwnSplit): Promise<IDBValidKey> {
  return transact('checkpoints', 'readwrite', (s) => s.put(data, DATA_KEY));
}

/** The user's stored data, or null (the run trains on MNIST). */
export async function loadOwnData(): Promise<OwnSplit | null> {
  return ((await transact('checkpoints', 'readonly', (s) => s.get(DATA_KEY))) as OwnSplit | undefined) ?? null;
}

/** Deletes the user's stored data. */
export function deleteOwnData(): Promise<undefined> {
  return transact('checkpoints', 'readwrite', (s) => s.delete(DATA_KEY));
}

/** Stores an exported model directory (file name → bytes) under `name`, for the viewer. */
export function saveTrainedModel(name: string, files: Readonly<Record<string, Uint8Array>>): Promise<IDBValidKey> {
  return transact('models', 'readwrite', (s) => s.put(files, name));
}

/** The files of the stored model `name`; throws naming it when the training page has not stored it. */
export async function loadTrainedModel(name: string): Promise<Record<string, Uint8Array>> {
  const files = (await transact('models', 'readonly', (s) => s.get(name))) as Record<string, Uint8Array> | undefined;
  if (!files)
    throw new Error(
      `model: expected a model called "${name}" trained and exported on the training page of this site (train.html) in this browser, got none`,
    );
  return files;
}
