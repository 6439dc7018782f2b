// The check every WebGPU test file runs after each test: WebGPU reports a shader that does not compile, or a
// validation error, as an event, not an exception, so a test would pass over it unless it asks.
import { expect } from 'vitest';
import * as tf from '@tensorflow/tfjs';
import { takeWebGpuErrors } from '../../src/runtime/webgpu-fixes';

export async function expectNoWebGpuErrors(): Promise<void> {
  // Errors arrive as events: a readback first lets the queue finish and the events be delivered.
  const probe = tf.zeros([1]);
  await probe.data();
  probe.dispose();
  expect(takeWebGpuErrors()).toEqual([]);
}
