// Whether the encoder runs its fused WebGPU kernels (issue #21: src/model/fused/). They run only on tfjs's WebGPU
// backend (webGpuKernels() is null elsewhere); cpu and wasm keep the tfjs ops. The switch exists so that the bench
// and the tests can run the same step both ways, side by side, on one backend.
import { webGpuKernels, type WebGpuKernels } from './webgpu-kernel';

let enabled = true;

/** Turns the fused kernels off (the tfjs ops everywhere) or back on. */
export function setFusedKernels(on: boolean): void {
  enabled = on;
}

export function fusedKernelsEnabled(): boolean {
  return enabled;
}

/** The queue for the fused kernels when they are on and the backend is tfjs's WebGPU, else null. */
export function fusedKernels(): WebGpuKernels | null {
  return enabled ? webGpuKernels() : null;
}
