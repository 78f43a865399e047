import type { PageApi } from './chromium-wire.js';

/** Marks protocol lines on the child's stdout. */
export const CHILD_LINE_PREFIX = '\u0001vae-parity ';

/** What the child host is told to load (argument 1 of `child-entry`, as JSON). */
export interface ChildConfig {
  readonly modelDir: string;
  /** Module that registers the runtime (`Runtime.parity.module`). */
  readonly module: string;
  /** Its export that registers it (`Runtime.parity.register`). */
  readonly register: string;
  /** Name of the runtime in core's registry. */
  readonly runtime: string;
  readonly threads?: number;
}

/** One call, a JSON line on the child's stdin. */
export interface ChildRequest {
  readonly id: number;
  readonly method: keyof PageApi;
  readonly args: unknown[];
}

/** Its answer, a prefixed JSON line on the child's stdout. */
export type ChildReply =
  | { readonly id: number; readonly result: unknown }
  | { readonly id: number; readonly error: string };
