import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BROWSER_PEERS, type BrowserPeer, browserPeerMissing } from '../src/browser-peers.js';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  dependencies: Record<string, string>;
  peerDependencies: Record<string, string>;
  peerDependenciesMeta: Record<string, { optional?: boolean }>;
  devDependencies: Record<string, string>;
};

describe('browser peers: optional for a Node-only install of @vae/parity', () => {
  it('are optional peers (not dependencies) whose tested versions equal BROWSER_PEERS', () => {
    for (const [name, version] of Object.entries(BROWSER_PEERS)) {
      expect(manifest.dependencies[name], name).toBeUndefined();
      expect(manifest.peerDependenciesMeta[name]?.optional, name).toBe(true);
      expect(manifest.peerDependencies[name], name).toBe(`^${version}`);
      expect(manifest.devDependencies[name], name).toBe(version);
    }
  });

  it('resolve here, and a missing one names the host and the npm line', () => {
    for (const name of Object.keys(BROWSER_PEERS) as BrowserPeer[]) expect(browserPeerMissing(name, 'x')).toBeNull();
    expect(browserPeerMissing('no-such-peer-zz' as BrowserPeer, 'Chromium')).toMatch(
      /^Chromium needs no-such-peer-zz, an optional peer of @vae\/parity that is not installed; add it: npm i no-such-peer-zz@/,
    );
  });
});
