import type { ParameterSet, RngState } from '@vae/core';
import type { OrtAdamState } from '@vae/train/web';
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
const STORE = 'checkpoints';
const KEY = 'current';

function request<T>(r: IDBRequest<T>): Promise<T> {
  return new Promise((ok, fail) => {
    r.onsuccess = () => ok(r.result);
    r.onerror = () => fail(r.error ?? new Error('IndexedDB request failed'));
  });
}

async function open(): Promise<IDBDatabase> {
  if (typeof indexedDB === 'undefined') throw new Error('checkpoint: expected IndexedDB in this browser, got none');
  const r = indexedDB.open(DB_NAME, 1);
  r.onupgradeneeded = () => r.result.createObjectStore(STORE);
  return request(r);
}

async function transact<T>(mode: IDBTransactionMode, body: (s: IDBObjectStore) => IDBRequest<T>): Promise<T> {
  const db = await open();
  try {
    const tx = db.transaction(STORE, mode);
    const result = await request(body(tx.objectStore(STORE)));
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
  return transact('readwrite', (s) => s.put(c, KEY));
}

/** The stored checkpoint, or null. */
export async function loadCheckpoint(): Promise<StoredCheckpoint | null> {
  return ((await transact('readonly', (s) => s.get(KEY))) as StoredCheckpoint | undefined) ?? null;
}

/** Deletes the stored checkpoint. */
export function deleteCheckpoint(): Promise<undefined> {
  return transact('readwrite', (s) => s.delete(KEY));
}
