// WebGPU in Node through Dawn (the WebGPU implementation inside Chrome), from the npm package `webgpu`: the same
// tfjs-backend-webgpu the page runs, for the command line, the parity tier and the bench. Dawn drives a Vulkan
// driver: a GPU's own (NVIDIA, AMD, Intel) where there is one; otherwise the SwiftShader driver that Debian's
// chromium package ships, a CPU implementation (Dawn refuses Mesa's lavapipe), so the path is tested everywhere
// and measured where a GPU exists.
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as tf from '@tensorflow/tfjs';
import { adapterFacts, type AdapterFacts } from './backend';
import { splitWebGpuAddN, watchWebGpu } from './webgpu-fixes';
import { useOwnWebGpuMatMul } from './webgpu-matmul';

/** Where Debian's chromium package puts SwiftShader's Vulkan driver manifest. */
export const SWIFTSHADER_ICD = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib64/chromium/vk_swiftshader_icd.json'];

let installed: Promise<AdapterFacts> | null = null;

/**
 * Makes `navigator.gpu` a Dawn instance that has an adapter, and says which adapter. Must run before
 * @tensorflow/tfjs-backend-webgpu is first imported, which reads navigator.gpu. Throws, naming what is missing,
 * when no Vulkan driver gives an adapter.
 */
export function installNodeWebGpu(): Promise<AdapterFacts> {
  installed ??= install();
  return installed;
}

async function install(): Promise<AdapterFacts> {
  // The Vulkan loader complains on stderr about an unset XDG_RUNTIME_DIR, which headless machines rarely set.
  process.env.XDG_RUNTIME_DIR ??= tmpdir();
  let dawn: typeof import('webgpu');
  try {
    dawn = await import('webgpu');
  } catch (e) {
    throw new Error(`WebGPU in Node needs the npm package "webgpu" (npm ci installs it): ${(e as Error).message}`);
  }
  Object.assign(globalThis, dawn.globals);
  let gpu = dawn.create([]);
  let adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (!adapter && !process.env.VK_ICD_FILENAMES) {
    // No usable driver on the loader's default search path: SwiftShader's, when chromium is installed. The loader
    // reads the variable when an instance is created, so a second instance sees it.
    const icd = SWIFTSHADER_ICD.find((f) => existsSync(f));
    if (icd) {
      process.env.VK_ICD_FILENAMES = icd;
      gpu = dawn.create([]);
      adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
    }
  }
  if (!adapter) {
    throw new Error(
      'No WebGPU adapter in Node: Dawn found no Vulkan driver it accepts. Install the Vulkan loader (Debian: apt-get install -y libvulkan1) and a GPU driver, ' +
        'or Debian\'s chromium package for its SwiftShader driver (a CPU implementation), or point VK_ICD_FILENAMES at a driver manifest.',
    );
  }
  // Node 21+ has a read-only global navigator; Node 20 has none.
  const nav = (globalThis as { navigator?: object }).navigator ?? {};
  Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true });
  Object.defineProperty(globalThis, 'navigator', { value: nav, configurable: true });
  return adapterFacts(adapter);
}

let registered: Promise<AdapterFacts> | null = null;

/**
 * Switches tfjs to WebGPU on Dawn (the command line, the parity tier, the GPU kit) and says on which adapter. The
 * backend module reads navigator.gpu when it registers itself, so it is imported only once Dawn is installed, and
 * only by runs that ask for WebGPU (the cpu and wasm paths never load Dawn).
 */
export async function useNodeWebGpu(): Promise<AdapterFacts> {
  registered ??= (async () => {
    const facts = await installNodeWebGpu();
    await import('@tensorflow/tfjs-backend-webgpu');
    splitWebGpuAddN();
    useOwnWebGpuMatMul();
    return facts;
  })();
  const facts = await registered;
  if (!(await tf.setBackend('webgpu'))) throw new Error(`tfjs could not start its WebGPU backend on ${facts.description || 'this adapter'}.`);
  await tf.ready();
  watchWebGpu();
  return facts;
}
