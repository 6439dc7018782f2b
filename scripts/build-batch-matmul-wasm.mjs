// Rebuilds the project's wasm modules from their text:
//   src/runtime/batch-matmul/batch-matmul.wat → batch-matmul-wasm.ts (the batched matmul)
//   src/runtime/fused-wasm/fused.wat          → fused-wasm.ts (bias + GELU, residual + LayerNorm, issue #20)
//   npm run build:wasm-kernels     (node scripts/build-batch-matmul-wasm.mjs; wabt 1.0.39 is a devDependency)
// The binaries are checked in (as base64, so Vite and Node load them alike with no file access), because the app
// must not need wabt to run. Each .wat has placeholders, expanded here into four modules: its memory import
// unshared or shared, and its multiply-adds fused (relaxed SIMD) or not (plain SIMD).
import { createRequire } from 'node:module';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

// wabt is looked up from the project first, then from the current directory (to run it from a scratch install).
const require = createRequire(import.meta.url);
const wabtPath = require.resolve('wabt', { paths: [root, process.cwd()] });
const wabt = await require(wabtPath)();

const memories = {
  unshared: '(import "env" "memory" (memory 1))',
  // The maximum must be at least the imported memory's: tfjs's threaded build declares 4 GiB (65536 pages).
  shared: '(import "env" "memory" (memory 1 65536 shared))',
};
const madds = {
  relaxed: (x, y, acc) => `(local.set ${acc} (f32x4.relaxed_madd (local.get ${x}) (local.get ${y}) (local.get ${acc})))`,
  plain: (x, y, acc) => `(local.set ${acc} (f32x4.add (f32x4.mul (local.get ${x}) (local.get ${y})) (local.get ${acc})))`,
};

// Macros the .wat files call like instructions, each argument a folded expression or a bare token (expanded
// inside out). Arguments are pasted, not evaluated once: they must be free of side effects (local.get, i32.add…).
//   (FMA a b c)      a·b + c per lane: relaxed_madd, or a multiply then an add;
//   (LD p n)         the n (≥ 1) floats at p as a vector: one load when n ≥ 4, else $ld (zeros past n);
//   (ST p v n)       the first n lanes of v stored at p: one store when n ≥ 4, else $st;
//   (IN x r hr o n)  LayerNorm's input at byte offset o: (LD x+o n), plus (LD r+o n) when hr.
// V8 (Node 20's) does not inline wasm calls, and a call per vector for a load doubled a row kernel's time.
const fmas = {
  relaxed: (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})`,
  plain: (a, b, c) => `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`,
};
const macros = (madd) => ({
  FMA: [3, fmas[madd]],
  LD: [2, (p, n) => `(if (result v128) (i32.ge_s ${n} (i32.const 4)) (then (v128.load ${p})) (else (call $ld ${p} ${n})))`],
  ST: [3, (p, v, n) => `(if (i32.ge_s ${n} (i32.const 4)) (then (v128.store ${p} ${v})) (else (call $st ${p} ${v} ${n})))`],
  IN: [5, (x, r, hr, o, n) =>
    `(if (result v128) ${hr} (then (f32x4.add (LD (i32.add ${x} ${o}) ${n}) (LD (i32.add ${r} ${o}) ${n}))) (else (LD (i32.add ${x} ${o}) ${n})))`],
});

/** The balanced s-expression (or bare token) starting at text[i] (after spaces), and where it ends. */
function operand(text, i) {
  while (/\s/.test(text[i])) i++;
  const start = i;
  if (text[i] !== '(') {
    while (i < text.length && !/[\s()]/.test(text[i])) i++;
    return [text.slice(start, i), i];
  }
  let depth = 0;
  do {
    if (text[i] === '(') depth++;
    else if (text[i] === ')') depth--;
    i++;
  } while (depth > 0);
  return [text.slice(start, i), i];
}

function expandMacros(text, table) {
  const pattern = new RegExp(`\\((${Object.keys(table).join('|')})\\s`);
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    const [arity, expand] = table[m[1]];
    let i = m.index + m[0].length;
    const args = [];
    for (let k = 0; k < arity; k++) {
      const [arg, next] = operand(text, i);
      args.push(expandMacros(arg, table));
      i = next;
    }
    while (text[i] !== ')') i++;
    text = text.slice(0, m.index) + expandMacros(expand(...args), table) + text.slice(i + 1);
  }
  return text;
}

function build(file, source, memory, madd) {
  const text = expandMacros(source, macros(madd))
    .replaceAll('(MEMORY)', memories[memory])
    .replace(/\(MADD (\$\w+) (\$\w+) (\$\w+)\)/g, (_, x, y, acc) => madds[madd](x, y, acc));
  const features = { simd: true, relaxed_simd: true, threads: true };
  const mod = wabt.parseWat(`${file}-${madd}-${memory}.wat`, text, features);
  mod.validate(features);
  const { buffer } = mod.toBinary({ log: false, write_debug_names: false });
  mod.destroy();
  return Buffer.from(buffer).toString('base64');
}

const modules = [
  { dir: 'src/runtime/batch-matmul', file: 'batch-matmul', what: 'the batched-matmul module' },
  { dir: 'src/runtime/fused-wasm', file: 'fused', what: 'the fused bias-GELU and LayerNorm module' },
];
for (const { dir, file, what } of modules) {
  const source = readFileSync(join(root, dir, `${file}.wat`), 'utf8');
  const out = [
    `// Generated by scripts/build-batch-matmul-wasm.mjs from ${file}.wat (beside this file): edit that and rerun.`,
    `// Base64 of the four builds of ${what}: fused (relaxed SIMD) or plain multiply-add, importing`,
    '// an unshared or a shared memory.',
  ];
  for (const madd of Object.keys(madds)) {
    for (const memory of Object.keys(memories)) {
      const name = `${madd}${memory[0].toUpperCase()}${memory.slice(1)}`;
      out.push(`export const ${name} = '${build(file, source, memory, madd)}';`);
    }
  }
  const target = join(root, dir, `${file}-wasm.ts`);
  writeFileSync(target, out.join('\n') + '\n');
  console.log(`wrote ${target}`);
}
