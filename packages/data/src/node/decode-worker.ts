import { decodeRowsToFile, type DecodeTarget } from './decode-file.js';
import { answerRequests } from './worker-replies.js';

/** A batch of files for the decoding worker: it writes their rows into the pixel file `fd` itself. */
export interface DecodeRequest {
  readonly id: number;
  readonly paths: readonly string[];
  /** The row of each file in the pixel file. */
  readonly rows: Int32Array;
  readonly target: DecodeTarget;
  readonly rowBytes: number;
  /** The pixel file under construction, open for writing (descriptors are shared by the process's threads). */
  readonly fd: number;
}

/** The worker's reply: whether each file was colour (1) or grey (0). */
export interface DecodeReply {
  readonly id: number;
  readonly ok: true;
  readonly colour: Uint8Array;
}

answerRequests<DecodeRequest>('decode-worker', (m) => ({
  colour: decodeRowsToFile(m.paths, m.rows, m.target, m.rowBytes, m.fd),
}));
