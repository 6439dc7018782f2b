;; Elementwise and row kernels for tfjs-wasm (src/model/fused/gelu-wasm.ts, src/model/fused/layer-norm-wasm.ts):
;; bias + exact GELU and its gradient, residual + LayerNorm and its gradients, column sums, the attention's scaled
;; and masked softmax and its gradient. Built by
;; scripts/build-batch-matmul-wasm.mjs into fused-wasm.ts (beside this file) four ways, as batch-matmul.wat:
;;   (MEMORY)    — tfjs's own memory, unshared or shared, so tensors are read and written where tfjs keeps them;
;;   (FMA a b c) — a·b + c per lane: f32x4.relaxed_madd with relaxed SIMD, f32x4.mul then f32x4.add without;
;; and the macros LD, ST, IN (loads and stores inline; see the build script).
;; Addresses are in bytes. Rows need not be a multiple of 4 floats long: a row's last vector is read and written
;; lane by lane ($ld, $st), with the lanes past the row read as 0, so nothing outside a tensor is touched.
;; Node 20's V8 does not inline wasm functions, so the per-vector helpers ($core, $exp, $inside) are pasted in place
;; by the build's INLINE (and, called nowhere else, left out of the module); $ld and $st serve a row's last vector.
(module
  (MEMORY)

  ;; The n (≥ 1) floats at p, zeros past n.
  (func $ld (param $p i32) (param $n i32) (result v128)
    (local $v v128)
    (if (result v128) (i32.ge_s (local.get $n) (i32.const 4))
      (then (v128.load (local.get $p)))
      (else
        (local.set $v (f32x4.replace_lane 0 (v128.const i32x4 0 0 0 0) (f32.load (local.get $p))))
        (if (i32.gt_s (local.get $n) (i32.const 1))
          (then (local.set $v (f32x4.replace_lane 1 (local.get $v) (f32.load offset=4 (local.get $p))))))
        (if (i32.gt_s (local.get $n) (i32.const 2))
          (then (local.set $v (f32x4.replace_lane 2 (local.get $v) (f32.load offset=8 (local.get $p))))))
        (local.get $v))))

  ;; Stores the first n (≥ 1) lanes of v at p.
  (func $st (param $p i32) (param $v v128) (param $n i32)
    (if (i32.ge_s (local.get $n) (i32.const 4))
      (then (v128.store (local.get $p) (local.get $v)))
      (else
        (f32.store (local.get $p) (f32x4.extract_lane 0 (local.get $v)))
        (if (i32.gt_s (local.get $n) (i32.const 1))
          (then (f32.store offset=4 (local.get $p) (f32x4.extract_lane 1 (local.get $v)))))
        (if (i32.gt_s (local.get $n) (i32.const 2))
          (then (f32.store offset=8 (local.get $p) (f32x4.extract_lane 2 (local.get $v))))))))

  (func $hsum (param $v v128) (result f32)
    (f32.add
      (f32.add (f32x4.extract_lane 0 (local.get $v)) (f32x4.extract_lane 1 (local.get $v)))
      (f32.add (f32x4.extract_lane 2 (local.get $v)) (f32x4.extract_lane 3 (local.get $v)))))

  ;; For v: 1 + erf(a) and e^(−a²), a = v/√2 (v divided by √2 in float32, as encoder.ts's tf.div) — the GELU needs
  ;; the first, its gradient both (φ(v) = e^(−v²/2)/√(2π) is e^(−a²)/√(2π)), one call for either.
  ;; erf is Abramowitz & Stegun 7.1.26 with tfjs's constants (tf.backend_util.ERF_*, as the WebGPU kernel in
  ;; src/model/fused/linear-webgpu.ts): 1 − t·P(t)·e^(−a²), t = 1/(1 + p|a|), |error| ≤ 1.5e−7, a's sign copied on.
  ;; e^x is Cephes' expf: x = n·ln2 + r with |r| ≤ ln2/2 (ln2 in two parts, so r is exact), e^r by its degree-7
  ;; minimax polynomial, 2^n put in the exponent bits; about 1 ulp. n is rounded by adding 1.5·2^23 (to nearest, ties
  ;; to even, as f32x4.nearest), and that sum's low bits are n, shifted into the exponent: no float-to-int conversion.
  ;; x is clamped at −80 (|v| > 12.6), where e^x is 1.8e−35: the products below (t·P(t)·e, v·e/√(2π), each
  ;; times a gradient) stay normal floats, as they would not from FLT_MIN — a denormal operand costs an x86 core
  ;; about a hundred cycles, which made the kernel 3× slower on inputs of ±15. Past the clamp erf is ±1 in float32
  ;; either way, and φ(v) is off by less than 1e−34.
  (func $core (param $v v128) (result v128 v128)
    (local $a v128) (local $abs v128) (local $t v128) (local $y v128) (local $x v128) (local $j v128) (local $n v128) (local $r v128) (local $e v128)
    (local.set $a (f32x4.div (local.get $v) (v128.const f32x4 1.41421356237 1.41421356237 1.41421356237 1.41421356237)))
    (local.set $abs (f32x4.abs (local.get $a)))
    ;; e = e^x, x = −a²
    (local.set $x (f32x4.pmax (f32x4.neg (f32x4.mul (local.get $abs) (local.get $abs)))
      (v128.const f32x4 -80 -80 -80 -80)))
    (local.set $j (f32x4.add (f32x4.mul (local.get $x) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
      (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $n (f32x4.sub (local.get $j) (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $r (f32x4.sub (local.get $x) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $e (FMA (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r)
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $e (FMA (local.get $e) (f32x4.mul (local.get $r) (local.get $r)) (local.get $r)))
    (local.set $e (f32x4.mul (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1))
      (i32x4.add (i32x4.shl (local.get $j) (i32.const 23)) (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000))))
    ;; erf
    (local.set $t (f32x4.div (v128.const f32x4 1 1 1 1)
      (FMA (v128.const f32x4 0.3275911 0.3275911 0.3275911 0.3275911) (local.get $abs) (v128.const f32x4 1 1 1 1))))
    (local.set $y (FMA (v128.const f32x4 1.061405429 1.061405429 1.061405429 1.061405429) (local.get $t)
      (v128.const f32x4 -1.453152027 -1.453152027 -1.453152027 -1.453152027)))
    (local.set $y (FMA (local.get $y) (local.get $t) (v128.const f32x4 1.421413741 1.421413741 1.421413741 1.421413741)))
    (local.set $y (FMA (local.get $y) (local.get $t) (v128.const f32x4 -0.284496736 -0.284496736 -0.284496736 -0.284496736)))
    (local.set $y (FMA (local.get $y) (local.get $t) (v128.const f32x4 0.254829592 0.254829592 0.254829592 0.254829592)))
    (local.set $y (f32x4.mul (f32x4.mul (local.get $y) (local.get $t)) (local.get $e)))
    (f32x4.add (v128.const f32x4 1 1 1 1)
      (v128.or (f32x4.sub (v128.const f32x4 1 1 1 1) (local.get $y))
        (v128.and (local.get $a) (v128.const i32x4 0x80000000 0x80000000 0x80000000 0x80000000))))
    (local.get $e))

  ;; out = GELU(h + b): (v·0.5)·(1 + erf(v/√2)), v = h + b, h rows × cols, b cols.
  (func (export "bias_gelu") (param $h i32) (param $b i32) (param $out i32) (param $rows i32) (param $cols i32)
    (local $j i32) (local $n i32) (local $v v128) (local $ope v128) (local $e v128) (INLINE_LOCALS $core)
    (if (i32.le_s (i32.mul (local.get $rows) (local.get $cols)) (i32.const 0)) (then (return)))
    (loop $rowsLoop
      (local.set $j (i32.const 0))
      (loop $colsLoop
        (local.set $n (i32.sub (local.get $cols) (local.get $j)))
        (local.set $v (f32x4.add (LD (local.get $h) (local.get $n))
          (LD (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $n))))
        (INLINE $core (local.get $v))
        (local.set $e)
        (local.set $ope)
        (ST (local.get $out) (f32x4.mul (f32x4.mul (local.get $v) (v128.const f32x4 0.5 0.5 0.5 0.5)) (local.get $ope)) (local.get $n))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (br_if $colsLoop (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
      ;; the pointers stepped whole vectors: back to the next row's start
      (local.set $h (i32.sub (local.get $h) (i32.shl (i32.sub (local.get $j) (local.get $cols)) (i32.const 2))))
      (local.set $out (i32.sub (local.get $out) (i32.shl (i32.sub (local.get $j) (local.get $cols)) (i32.const 2))))
      (br_if $rowsLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; out = GELU(h + b) as bias_gelu, and slope = GELU'(h + b) = (1 + erf(v/√2))·0.5 + v·φ(v), φ(v) = e^(−v²/2)/√(2π)
  ;; (encoder.ts's gradFunc), from the same erf and exponential: the backward pass is then dy·slope, one multiply
  ;; (gelu-wasm.ts), instead of erf and e^(−v²/2) again.
  (func (export "bias_gelu_slope") (param $h i32) (param $b i32) (param $out i32) (param $slope i32) (param $rows i32) (param $cols i32)
    (local $j i32) (local $n i32) (local $v v128) (local $ope v128) (local $e v128) (local $back i32) (INLINE_LOCALS $core)
    (if (i32.le_s (i32.mul (local.get $rows) (local.get $cols)) (i32.const 0)) (then (return)))
    (loop $rowsLoop
      (local.set $j (i32.const 0))
      (loop $colsLoop
        (local.set $n (i32.sub (local.get $cols) (local.get $j)))
        (local.set $v (f32x4.add (LD (local.get $h) (local.get $n))
          (LD (i32.add (local.get $b) (i32.shl (local.get $j) (i32.const 2))) (local.get $n))))
        (INLINE $core (local.get $v))
        (local.set $e)
        (local.set $ope)
        (ST (local.get $out) (f32x4.mul (f32x4.mul (local.get $v) (v128.const f32x4 0.5 0.5 0.5 0.5)) (local.get $ope)) (local.get $n))
        (ST (local.get $slope)
          (f32x4.add (f32x4.mul (local.get $ope) (v128.const f32x4 0.5 0.5 0.5 0.5))
            (f32x4.mul (local.get $v)
              (f32x4.mul (local.get $e) (v128.const f32x4 0.3989422804 0.3989422804 0.3989422804 0.3989422804))))
          (local.get $n))
        (local.set $h (i32.add (local.get $h) (i32.const 16)))
        (local.set $out (i32.add (local.get $out) (i32.const 16)))
        (local.set $slope (i32.add (local.get $slope) (i32.const 16)))
        (br_if $colsLoop (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
      (local.set $back (i32.shl (i32.sub (local.get $j) (local.get $cols)) (i32.const 2)))
      (local.set $h (i32.sub (local.get $h) (local.get $back)))
      (local.set $out (i32.sub (local.get $out) (local.get $back)))
      (local.set $slope (i32.sub (local.get $slope) (local.get $back)))
      (br_if $rowsLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; Zeros the 4·ceil(n/4) floats at p (scratch, whole vectors).
  (func $zero (param $p i32) (param $n i32)
    (loop $z
      (v128.store (local.get $p) (v128.const i32x4 0 0 0 0))
      (local.set $p (i32.add (local.get $p) (i32.const 16)))
      (br_if $z (i32.gt_s (local.tee $n (i32.sub (local.get $n) (i32.const 4))) (i32.const 0)))))

  ;; tot += blk, blk = 0 over the 4·ceil(n/4) floats of each (scratch).
  (func $flush (param $tot i32) (param $blk i32) (param $n i32)
    (loop $f
      (v128.store (local.get $tot) (f32x4.add (v128.load (local.get $tot)) (v128.load (local.get $blk))))
      (v128.store (local.get $blk) (v128.const i32x4 0 0 0 0))
      (local.set $tot (i32.add (local.get $tot) (i32.const 16)))
      (local.set $blk (i32.add (local.get $blk) (i32.const 16)))
      (br_if $f (i32.gt_s (local.tee $n (i32.sub (local.get $n) (i32.const 4))) (i32.const 0)))))

  ;; Stores the first n floats of scratch src at out.
  (func $copyOut (param $src i32) (param $out i32) (param $n i32)
    (loop $c
      (ST (local.get $out) (v128.load (local.get $src)) (local.get $n))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $out (i32.add (local.get $out) (i32.const 16)))
      (br_if $c (i32.gt_s (local.tee $n (i32.sub (local.get $n) (i32.const 4))) (i32.const 0)))))

  ;; out[j] = Σ_i src[i, j], src rows × cols, row by row (reading src in order): blocks of 16 rows are summed into
  ;; blk, and the blocks into tot, which keeps the float32 sum about as close as tf.sum's. scratch: 2·4·ceil(cols/4)
  ;; floats (tot, then blk).
  (func (export "column_sum") (param $src i32) (param $out i32) (param $scratch i32) (param $rows i32) (param $cols i32)
    (local $blk i32) (local $i i32) (local $j i32) (local $p i32)
    (if (i32.le_s (local.get $cols) (i32.const 0)) (then (return)))
    (local.set $blk (i32.add (local.get $scratch) (i32.shl (i32.and (i32.add (local.get $cols) (i32.const 3)) (i32.const -4)) (i32.const 2))))
    (call $zero (local.get $scratch) (local.get $cols))
    (call $zero (local.get $blk) (local.get $cols))
    (if (i32.gt_s (local.get $rows) (i32.const 0)) (then
      (loop $rowsLoop
        (local.set $j (i32.const 0))
        (local.set $p (local.get $blk))
        (loop $colsLoop
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
            (LD (local.get $src) (i32.sub (local.get $cols) (local.get $j)))))
          (local.set $src (i32.add (local.get $src) (i32.const 16)))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $colsLoop (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
        (local.set $src (i32.sub (local.get $src) (i32.shl (i32.sub (local.get $j) (local.get $cols)) (i32.const 2))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.or (i32.eqz (i32.and (local.get $i) (i32.const 15))) (i32.eq (local.get $i) (local.get $rows)))
          (then (call $flush (local.get $scratch) (local.get $blk) (local.get $cols))))
        (br_if $rowsLoop (i32.lt_s (local.get $i) (local.get $rows))))))
    (call $copyOut (local.get $scratch) (local.get $out) (local.get $cols)))

  ;; One row's mean (lane 0) and σ = √(var + eps) (lane 1) as tf.moments computes them: Σv/H, then Σ(v − mean)²/H.
  (func $stats (param $x i32) (param $r i32) (param $hr i32) (param $cols i32) (param $eps f32) (result v128)
    (local $j i32) (local $n i32) (local $s v128) (local $mean f32) (local $m v128) (local $d v128)
    (loop $sum
      (local.set $s (f32x4.add (local.get $s)
        (IN (local.get $x) (local.get $r) (local.get $hr) (i32.shl (local.get $j) (i32.const 2)) (i32.sub (local.get $cols) (local.get $j)))))
      (br_if $sum (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
    (local.set $mean (f32.div (call $hsum (local.get $s)) (f32.convert_i32_s (local.get $cols))))
    (local.set $m (f32x4.splat (local.get $mean)))
    (local.set $s (v128.const i32x4 0 0 0 0))
    (local.set $j (i32.const 0))
    (loop $var
      (local.set $n (i32.sub (local.get $cols) (local.get $j)))
      (local.set $d (v128.and (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $n))) (f32x4.sub
        (IN (local.get $x) (local.get $r) (local.get $hr) (i32.shl (local.get $j) (i32.const 2)) (local.get $n))
        (local.get $m))))
      (local.set $s (f32x4.add (local.get $s) (f32x4.mul (local.get $d) (local.get $d))))
      (br_if $var (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
    (f32x4.replace_lane 1 (local.get $m)
      (f32.sqrt (f32.add (f32.div (call $hsum (local.get $s)) (f32.convert_i32_s (local.get $cols))) (local.get $eps)))))

  ;; out = ((v − mean)/σ)·γ + β per row, v = x (+ r).
  (func (export "layer_norm") (param $x i32) (param $r i32) (param $hr i32) (param $g i32) (param $b i32) (param $out i32)
      (param $rows i32) (param $cols i32) (param $eps f32)
    (local $j i32) (local $n i32) (local $o i32) (local $st v128) (local $m v128) (local $sd v128) (local $rowBytes i32)
    (if (i32.le_s (i32.mul (local.get $rows) (local.get $cols)) (i32.const 0)) (then (return)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (loop $rowsLoop
      (local.set $st (call $stats (local.get $x) (local.get $r) (local.get $hr) (local.get $cols) (local.get $eps)))
      (local.set $m (f32x4.splat (f32x4.extract_lane 0 (local.get $st))))
      (local.set $sd (f32x4.splat (f32x4.extract_lane 1 (local.get $st))))
      (local.set $j (i32.const 0))
      (loop $colsLoop
        (local.set $n (i32.sub (local.get $cols) (local.get $j)))
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        (ST (i32.add (local.get $out) (local.get $o))
          (f32x4.add
            (f32x4.mul
              (f32x4.div (f32x4.sub (IN (local.get $x) (local.get $r) (local.get $hr) (local.get $o) (local.get $n)) (local.get $m)) (local.get $sd))
              (LD (i32.add (local.get $g) (local.get $o)) (local.get $n)))
            (LD (i32.add (local.get $b) (local.get $o)) (local.get $n)))
          (local.get $n))
        (br_if $colsLoop (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (br_if $rowsLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; The gradient of x (and of r: the same), encoder.ts's formula: g = dy·γ, dx = ((g − mean(g)) − x̂·mean(g·x̂))/σ,
  ;; the row's mean and σ recomputed from x (+ r).
  (func (export "layer_norm_dx") (param $x i32) (param $r i32) (param $hr i32) (param $g i32) (param $dy i32) (param $out i32)
      (param $rows i32) (param $cols i32) (param $eps f32)
    (local $j i32) (local $n i32) (local $o i32) (local $st v128) (local $m v128) (local $sd v128) (local $rowBytes i32)
    (local $xh v128) (local $gg v128) (local $a1 v128) (local $a2 v128) (local $m1 v128) (local $m2 v128) (local $h f32)
    (if (i32.le_s (i32.mul (local.get $rows) (local.get $cols)) (i32.const 0)) (then (return)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $h (f32.convert_i32_s (local.get $cols)))
    (loop $rowsLoop
      (local.set $st (call $stats (local.get $x) (local.get $r) (local.get $hr) (local.get $cols) (local.get $eps)))
      (local.set $m (f32x4.splat (f32x4.extract_lane 0 (local.get $st))))
      (local.set $sd (f32x4.splat (f32x4.extract_lane 1 (local.get $st))))
      (local.set $a1 (v128.const i32x4 0 0 0 0))
      (local.set $a2 (v128.const i32x4 0 0 0 0))
      (local.set $j (i32.const 0))
      ;; lanes past the row: dy reads 0 there, so g and g·x̂ add nothing
      (loop $sums
        (local.set $n (i32.sub (local.get $cols) (local.get $j)))
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        (local.set $xh (f32x4.div (f32x4.sub (IN (local.get $x) (local.get $r) (local.get $hr) (local.get $o) (local.get $n)) (local.get $m)) (local.get $sd)))
        (local.set $gg (f32x4.mul (LD (i32.add (local.get $dy) (local.get $o)) (local.get $n))
          (LD (i32.add (local.get $g) (local.get $o)) (local.get $n))))
        (local.set $a1 (f32x4.add (local.get $a1) (local.get $gg)))
        (local.set $a2 (f32x4.add (local.get $a2) (f32x4.mul (local.get $gg) (local.get $xh))))
        (br_if $sums (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
      (local.set $m1 (f32x4.splat (f32.div (call $hsum (local.get $a1)) (local.get $h))))
      (local.set $m2 (f32x4.splat (f32.div (call $hsum (local.get $a2)) (local.get $h))))
      (local.set $j (i32.const 0))
      (loop $colsLoop
        (local.set $n (i32.sub (local.get $cols) (local.get $j)))
        (local.set $o (i32.shl (local.get $j) (i32.const 2)))
        (local.set $xh (f32x4.div (f32x4.sub (IN (local.get $x) (local.get $r) (local.get $hr) (local.get $o) (local.get $n)) (local.get $m)) (local.get $sd)))
        (local.set $gg (f32x4.mul (LD (i32.add (local.get $dy) (local.get $o)) (local.get $n))
          (LD (i32.add (local.get $g) (local.get $o)) (local.get $n))))
        (ST (i32.add (local.get $out) (local.get $o))
          (f32x4.div (f32x4.sub (f32x4.sub (local.get $gg) (local.get $m1)) (f32x4.mul (local.get $xh) (local.get $m2))) (local.get $sd))
          (local.get $n))
        (br_if $colsLoop (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $r (i32.add (local.get $r) (local.get $rowBytes)))
      (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (br_if $rowsLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; dγ[j] = Σ_i dy[i, j]·x̂[i, j], each row's stats recomputed, summed in blocks as column_sum.
  (func (export "layer_norm_dgamma") (param $x i32) (param $r i32) (param $hr i32) (param $dy i32) (param $out i32)
      (param $scratch i32) (param $rows i32) (param $cols i32) (param $eps f32)
    (local $blk i32) (local $i i32) (local $j i32) (local $o i32) (local $p i32) (local $n i32)
    (local $st v128) (local $m v128) (local $sd v128) (local $rowBytes i32)
    (if (i32.le_s (local.get $cols) (i32.const 0)) (then (return)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $blk (i32.add (local.get $scratch) (i32.shl (i32.and (i32.add (local.get $cols) (i32.const 3)) (i32.const -4)) (i32.const 2))))
    (call $zero (local.get $scratch) (local.get $cols))
    (call $zero (local.get $blk) (local.get $cols))
    (if (i32.gt_s (local.get $rows) (i32.const 0)) (then
      (loop $rowsLoop
        (local.set $st (call $stats (local.get $x) (local.get $r) (local.get $hr) (local.get $cols) (local.get $eps)))
        (local.set $m (f32x4.splat (f32x4.extract_lane 0 (local.get $st))))
        (local.set $sd (f32x4.splat (f32x4.extract_lane 1 (local.get $st))))
        (local.set $j (i32.const 0))
        (local.set $p (local.get $blk))
        (loop $colsLoop
          (local.set $n (i32.sub (local.get $cols) (local.get $j)))
          (local.set $o (i32.shl (local.get $j) (i32.const 2)))
          (v128.store (local.get $p) (f32x4.add (v128.load (local.get $p))
            (f32x4.mul (LD (i32.add (local.get $dy) (local.get $o)) (local.get $n))
              (f32x4.div (f32x4.sub (IN (local.get $x) (local.get $r) (local.get $hr) (local.get $o) (local.get $n)) (local.get $m)) (local.get $sd)))))
          (local.set $p (i32.add (local.get $p) (i32.const 16)))
          (br_if $colsLoop (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $cols))))
        (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
        (local.set $r (i32.add (local.get $r) (local.get $rowBytes)))
        (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (if (i32.or (i32.eqz (i32.and (local.get $i) (i32.const 15))) (i32.eq (local.get $i) (local.get $rows)))
          (then (call $flush (local.get $scratch) (local.get $blk) (local.get $cols))))
        (br_if $rowsLoop (i32.lt_s (local.get $i) (local.get $rows))))))
    (call $copyOut (local.get $scratch) (local.get $out) (local.get $cols)))

  ;; e^x per lane for x ≤ 0, Cephes' expf as in $core (kept apart: $core stops at e^(−80), this goes on to 0); lanes
  ;; below −87.3365 give exactly 0, as tfjs's Exp underflows there. Inlined where it is used.
  (func $exp (param $x v128) (result v128)
    (local $c v128) (local $j v128) (local $n v128) (local $r v128) (local $e v128)
    (local.set $c (f32x4.pmax (local.get $x) (v128.const f32x4 -87.3365 -87.3365 -87.3365 -87.3365)))
    (local.set $j (f32x4.add (f32x4.mul (local.get $c) (v128.const f32x4 1.44269504088896341 1.44269504088896341 1.44269504088896341 1.44269504088896341))
      (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $n (f32x4.sub (local.get $j) (v128.const f32x4 12582912 12582912 12582912 12582912)))
    (local.set $r (f32x4.sub (local.get $c) (f32x4.mul (local.get $n) (v128.const f32x4 0.693359375 0.693359375 0.693359375 0.693359375))))
    (local.set $r (f32x4.sub (local.get $r) (f32x4.mul (local.get $n) (v128.const f32x4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4 -2.12194440e-4))))
    (local.set $e (FMA (v128.const f32x4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4 1.9875691500e-4) (local.get $r)
      (v128.const f32x4 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3 1.3981999507e-3)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3 8.3334519073e-3)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2 4.1665795894e-2)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1 1.6666665459e-1)))
    (local.set $e (FMA (local.get $e) (local.get $r) (v128.const f32x4 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1 5.0000001201e-1)))
    (local.set $e (FMA (local.get $e) (f32x4.mul (local.get $r) (local.get $r)) (local.get $r)))
    (local.set $e (f32x4.mul (f32x4.add (local.get $e) (v128.const f32x4 1 1 1 1))
      (i32x4.add (i32x4.shl (local.get $j) (i32.const 23)) (v128.const i32x4 0x3f800000 0x3f800000 0x3f800000 0x3f800000))))
    (v128.andnot (local.get $e) (f32x4.lt (local.get $x) (v128.const f32x4 -87.3365 -87.3365 -87.3365 -87.3365))))

  ;; The lanes of a vector that lie inside a row with n (≥ 1) floats left: all ones there, zeros past the row.
  (func $inside (param $n i32) (result v128)
    (i32x4.lt_s (v128.const i32x4 0 1 2 3) (i32x4.splat (local.get $n))))

  ;; out = softmax(x/d + mask) per row, x rows × cols (row i of the attention's scores, rows = batch·heads·L), the
  ;; mask row of sequence (firstRow + i)/rowsPerMask (the additive mask bias [batch, cols], the same for every head
  ;; and query of a sequence): encoder.ts's tf.add(tf.div(scores, √D), mask) then tf.softmax, as e^(v − max)/Σ.
  ;; out holds v between the passes. firstRow: the band's first row, when the pool cuts the rows into bands.
  ;; Each pass runs a row's whole vectors with plain loads and stores, then its last partial vector (cols not a
  ;; multiple of 4) once, lane by lane and masked: the per-vector branches and masks cost [16, 12, 128, 128] scores
  ;; 8.8-9.4 ms against 5.4-7.1 (Node, relaxed SIMD), and the order of the arithmetic is the same either way.
  (func (export "masked_softmax") (param $x i32) (param $mask i32) (param $out i32) (param $rows i32) (param $cols i32)
      (param $d f32) (param $rowsPerMask i32) (param $firstRow i32)
    (local $tail i32) (local $o i32) (local $m i32) (local $v v128) (local $dv v128) (local $mx v128)
    (local $sum v128) (local $mxs f32) (local $tot v128) (local $rowBytes i32) (local $wholeBytes i32)
    (INLINE_LOCALS $exp $inside)
    (if (i32.le_s (i32.mul (local.get $rows) (local.get $cols)) (i32.const 0)) (then (return)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $wholeBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (local.set $tail (i32.and (local.get $cols) (i32.const 3)))
    (local.set $dv (f32x4.splat (local.get $d)))
    (loop $rowsLoop
      (local.set $m (i32.add (local.get $mask)
        (i32.mul (i32.div_u (local.get $firstRow) (local.get $rowsPerMask)) (local.get $rowBytes))))
      (local.set $mx (v128.const f32x4 -inf -inf -inf -inf))
      (local.set $o (i32.const 0))
      (if (local.get $wholeBytes) (then
        (loop $shift
          (local.set $v (f32x4.add (f32x4.div (v128.load (i32.add (local.get $x) (local.get $o))) (local.get $dv))
            (v128.load (i32.add (local.get $m) (local.get $o)))))
          (v128.store (i32.add (local.get $out) (local.get $o)) (local.get $v))
          ;; pmax is one instruction where max's NaN rules take six, on the loop's one carried chain; a NaN it passes
          ;; over still reaches every output of the row, through its own e^(v − max) and the sum.
          (local.set $mx (f32x4.pmax (local.get $v) (local.get $mx)))
          (br_if $shift (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 16))) (local.get $wholeBytes))))))
      (if (local.get $tail) (then
        (local.set $v (f32x4.add (f32x4.div (call $ld (i32.add (local.get $x) (local.get $o)) (local.get $tail)) (local.get $dv))
          (call $ld (i32.add (local.get $m) (local.get $o)) (local.get $tail))))
        (call $st (i32.add (local.get $out) (local.get $o)) (local.get $v) (local.get $tail))
        (local.set $mx (f32x4.pmax
          (v128.bitselect (local.get $v) (v128.const f32x4 -inf -inf -inf -inf) (INLINE $inside (local.get $tail)))
          (local.get $mx)))))
      (local.set $mxs (f32.max (f32.max (f32x4.extract_lane 0 (local.get $mx)) (f32x4.extract_lane 1 (local.get $mx)))
        (f32.max (f32x4.extract_lane 2 (local.get $mx)) (f32x4.extract_lane 3 (local.get $mx)))))
      (local.set $mx (f32x4.splat (local.get $mxs)))
      (local.set $sum (v128.const i32x4 0 0 0 0))
      (local.set $o (i32.const 0))
      (if (local.get $wholeBytes) (then
        (loop $exps
          (local.set $v (INLINE $exp (f32x4.sub (v128.load (i32.add (local.get $out) (local.get $o))) (local.get $mx))))
          (v128.store (i32.add (local.get $out) (local.get $o)) (local.get $v))
          (local.set $sum (f32x4.add (local.get $sum) (local.get $v)))
          (br_if $exps (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 16))) (local.get $wholeBytes))))))
      (if (local.get $tail) (then
        (local.set $v (INLINE $exp (f32x4.sub (call $ld (i32.add (local.get $out) (local.get $o)) (local.get $tail)) (local.get $mx))))
        (call $st (i32.add (local.get $out) (local.get $o)) (local.get $v) (local.get $tail))
        (local.set $sum (f32x4.add (local.get $sum) (v128.and (local.get $v) (INLINE $inside (local.get $tail)))))))
      (local.set $tot (f32x4.splat (call $hsum (local.get $sum))))
      (local.set $o (i32.const 0))
      (if (local.get $wholeBytes) (then
        (loop $scale
          (v128.store (i32.add (local.get $out) (local.get $o))
            (f32x4.div (v128.load (i32.add (local.get $out) (local.get $o))) (local.get $tot)))
          (br_if $scale (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 16))) (local.get $wholeBytes))))))
      (if (local.get $tail) (then
        (call $st (i32.add (local.get $out) (local.get $o))
          (f32x4.div (call $ld (i32.add (local.get $out) (local.get $o)) (local.get $tail)) (local.get $tot)) (local.get $tail))))
      (local.set $x (i32.add (local.get $x) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (local.set $firstRow (i32.add (local.get $firstRow) (i32.const 1)))
      (br_if $rowsLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))

  ;; The gradient of masked_softmax's x: out = y·(dy − Σ dy·y)/d per row (y its output), tfjs's Softmax gradient
  ;; followed by the division's. Whole vectors, then the last partial one, as masked_softmax.
  (func (export "softmax_grad") (param $y i32) (param $dy i32) (param $out i32) (param $rows i32) (param $cols i32) (param $d f32)
    (local $tail i32) (local $o i32) (local $s v128) (local $dv v128) (local $yv v128) (local $rowBytes i32) (local $wholeBytes i32)
    (if (i32.le_s (i32.mul (local.get $rows) (local.get $cols)) (i32.const 0)) (then (return)))
    (local.set $rowBytes (i32.shl (local.get $cols) (i32.const 2)))
    (local.set $wholeBytes (i32.and (local.get $rowBytes) (i32.const -16)))
    (local.set $tail (i32.and (local.get $cols) (i32.const 3)))
    (local.set $dv (f32x4.splat (local.get $d)))
    (loop $rowsLoop
      (local.set $s (v128.const i32x4 0 0 0 0))
      (local.set $o (i32.const 0))
      (if (local.get $wholeBytes) (then
        (loop $dot
          (local.set $s (f32x4.add (local.get $s) (f32x4.mul (v128.load (i32.add (local.get $dy) (local.get $o)))
            (v128.load (i32.add (local.get $y) (local.get $o))))))
          (br_if $dot (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 16))) (local.get $wholeBytes))))))
      ;; lanes past the row read 0 from both, so they add nothing
      (if (local.get $tail) (then
        (local.set $s (f32x4.add (local.get $s) (f32x4.mul (call $ld (i32.add (local.get $dy) (local.get $o)) (local.get $tail))
          (call $ld (i32.add (local.get $y) (local.get $o)) (local.get $tail)))))))
      (local.set $s (f32x4.splat (call $hsum (local.get $s))))
      (local.set $o (i32.const 0))
      (if (local.get $wholeBytes) (then
        (loop $colsLoop
          (local.set $yv (v128.load (i32.add (local.get $y) (local.get $o))))
          (v128.store (i32.add (local.get $out) (local.get $o))
            (f32x4.div (f32x4.mul (local.get $yv) (f32x4.sub (v128.load (i32.add (local.get $dy) (local.get $o))) (local.get $s)))
              (local.get $dv)))
          (br_if $colsLoop (i32.lt_u (local.tee $o (i32.add (local.get $o) (i32.const 16))) (local.get $wholeBytes))))))
      (if (local.get $tail) (then
        (local.set $yv (call $ld (i32.add (local.get $y) (local.get $o)) (local.get $tail)))
        (call $st (i32.add (local.get $out) (local.get $o))
          (f32x4.div (f32x4.mul (local.get $yv) (f32x4.sub (call $ld (i32.add (local.get $dy) (local.get $o)) (local.get $tail)) (local.get $s)))
            (local.get $dv))
          (local.get $tail))))
      (local.set $y (i32.add (local.get $y) (local.get $rowBytes)))
      (local.set $dy (i32.add (local.get $dy) (local.get $rowBytes)))
      (local.set $out (i32.add (local.get $out) (local.get $rowBytes)))
      (br_if $rowsLoop (local.tee $rows (i32.sub (local.get $rows) (i32.const 1))))))
)
