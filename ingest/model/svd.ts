import { EigenvalueDecomposition, Matrix } from 'ml-matrix';

/** A sparse matrix in compressed-row form. */
export interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  data: Float64Array;
}

/** Builds a CSR matrix from (row, col, value) triples; duplicates are summed. */
export function csrFromTriples(rows: number, cols: number, r: Int32Array, c: Int32Array, v: Float64Array): Csr {
  const counts = new Int32Array(rows + 1);
  for (let i = 0; i < r.length; i++) counts[r[i] + 1]++;
  for (let i = 0; i < rows; i++) counts[i + 1] += counts[i];
  const indptr = counts.slice();
  const fill = counts.slice(0, rows);
  const indices = new Int32Array(r.length);
  const data = new Float64Array(r.length);
  for (let i = 0; i < r.length; i++) {
    const at = fill[r[i]]++;
    indices[at] = c[i];
    data[at] = v[i];
  }
  return { rows, cols, indptr, indices, data };
}

export function transpose(a: Csr): Csr {
  const r = new Int32Array(a.data.length);
  for (let i = 0; i < a.rows; i++) for (let p = a.indptr[i]; p < a.indptr[i + 1]; p++) r[p] = i;
  return csrFromTriples(a.cols, a.rows, a.indices, r, a.data);
}

/** Dense matrices here are column-major Float64Array with `n` rows and `k` columns. */
function spmm(a: Csr, x: Float64Array, k: number): Float64Array {
  // y (a.rows × k) = A · x (a.cols × k), both column-major
  const y = new Float64Array(a.rows * k);
  const n = a.cols;
  for (let i = 0; i < a.rows; i++) {
    for (let p = a.indptr[i]; p < a.indptr[i + 1]; p++) {
      const j = a.indices[p];
      const v = a.data[p];
      for (let c = 0; c < k; c++) y[c * a.rows + i] += v * x[c * n + j];
    }
  }
  return y;
}

/** Modified Gram–Schmidt, in place: the columns become orthonormal. */
function orthonormalize(x: Float64Array, n: number, k: number): void {
  for (let c = 0; c < k; c++) {
    const col = x.subarray(c * n, (c + 1) * n);
    for (let prev = 0; prev < c; prev++) {
      const p = x.subarray(prev * n, (prev + 1) * n);
      let dot = 0;
      for (let i = 0; i < n; i++) dot += col[i] * p[i];
      for (let i = 0; i < n; i++) col[i] -= dot * p[i];
    }
    let norm = 0;
    for (let i = 0; i < n; i++) norm += col[i] * col[i];
    norm = Math.sqrt(norm) || 1;
    for (let i = 0; i < n; i++) col[i] /= norm;
  }
}

/** A seeded Gaussian generator, so the model built from the same corpus is the same model. */
function gaussian(seed: number): () => number {
  let s = seed >>> 0;
  const uniform = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/**
 * Truncated SVD by the randomized range finder (Halko, Martinsson & Tropp 2011) with power iterations.
 * Returns the left singular vectors (row-major, a.rows × k) and the singular values.
 */
export function randomizedSvd(a: Csr, k: number, opts: { oversample?: number; powerIters?: number; seed?: number } = {}) {
  const r = Math.min(k + (opts.oversample ?? 10), a.rows, a.cols);
  const at = transpose(a);
  const rnd = gaussian(opts.seed ?? 42);
  const omega = new Float64Array(a.cols * r).map(() => rnd());
  let y = spmm(a, omega, r);
  orthonormalize(y, a.rows, r);
  for (let it = 0; it < (opts.powerIters ?? 2); it++) {
    const z = spmm(at, y, r);
    orthonormalize(z, a.cols, r);
    y = spmm(a, z, r);
    orthonormalize(y, a.rows, r);
  }
  // B = Qᵀ A (r × cols); its small Gram matrix B Bᵀ gives the singular values and vectors.
  const bt = spmm(at, y, r); // cols × r = Aᵀ Q, column-major
  const gram = new Matrix(r, r);
  for (let i = 0; i < r; i++) {
    for (let j = i; j < r; j++) {
      let dot = 0;
      const ci = bt.subarray(i * a.cols, (i + 1) * a.cols);
      const cj = bt.subarray(j * a.cols, (j + 1) * a.cols);
      for (let t = 0; t < a.cols; t++) dot += ci[t] * cj[t];
      gram.set(i, j, dot);
      gram.set(j, i, dot);
    }
  }
  const evd = new EigenvalueDecomposition(gram, { assumeSymmetric: true });
  const order = evd.realEigenvalues.map((v, i) => [v, i] as const).sort((p, q) => q[0] - p[0]).slice(0, k);
  const ub = evd.eigenvectorMatrix;
  const values = new Float64Array(order.map(([v]) => Math.sqrt(Math.max(v, 0))));
  const u = new Float64Array(a.rows * k); // row-major
  for (let col = 0; col < order.length; col++) {
    const src = order[col][1];
    for (let j = 0; j < r; j++) {
      const w = ub.get(j, src);
      if (w === 0) continue;
      const qj = y.subarray(j * a.rows, (j + 1) * a.rows);
      for (let i = 0; i < a.rows; i++) u[i * k + col] += w * qj[i];
    }
  }
  return { u, values, k: order.length };
}
