/**
 * An image size as messages write it, each dimension named: `28 high × 32 wide`, and
 * `28 high × 32 wide × 3 channels` when `channels` is given. A bare `28×32` is ambiguous: PNG and
 * JPEG headers give the width first, pixel arrays and shapes the height first.
 */
export function sizeText(height: number, width: number, channels?: number): string {
  const size = `${height} high × ${width} wide`;
  return channels === undefined ? size : `${size} × ${channels} ${channels === 1 ? 'channel' : 'channels'}`;
}
