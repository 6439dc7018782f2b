// `npm run gpu-kit`: packs what a bare x86-64 Linux machine with an NVIDIA driver needs to run tabtune's WebGPU engine
// (scripts/gpu/kit-main.ts) into gpu-kit/ (git-ignored, at most 40 MB): this machine's Node binary and Dawn's
// dawn.node, both xz-compressed; the program as one bundled file; the Vulkan loader from Debian's libvulkan1; and
// run.sh. The repository travels beside it for the models, the goldens and scripts/bench_torch.py.
// On the GPU machine:  bash gpu-kit/run.sh [--minutes 7] [--rows full|small]   (results in $OUT or gpu-kit/results)
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRequire } from 'node:module';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const kit = join(root, 'gpu-kit');
const LIMIT = 40 * 1024 * 1024;
const require = createRequire(import.meta.url);

rmSync(kit, { recursive: true, force: true });
mkdirSync(join(kit, 'lib'), { recursive: true });

// The program. '@xenova/transformers' is narrowed to its tokenizer classes: the package's main entry pulls in
// onnxruntime and sharp, which the kit never runs. 'webgpu' stays outside: it loads dawn.node from beside itself.
const xenova = dirname(require.resolve('@xenova/transformers/package.json'));
const shim = join(kit, 'xenova-tokenizers.mjs');
writeFileSync(shim, `export { BertTokenizer, DistilBertTokenizer, PreTrainedTokenizer } from '${join(xenova, 'src/tokenizers.js')}';\nexport { env } from '${join(xenova, 'src/env.js')}';\n`);
await build({
  entryPoints: [join(root, 'scripts/gpu/kit-main.ts')],
  outfile: join(kit, 'tabtune-gpu.mjs'),
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  minify: true,
  // Class names survive: tf.time names each dispatch after its program's class (the kit's --profile).
  keepNames: true,
  external: ['webgpu', 'sharp', 'onnxruntime-node', 'onnxruntime-web'],
  plugins: [
    {
      name: 'xenova-tokenizers-only',
      setup: (b) => {
        b.onResolve({ filter: /^@xenova\/transformers$/ }, () => ({ path: shim }));
        // transformers.js's env.js reads its ONNX runtime's settings at load; the kit runs no ONNX model.
        b.onResolve({ filter: /backends\/onnx\.js$/ }, () => ({ path: 'onnx-stub', namespace: 'stub' }));
        b.onLoad({ filter: /.*/, namespace: 'stub' }, () => ({ contents: "export const ONNX = { env: { wasm: {} } }; export const executionProviders = ['cpu'];", loader: 'js' }));
      },
    },
  ],
  // Bundled CommonJS code calls require(); an ES module has none unless it is made.
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
  logLevel: 'warning',
});
rmSync(shim);

// Dawn for Node: the package's entry and its linux-x64 binary, laid out as node_modules/webgpu.
const webgpu = dirname(require.resolve('webgpu/package.json'));
const wdir = join(kit, 'node_modules/webgpu');
mkdirSync(join(wdir, 'dist/linux-x64'), { recursive: true });
for (const f of ['package.json', 'index.js']) copyFileSync(join(webgpu, f), join(wdir, f));
copyFileSync(join(webgpu, 'dist/linux-x64/dawn.node'), join(wdir, 'dist/linux-x64/dawn.node'));
execFileSync('xz', ['-9', '-T0', join(wdir, 'dist/linux-x64/dawn.node')]);

// Node itself: the official binaries need only libc and libstdc++, which every such machine has.
copyFileSync(process.execPath, join(kit, 'node'));
execFileSync('xz', ['-9', '-T0', join(kit, 'node')]);

// The Vulkan loader (GPU machines often carry the NVIDIA driver and its ICD but not the loader).
const loader = ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].find((f) => existsSync(f));
if (!loader) throw new Error('No libvulkan.so.1 here to pack: apt-get install -y libvulkan1');
copyFileSync(loader, join(kit, 'lib/libvulkan.so.1'));
// NVIDIA's Vulkan driver lives in libGLX_nvidia.so.0, which loads only beside GLVND's libraries: on a bare H100
// machine the loader said "Could not get 'vkCreateInstance' via 'vk_icdGetInstanceProcAddr' for ICD
// libGLX_nvidia.so.0" without them. One adapter request per library set there (2026-11-26): libGLdispatch +
// libGLX alone still failed; adding libEGL found the H100; libOpenGL, libGL or libGLESv2 instead of it did not.
for (const [lib, pkg] of [['libGLdispatch.so.0', 'libglvnd0'], ['libGLX.so.0', 'libglx0'], ['libEGL.so.1', 'libegl1']]) {
  const found = [`/usr/lib/x86_64-linux-gnu/${lib}`, `/usr/lib64/${lib}`].find((f) => existsSync(f));
  if (!found) throw new Error(`No ${lib} here to pack: apt-get install -y ${pkg}`);
  copyFileSync(found, join(kit, 'lib', lib));
}

writeFileSync(
  join(kit, 'run.sh'),
  `#!/usr/bin/env bash
# Runs tabtune's WebGPU engine on this machine's GPU: parity with the PyTorch goldens, then training-step rows beside
# eager PyTorch. Results go to $OUT (or gpu-kit/results). Packed by scripts/gpu/pack.mjs.
set -euo pipefail
KIT="$(cd "$(dirname "$0")" && pwd)"
REPO="$(cd "$KIT/.." && pwd)"
OUTDIR="\${OUT:-$KIT/results}"
[ -x "$KIT/node" ] || xz -dk "$KIT/node.xz"
[ -f "$KIT/node_modules/webgpu/dist/linux-x64/dawn.node" ] || xz -dk "$KIT/node_modules/webgpu/dist/linux-x64/dawn.node.xz"
chmod +x "$KIT/node"
export LD_LIBRARY_PATH="$KIT/lib:\${LD_LIBRARY_PATH:-}"
# NVIDIA's Vulkan driver manifest where the loader's default search may miss it (containers mount the driver there).
if [ -z "\${VK_ICD_FILENAMES:-}" ]; then
  for icd in /usr/share/vulkan/icd.d/nvidia_icd.json /etc/vulkan/icd.d/nvidia_icd.json /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json; do
    if [ -f "$icd" ]; then export VK_ICD_FILENAMES="$icd"; break; fi
  done
fi
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv > "$OUTDIR.nvidia-smi.txt" 2>/dev/null || true
mkdir -p "$OUTDIR"; mv -f "$OUTDIR.nvidia-smi.txt" "$OUTDIR/nvidia-smi.txt" 2>/dev/null || true
cd "$KIT"
exec "$KIT/node" "$KIT/tabtune-gpu.mjs" --repo "$REPO" --out "$OUTDIR" "$@"
`,
);
chmodSync(join(kit, 'run.sh'), 0o755);

const size = (p) => (statSync(p).isDirectory() ? readdirSync(p).reduce((s, f) => s + size(join(p, f)), 0) : statSync(p).size);
const total = size(kit);
console.log(`gpu-kit/: ${(total / 1024 / 1024).toFixed(1)} MB (limit ${LIMIT / 1024 / 1024} MB)`);
if (total > LIMIT) throw new Error(`gpu-kit/ is ${(total / 1024 / 1024).toFixed(1)} MB, over the ${LIMIT / 1024 / 1024} MB limit.`);
