import { describe, expect, it } from 'vitest';
import { DEFAULT_PAGE_SETTINGS, settingsFromUrl, settingsToQuery } from '../../src/ui/url-settings';

describe('settings in the URL', () => {
  it('writes nothing for the defaults and reads the defaults back', () => {
    expect(settingsToQuery(DEFAULT_PAGE_SETTINGS)).toBe('');
    expect(settingsFromUrl('')).toEqual(DEFAULT_PAGE_SETTINGS);
  });

  it('round-trips changed settings through a link', () => {
    const s = {
      ...DEFAULT_PAGE_SETTINGS,
      demoCount: 5000,
      modelId: 'sentence-transformers/all-MiniLM-L6-v2',
      backend: 'wasm' as const,
      config: { ...DEFAULT_PAGE_SETTINGS.config, method: 'head' as const, lr: 1e-4, epochs: 1, earlyStopping: false, trainTokens: !DEFAULT_PAGE_SETTINGS.config.trainTokens, readWhole: false, loraTargets: ['query', 'key', 'value'] },
    };
    const q = settingsToQuery(s);
    expect(q).toBe(`?n=5000&model=sentence-transformers%2Fall-MiniLM-L6-v2&backend=wasm&method=head&epochs=1&lr=0.0001&earlyStopping=0&trainTokens=${DEFAULT_PAGE_SETTINGS.config.trainTokens ? 0 : 1}&readWhole=0&loraTargets=query%2Ckey%2Cvalue`);
    expect(settingsFromUrl(q)).toEqual(s);
  });

  it('ignores junk and clamps the demo size', () => {
    const s = settingsFromUrl('?n=99999999&lr=abc&method=magic&backend=tpu');
    expect(s.demoCount).toBe(50_000);
    expect(s.config.lr).toBe(DEFAULT_PAGE_SETTINGS.config.lr);
    expect(s.config.method).toBe('lora');
    expect(s.backend).toBeNull();
  });
});
