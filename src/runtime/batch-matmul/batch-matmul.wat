;; C[b] = op(A[b]) · op(B[b]) in float32, for tfjs-wasm's BatchMatMul (src/runtime/wasm-batch-matmul.ts).
;; Built by scripts/build-batch-matmul-wasm.mjs into batch-matmul-wasm.ts, four ways:
;;   (MEMORY) — the import of tfjs's own memory, unshared (Node, the page without threads) or shared (the threaded
;;              build's memory is a shared WebAssembly.Memory with a 4 GiB maximum), so operands are read and the
;;              product written where tfjs keeps its tensors, with no copies;
;;   (MADD $x $y $acc) — acc += x·y per lane: f32x4.relaxed_madd where the engine has relaxed SIMD (one fused
;;              multiply-add), f32x4.mul then f32x4.add where it has plain SIMD only.
;; Addresses and strides are in bytes. A's element (i, k) lies at a + i·ars + k·aks and B's (k, j) at
;; b + k·bks + j·bns, so every orientation is a choice of strides (wasm-batch-matmul.ts planProduct) and neither operand is transposed
;; in memory first. C's element (i, j) is written at c + i·ldc + 4j: a product can fill a band of columns of a wider
;; matrix (the attention writes each head's context into its columns of [rows, hidden]: src/model/fused/attention-wasm.ts).
(module
  (MEMORY)

  ;; B is copied into panels of 8 columns (zero past N), each K rows of 8 consecutive floats: the micro-kernel
  ;; then reads its B operand as two aligned vectors from one pointer stepping 32 bytes, whatever B's layout.
  ;; Exported so that a frozen weight can be packed once and kept (./packed-weights.ts).
  (func $pack_b (export "pack_b") (param $src i32) (param $dst i32) (param $n i32) (param $k i32) (param $bks i32) (param $bns i32)
    (local $p i32) (local $cols i32) (local $kk i32) (local $row i32) (local $c i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (loop $panels
      (local.set $cols (i32.sub (local.get $n) (local.get $p)))
      (if (i32.gt_s (local.get $cols) (i32.const 8)) (then (local.set $cols (i32.const 8))))
      (local.set $row (i32.add (local.get $src) (i32.mul (local.get $p) (local.get $bns))))
      (local.set $kk (local.get $k))
      (if (i32.and (i32.eq (local.get $cols) (i32.const 8)) (i32.eq (local.get $bns) (i32.const 4)))
        (then
          ;; rows of B are contiguous: two vector copies per k
          (loop $rows8
            (v128.store (local.get $dst) (v128.load (local.get $row)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $row)))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $row (i32.add (local.get $row) (local.get $bks)))
            (br_if $rows8 (local.tee $kk (i32.sub (local.get $kk) (i32.const 1))))))
        (else
          (if (i32.and (i32.eq (local.get $cols) (i32.const 8)) (i32.eq (local.get $bks) (i32.const 4)))
            (then
              ;; B stored transposed (each column's K values contiguous, a dense layer's dx): four k at a time,
              ;; a vector from each of the panel's 8 columns, turned into four rows of 8 by two 4 × 4 transposes
              ;; (the macro TRANSPOSE4 of scripts/build-batch-matmul-wasm.mjs), instead of one branching scalar
              ;; copy per element; the last K mod 4 rows take the scalar copy below
              (block $done4
                (loop $rows4
                  (br_if $done4 (i32.lt_s (local.get $kk) (i32.const 4)))
                  (TRANSPOSE4 0)
                  (TRANSPOSE4 4)
                  (local.set $dst (i32.add (local.get $dst) (i32.const 128)))
                  (local.set $row (i32.add (local.get $row) (i32.const 16)))
                  (local.set $kk (i32.sub (local.get $kk) (i32.const 4)))
                  (br $rows4)))))
          (if (i32.gt_s (local.get $kk) (i32.const 0)) (then
          (loop $rows
            (local.set $c (i32.const 0))
            (loop $cols
              (f32.store (i32.add (local.get $dst) (i32.shl (local.get $c) (i32.const 2)))
                (if (result f32) (i32.lt_s (local.get $c) (local.get $cols))
                  (then (f32.load (i32.add (local.get $row) (i32.mul (local.get $c) (local.get $bns)))))
                  (else (f32.const 0))))
              (br_if $cols (i32.lt_s (local.tee $c (i32.add (local.get $c) (i32.const 1))) (i32.const 8))))
            (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
            (local.set $row (i32.add (local.get $row) (local.get $bks)))
            (br_if $rows (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))))))
      (br_if $panels (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $n)))))

  ;; The first mr rows and nc columns of an edge tile, rows of 8 floats at tile, into C at cp (rows ldc bytes apart):
  ;; both micro-kernels store a tile that runs past C's last row or column through here.
  (func $store_edge (param $tile i32) (param $cp i32) (param $ldc i32) (param $mr i32) (param $nc i32)
    (local $r i32) (local $j i32)
    (loop $erows
      (local.set $j (i32.const 0))
      (loop $ecols
        (f32.store
          (i32.add (i32.add (local.get $cp) (i32.mul (local.get $r) (local.get $ldc))) (i32.shl (local.get $j) (i32.const 2)))
          (f32.load (i32.add (local.get $tile) (i32.add (i32.shl (local.get $r) (i32.const 5)) (i32.shl (local.get $j) (i32.const 2))))))
        (br_if $ecols (i32.lt_s (local.tee $j (i32.add (local.get $j) (i32.const 1))) (local.get $nc))))
      (br_if $erows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (local.get $mr)))))

  ;; One product C (M×N, rows of N floats) = A · packed B, in tiles of 4 rows × 8 columns: eight f32x4
  ;; accumulators (independent chains, enough to cover the add or FMA latency), two B vectors and one broadcast A
  ;; value live in the loop, which fits x86-64's sixteen vector registers without spilling. A is read in place:
  ;; each of the tile's 4 rows has its own pointer, and rows past M repeat the tile's first row (in bounds; their
  ;; sums are never stored). Rows are taken in chunks of about 128 KiB of A, each multiplied by every panel before
  ;; the next: a chunk stays in L2 while the panels pass, where one pass of all of A per panel would stream a tall A
  ;; (2048 tokens × 384) from memory once for every 8 columns.
  (func $gemm (param $a i32) (param $pb i32) (param $c i32) (param $ldc i32) (param $m i32) (param $n i32) (param $k i32)
              (param $ars i32) (param $aks i32) (param $tile i32)
    (local $p i32) (local $i i32) (local $nc i32) (local $mr i32) (local $panel i32)
    (local $p0 i32) (local $p1 i32) (local $p2 i32) (local $p3 i32) (local $bp i32) (local $kk i32)
    (local $cp i32)
    (local $i0 i32) (local $mc i32) (local $iend i32)
    (local $x v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128)
    (local $c20 v128) (local $c21 v128) (local $c30 v128) (local $c31 v128)
    (local.set $mc (i32.and (i32.div_u (i32.const 32768) (local.get $k)) (i32.const -4)))
    (if (i32.lt_s (local.get $mc) (i32.const 4)) (then (local.set $mc (i32.const 4))))
    (loop $chunks
    (local.set $iend (i32.add (local.get $i0) (local.get $mc)))
    (if (i32.gt_s (local.get $iend) (local.get $m)) (then (local.set $iend (local.get $m))))
    (local.set $panel (local.get $pb))
    (local.set $p (i32.const 0))
    (loop $panels
      (local.set $nc (i32.sub (local.get $n) (local.get $p)))
      (if (i32.gt_s (local.get $nc) (i32.const 8)) (then (local.set $nc (i32.const 8))))
      (local.set $i (local.get $i0))
      (loop $rows
        (local.set $mr (i32.sub (local.get $m) (local.get $i)))
        (if (i32.gt_s (local.get $mr) (i32.const 4)) (then (local.set $mr (i32.const 4))))
        (local.set $p0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $ars))))
        (local.set $p1 (select (i32.add (local.get $p0) (local.get $ars)) (local.get $p0) (i32.gt_s (local.get $mr) (i32.const 1))))
        (local.set $p2 (select (i32.add (local.get $p1) (local.get $ars)) (local.get $p0) (i32.gt_s (local.get $mr) (i32.const 2))))
        (local.set $p3 (select (i32.add (local.get $p2) (local.get $ars)) (local.get $p0) (i32.gt_s (local.get $mr) (i32.const 3))))
        (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $bp (local.get $panel))
        (local.set $kk (local.get $k))
        (loop $dot
          (local.set $b0 (v128.load (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $x (v128.load32_splat (local.get $p0)))
          (MADD $x $b0 $c00) (MADD $x $b1 $c01)
          (local.set $x (v128.load32_splat (local.get $p1)))
          (MADD $x $b0 $c10) (MADD $x $b1 $c11)
          (local.set $x (v128.load32_splat (local.get $p2)))
          (MADD $x $b0 $c20) (MADD $x $b1 $c21)
          (local.set $x (v128.load32_splat (local.get $p3)))
          (MADD $x $b0 $c30) (MADD $x $b1 $c31)
          (local.set $p0 (i32.add (local.get $p0) (local.get $aks)))
          (local.set $p1 (i32.add (local.get $p1) (local.get $aks)))
          (local.set $p2 (i32.add (local.get $p2) (local.get $aks)))
          (local.set $p3 (i32.add (local.get $p3) (local.get $aks)))
          (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
          (br_if $dot (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))
        (local.set $cp (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (i32.shl (local.get $p) (i32.const 2))))
        (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nc) (i32.const 8)))
          (then
            (v128.store (local.get $cp) (local.get $c00))
            (v128.store offset=16 (local.get $cp) (local.get $c01))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c10))
            (v128.store offset=16 (local.get $cp) (local.get $c11))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c20))
            (v128.store offset=16 (local.get $cp) (local.get $c21))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c30))
            (v128.store offset=16 (local.get $cp) (local.get $c31)))
          (else
            ;; an edge tile: through the 4×8 scratch tile, then only the rows and columns inside C
            (v128.store (local.get $tile) (local.get $c00))
            (v128.store offset=16 (local.get $tile) (local.get $c01))
            (v128.store offset=32 (local.get $tile) (local.get $c10))
            (v128.store offset=48 (local.get $tile) (local.get $c11))
            (v128.store offset=64 (local.get $tile) (local.get $c20))
            (v128.store offset=80 (local.get $tile) (local.get $c21))
            (v128.store offset=96 (local.get $tile) (local.get $c30))
            (v128.store offset=112 (local.get $tile) (local.get $c31))
            (call $store_edge (local.get $tile) (local.get $cp) (local.get $ldc) (local.get $mr) (local.get $nc))))
        (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $iend))))
      (local.set $panel (i32.add (local.get $panel) (i32.shl (local.get $k) (i32.const 5))))
      (br_if $panels (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $n))))
    (br_if $chunks (i32.lt_s (local.tee $i0 (local.get $iend)) (local.get $m)))))

  ;; A chunk of A's rows (i..iend) packed for $gemm_packed: tiles of 5 rows, each K steps of 5 consecutive floats
  ;; ([tile][k][row]); rows past iend are zeros. One pass over the chunk, whatever A's strides.
  (func $pack_a (param $a i32) (param $dst i32) (param $i i32) (param $iend i32) (param $k i32) (param $ars i32) (param $aks i32)
    (local $r i32) (local $src i32) (local $d i32) (local $kk i32)
    (loop $tiles
      (local.set $r (i32.const 0))
      (loop $rows
        (local.set $d (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 2))))
        (local.set $kk (local.get $k))
        (if (i32.lt_s (i32.add (local.get $i) (local.get $r)) (local.get $iend))
          (then
            (local.set $src (i32.add (local.get $a) (i32.mul (i32.add (local.get $i) (local.get $r)) (local.get $ars))))
            (loop $ks
              (f32.store (local.get $d) (f32.load (local.get $src)))
              (local.set $src (i32.add (local.get $src) (local.get $aks)))
              (local.set $d (i32.add (local.get $d) (i32.const 20)))
              (br_if $ks (local.tee $kk (i32.sub (local.get $kk) (i32.const 1))))))
          (else
            (loop $zeros
              (f32.store (local.get $d) (f32.const 0))
              (local.set $d (i32.add (local.get $d) (i32.const 20)))
              (br_if $zeros (local.tee $kk (i32.sub (local.get $kk) (i32.const 1)))))))
        (br_if $rows (i32.lt_s (local.tee $r (i32.add (local.get $r) (i32.const 1))) (i32.const 5))))
      (local.set $dst (i32.add (local.get $dst) (i32.mul (local.get $k) (i32.const 20))))
      (br_if $tiles (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 5))) (local.get $iend)))))

  ;; $gemm with A packed ($pack_a) and tiles of 5 rows × 8 columns: ten accumulator chains instead of eight, which is
  ;; what the chains measure (scripts/bench-simd-fma-peak.mjs: 61 against 55 GFLOP/s in Node 20 on an Intel Xeon)
  ;; and what a product gains (bench/RESULTS.md, sixteenth session). It has to fit V8's 15 allocatable vector
  ;; registers: V8 hoists every load of a k step ahead of its multiply-adds, so five broadcast loads would hold five
  ;; registers (10 + 2 + 5, spilling two accumulators). Instead rows 0-3 come in one vector load and are splatted
  ;; lane by lane with shuffles, which V8 leaves in place (one register), and row 4 is one broadcast load: 10 + 2 +
  ;; 3. The loop ends on A's pointer, so no counter competes for a general register. Packing costs one pass over A
  ;; per chunk, paid back only across several panels: batch_matmul sends products of 32 columns or fewer to $gemm.
  ;; tile: scratch of 40 floats, then the packed chunk (see $gemm's chunks: 32768 / K rows, cut to a multiple of 5).
  (func $gemm_packed (param $a i32) (param $pb i32) (param $c i32) (param $ldc i32) (param $m i32) (param $n i32) (param $k i32)
              (param $ars i32) (param $aks i32) (param $tile i32)
    (local $p i32) (local $i i32) (local $nc i32) (local $mr i32) (local $panel i32)
    (local $pa i32) (local $ap i32) (local $aend i32) (local $bp i32)
    (local $cp i32)
    (local $i0 i32) (local $mc i32) (local $iend i32)
    (local $x v128) (local $av v128) (local $b0 v128) (local $b1 v128)
    (local $c00 v128) (local $c01 v128) (local $c10 v128) (local $c11 v128) (local $c20 v128)
    (local $c21 v128) (local $c30 v128) (local $c31 v128) (local $c40 v128) (local $c41 v128)
    (local.set $pa (i32.add (local.get $tile) (i32.const 160)))
    (local.set $mc (i32.mul (i32.div_u (i32.div_u (i32.const 32768) (local.get $k)) (i32.const 5)) (i32.const 5)))
    (if (i32.lt_s (local.get $mc) (i32.const 5)) (then (local.set $mc (i32.const 5))))
    (loop $chunks
    (local.set $iend (i32.add (local.get $i0) (local.get $mc)))
    (if (i32.gt_s (local.get $iend) (local.get $m)) (then (local.set $iend (local.get $m))))
    (call $pack_a (local.get $a) (local.get $pa) (local.get $i0) (local.get $iend) (local.get $k) (local.get $ars) (local.get $aks))
    (local.set $panel (local.get $pb))
    (local.set $p (i32.const 0))
    (loop $panels
      (local.set $nc (i32.sub (local.get $n) (local.get $p)))
      (if (i32.gt_s (local.get $nc) (i32.const 8)) (then (local.set $nc (i32.const 8))))
      (local.set $i (local.get $i0))
      (local.set $ap (local.get $pa))
      (loop $rows
        (local.set $mr (i32.sub (local.get $m) (local.get $i)))
        (if (i32.gt_s (local.get $mr) (i32.const 5)) (then (local.set $mr (i32.const 5))))
        (local.set $c00 (v128.const i32x4 0 0 0 0)) (local.set $c01 (v128.const i32x4 0 0 0 0))
        (local.set $c10 (v128.const i32x4 0 0 0 0)) (local.set $c11 (v128.const i32x4 0 0 0 0))
        (local.set $c20 (v128.const i32x4 0 0 0 0)) (local.set $c21 (v128.const i32x4 0 0 0 0))
        (local.set $c30 (v128.const i32x4 0 0 0 0)) (local.set $c31 (v128.const i32x4 0 0 0 0))
        (local.set $c40 (v128.const i32x4 0 0 0 0)) (local.set $c41 (v128.const i32x4 0 0 0 0))
        (local.set $bp (local.get $panel))
        (local.set $aend (i32.add (local.get $ap) (i32.mul (local.get $k) (i32.const 20))))
        (loop $dot
          (local.set $b0 (v128.load (local.get $bp)))
          (local.set $b1 (v128.load offset=16 (local.get $bp)))
          (local.set $av (v128.load (local.get $ap)))
          (local.set $x (i8x16.shuffle 0 1 2 3 0 1 2 3 0 1 2 3 0 1 2 3 (local.get $av) (local.get $av)))
          (MADD $x $b0 $c00) (MADD $x $b1 $c01)
          (local.set $x (i8x16.shuffle 4 5 6 7 4 5 6 7 4 5 6 7 4 5 6 7 (local.get $av) (local.get $av)))
          (MADD $x $b0 $c10) (MADD $x $b1 $c11)
          (local.set $x (i8x16.shuffle 8 9 10 11 8 9 10 11 8 9 10 11 8 9 10 11 (local.get $av) (local.get $av)))
          (MADD $x $b0 $c20) (MADD $x $b1 $c21)
          (local.set $x (i8x16.shuffle 12 13 14 15 12 13 14 15 12 13 14 15 12 13 14 15 (local.get $av) (local.get $av)))
          (MADD $x $b0 $c30) (MADD $x $b1 $c31)
          (local.set $x (v128.load32_splat offset=16 (local.get $ap)))
          (MADD $x $b0 $c40) (MADD $x $b1 $c41)
          (local.set $ap (i32.add (local.get $ap) (i32.const 20)))
          (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
          (br_if $dot (i32.lt_u (local.get $ap) (local.get $aend))))
        (local.set $cp (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc))) (i32.shl (local.get $p) (i32.const 2))))
        (if (i32.and (i32.eq (local.get $mr) (i32.const 5)) (i32.eq (local.get $nc) (i32.const 8)))
          (then
            (v128.store (local.get $cp) (local.get $c00))
            (v128.store offset=16 (local.get $cp) (local.get $c01))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c10))
            (v128.store offset=16 (local.get $cp) (local.get $c11))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c20))
            (v128.store offset=16 (local.get $cp) (local.get $c21))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c30))
            (v128.store offset=16 (local.get $cp) (local.get $c31))
            (local.set $cp (i32.add (local.get $cp) (local.get $ldc)))
            (v128.store (local.get $cp) (local.get $c40))
            (v128.store offset=16 (local.get $cp) (local.get $c41)))
          (else
            ;; an edge tile: through the 5×8 scratch tile, then only the rows and columns inside C
            (v128.store offset=0 (local.get $tile) (local.get $c00))
            (v128.store offset=16 (local.get $tile) (local.get $c01))
            (v128.store offset=32 (local.get $tile) (local.get $c10))
            (v128.store offset=48 (local.get $tile) (local.get $c11))
            (v128.store offset=64 (local.get $tile) (local.get $c20))
            (v128.store offset=80 (local.get $tile) (local.get $c21))
            (v128.store offset=96 (local.get $tile) (local.get $c30))
            (v128.store offset=112 (local.get $tile) (local.get $c31))
            (v128.store offset=128 (local.get $tile) (local.get $c40))
            (v128.store offset=144 (local.get $tile) (local.get $c41))
            (call $store_edge (local.get $tile) (local.get $cp) (local.get $ldc) (local.get $mr) (local.get $nc))))
        (br_if $rows (i32.lt_s (local.tee $i (i32.add (local.get $i) (i32.const 5))) (local.get $iend))))
      (local.set $panel (i32.add (local.get $panel) (i32.shl (local.get $k) (i32.const 5))))
      (br_if $panels (i32.lt_s (local.tee $p (i32.add (local.get $p) (i32.const 8))) (local.get $n))))
    (br_if $chunks (i32.lt_s (local.tee $i0 (local.get $iend)) (local.get $m)))))

  ;; The whole batch in one call (one JS→wasm crossing per product, not per matrix). A batch stride of 0 is
  ;; tfjs's broadcast of a batch-1 operand; B is then packed once for every matrix. A B batch stride of −1 says pb
  ;; already holds B packed (by pack_b: a frozen weight packed once), so B is not read. C's rows lie ldc bytes apart
  ;; and its matrices cbs bytes apart (n·4 and m·n·4 for a contiguous C).
  ;; pb: scratch of ceil(N/8)·8·K floats; tile: scratch of 40 floats and, for $gemm_packed, a packed chunk of A
  ;; (src/runtime/batch-matmul/slices.ts scratchBytes).
  (func (export "batch_matmul")
    (param $a i32) (param $b i32) (param $c i32) (param $batch i32) (param $m i32) (param $n i32) (param $k i32)
    (param $abs i32) (param $bbs i32) (param $ars i32) (param $aks i32) (param $bks i32) (param $bns i32)
    (param $ldc i32) (param $cbs i32) (param $pb i32) (param $tile i32)
    (local $first i32)
    (local.set $first (i32.const 1))
    (loop $mats
      (if (i32.and (i32.ne (local.get $bbs) (i32.const -1)) (i32.or (local.get $first) (i32.ne (local.get $bbs) (i32.const 0))))
        (then (call $pack_b (local.get $b) (local.get $pb) (local.get $n) (local.get $k) (local.get $bks) (local.get $bns))))
      (local.set $first (i32.const 0))
      (if (i32.gt_s (local.get $n) (PACKED_A_ABOVE_N))
        (then (call $gemm_packed (local.get $a) (local.get $pb) (local.get $c) (local.get $ldc) (local.get $m) (local.get $n) (local.get $k)
                                 (local.get $ars) (local.get $aks) (local.get $tile)))
        (else (call $gemm (local.get $a) (local.get $pb) (local.get $c) (local.get $ldc) (local.get $m) (local.get $n) (local.get $k)
                          (local.get $ars) (local.get $aks) (local.get $tile))))
      (local.set $a (i32.add (local.get $a) (local.get $abs)))
      (local.set $b (i32.add (local.get $b) (local.get $bbs)))
      (local.set $c (i32.add (local.get $c) (local.get $cbs)))
      (br_if $mats (local.tee $batch (i32.sub (local.get $batch) (i32.const 1))))))
)
