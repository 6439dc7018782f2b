// A download that the network broke is read again; a file that is wrong is not (src/model/load.ts retryNetwork).
import { describe, expect, it } from 'vitest';
import { ModelFormatError, retryNetwork } from '../../src/model/load';

describe('retryNetwork', () => {
  it('reads again after a network failure (fetch\'s TypeError) and returns the read that worked', async () => {
    let calls = 0;
    const got = await retryNetwork(async () => {
      calls++;
      if (calls < 3) throw new TypeError('network error');
      return 'bytes';
    }, 3, 1);
    expect([got, calls]).toEqual(['bytes', 3]);
  });

  it('gives up after the last attempt with the network\'s own error', async () => {
    let calls = 0;
    await expect(retryNetwork(async () => {
      calls++;
      throw new TypeError('network error');
    }, 3, 1)).rejects.toThrow('network error');
    expect(calls).toBe(3);
  });

  it('does not retry a bad file', async () => {
    let calls = 0;
    await expect(retryNetwork(async () => {
      calls++;
      throw new ModelFormatError('model.safetensors: HTTP 404.');
    }, 3, 1)).rejects.toThrow('HTTP 404');
    expect(calls).toBe(1);
  });
});
