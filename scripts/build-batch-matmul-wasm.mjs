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

// batch-matmul.wat's (PACKED_A_ABOVE_N): products wider than this take $gemm_packed. Its ten chains need fused
// multiply-adds: a plain multiply then add holds one more register per step and spilled (bench/RESULTS.md), so the
// plain build keeps $gemm for every product.
const packedAboveN = { relaxed: '(i32.const 32)', plain: '(i32.const 0x7fffffff)' };

// Macros the .wat files call like instructions, each argument a folded expression or a bare token (expanded
// inside out). Arguments are pasted, not evaluated once: they must be free of side effects (local.get, i32.add…).
//   (FMA a b c)      a·b + c per lane: relaxed_madd, or a multiply then an add;
//   (LD p n)         the n (≥ 1) floats at p as a vector: one load when n ≥ 4, else $ld (zeros past n);
//   (ST p v n)       the first n lanes of v stored at p: one store when n ≥ 4, else $st;
//   (IN x r hr o n)  LayerNorm's input at byte offset o: (LD x+o n), plus (LD r+o n) when hr;
//   (TRANSPOSE4 c)   $pack_b's transposed case: four k of columns c..c+3 (c a literal, 0 or 4), one vector from
//                    each column at $row + column·$bns, written as four packed rows of the panel at $dst (the
//                    half at byte c·4 of each 32-byte row), through $v0..$v3 and $t0..$t3.
// V8 (Node 20's) does not inline wasm calls, and a call per vector for a load doubled a row kernel's time.
const fmas = {
  relaxed: (a, b, c) => `(f32x4.relaxed_madd ${a} ${b} ${c})`,
  plain: (a, b, c) => `(f32x4.add (f32x4.mul ${a} ${b}) ${c})`,
};
// A 4 × 4 transpose of f32 lanes by byte shuffles: pairs interleaved (lanes 0 4 1 5 and 2 6 3 7), then halves
// joined (0 1 4 5 and 2 3 6 7).
const lanes = (...fs) => fs.flatMap((f) => [4 * f, 4 * f + 1, 4 * f + 2, 4 * f + 3]).join(' ');
const shuffle = (order, a, b) => `(i8x16.shuffle ${lanes(...order)} (local.get ${a}) (local.get ${b}))`;
function transpose4(c) {
  const load = (i) => `(local.set $v${i} (v128.load (i32.add (local.get $row) (i32.mul (local.get $bns) (i32.const ${c + i})))))`;
  const store = (j, order, a, b) => `(v128.store offset=${32 * j + 4 * c} (local.get $dst) ${shuffle(order, a, b)})`;
  return [0, 1, 2, 3].map(load).join(' ') +
    ` (local.set $t0 ${shuffle([0, 4, 1, 5], '$v0', '$v1')}) (local.set $t1 ${shuffle([0, 4, 1, 5], '$v2', '$v3')})` +
    ` (local.set $t2 ${shuffle([2, 6, 3, 7], '$v0', '$v1')}) (local.set $t3 ${shuffle([2, 6, 3, 7], '$v2', '$v3')}) ` +
    [store(0, [0, 1, 4, 5], '$t0', '$t1'), store(1, [2, 3, 6, 7], '$t0', '$t1'),
     store(2, [0, 1, 4, 5], '$t2', '$t3'), store(3, [2, 3, 6, 7], '$t2', '$t3')].join(' ');
}
const macros = (madd) => ({
  FMA: [3, fmas[madd]],
  LD: [2, (p, n) => `(if (result v128) (i32.ge_s ${n} (i32.const 4)) (then (v128.load ${p})) (else (call $ld ${p} ${n})))`],
  ST: [3, (p, v, n) => `(if (i32.ge_s ${n} (i32.const 4)) (then (v128.store ${p} ${v})) (else (call $st ${p} ${v} ${n})))`],
  TRANSPOSE4: [1, (c) => transpose4(Number(c))],
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

// Inlining, because V8 (Node 20's) does not inline wasm calls and a call per vector costs a kernel much of its time:
//   (INLINE $f arg…)      $f's body in place of (call $f arg…): a block with $f's results, its arguments first
//                         set into $f's parameters, renamed $f.x, as are its locals;
//   (INLINE_LOCALS $f…)   in a caller's local declarations: those renamed parameters and locals of each $f.
// A call and an inline copy compute the same bits. $f is left out of the module once nothing calls it any more.
// Like the macros above, these are found in comments too: a comment must not spell them out.
function funcParts(source, name) {
  const at = source.indexOf(`(func ${name} `);
  if (at < 0) throw new Error(`INLINE: no (func ${name} …) in the source`);
  const [text] = operand(source, at);
  const decl = /^\((param|result|local) ([^()]*)\)/;
  let rest = text.slice(`(func ${name}`.length, -1).trim();
  const params = [], locals = [], results = [];
  for (let m = decl.exec(rest); m; m = decl.exec(rest)) {
    const [kind, body] = [m[1], m[2].trim()];
    if (kind === 'result') results.push(...body.split(/\s+/));
    else {
      const [id, type] = body.split(/\s+/);
      (kind === 'param' ? params : locals).push({ id, type });
    }
    rest = rest.slice(m[0].length).trim();
  }
  const body = [...params, ...locals].reduce(
    (acc, { id }) => acc.replace(new RegExp(`(?<![\\w$.])\\${id}(?![\\w.])`, 'g'), `${name}.${id.slice(1)}`), rest);
  return { params, locals, results, body };
}

/** `text` with its INLINE and INLINE_LOCALS expanded; the functions they name are looked up in `text` itself. */
function inlineCalls(text) {
  const source = text;
  text = text.replace(/\(INLINE_LOCALS ([^()]*)\)/g, (_, names) => names.trim().split(/\s+/).map((name) => {
    const { params, locals } = funcParts(source, name);
    return [...params, ...locals].map(({ id, type }) => `(local ${name}.${id.slice(1)} ${type})`).join(' ');
  }).join(' '));
  const inlined = new Set();
  for (let at = text.indexOf('(INLINE '); at >= 0; at = text.indexOf('(INLINE ')) {
    const [name, afterName] = operand(text, at + '(INLINE '.length);
    inlined.add(name);
    let i = afterName;
    const { params, results, body } = funcParts(source, name);
    const sets = params.map(({ id }) => {
      const [arg, next] = operand(text, i);
      i = next;
      return `(local.set ${name}.${id.slice(1)} ${arg})`;
    });
    while (text[i] !== ')') i++;
    text = `${text.slice(0, at)}(block (result ${results.join(' ')}) ${sets.join(' ')} ${body})${text.slice(i + 1)}`;
  }
  for (const name of inlined) {
    if (text.includes(`(call ${name} `) || text.includes(`(call ${name})`)) continue;
    const at = text.indexOf(`(func ${name} `);
    text = text.slice(0, at) + text.slice(operand(text, at)[1]);
  }
  return text;
}

function build(file, source, memory, madd) {
  const text = inlineCalls(expandMacros(source, macros(madd)))
    .replaceAll('(MEMORY)', memories[memory])
    .replaceAll('(PACKED_A_ABOVE_N)', packedAboveN[madd])
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
