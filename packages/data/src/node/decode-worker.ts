import { decodeFileInto, type DecodeTarget } from './decode-file.js';
import { answerRequests } from './worker-replies.js';

/** A batch of files for the decoding worker: their rows come back in one buffer, in order. */
export interface DecodeRequest {
  readonly id: number;
  readonly paths: readonly string[];
  readonly target: DecodeTarget;
  readonly rowBytes: number;
}

/** The worker's reply: `paths.length × rowBytes` bytes and whether each file was colour (1) or grey (0). */
export interface DecodeReply {
  readonly id: number;
  readonly ok: true;
  readonly pixels: Uint8Array;
  readonly colour: Uint8Array;
}

answerRequests<DecodeRequest>('decode-worker', async (m) => {
  const pixels = new Uint8Array(m.paths.length * m.rowBytes);
  const colour = new Uint8Array(m.paths.length);
  for (const [i, path] of m.paths.entries())
    colour[i] = (await decodeFileInto(path, m.target, pixels, i * m.rowBytes)).colour ? 1 : 0;
  return { pixels, colour };
});
