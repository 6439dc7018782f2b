// Runs inside a dedicated worker: reports what WebGPU looks like from there, as the training worker sees it.
import { probeCapabilities, chooseBackend } from '../../src/runtime/backend';

self.onmessage = async () => {
  const caps = await probeCapabilities();
  self.postMessage({ caps, choice: chooseBackend(caps), isSecureContext: self.isSecureContext });
};
