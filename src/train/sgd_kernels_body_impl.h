// The training pass over one block, written once over a row-operations type V and compiled twice:
// sgd_kernels_portable.cpp (V = plain loops) and sgd_kernels_avx2.cpp (V = AVX2 + FMA intrinsics).
// Included only by those two files, each after defining its V, and inside an unnamed namespace
// there, so the two copies never meet at link time.
//
// V provides, for rows of kv floats (kv a multiple of 8; KV = kv when known at compile time, else
// 0) with p a user row and q an item row, all updated in place from their old values:
//   dot<KV>(a, b, kv)                                  a . b
//   sgd<KV>(p, q, kv, lg, dp, dq)                      p = dp p + lg q,  q = dq q + lg p
//   sumsq<KV>(p, q, kv, g, rp, rq, &sp, &sq)           sp = |g q - rp p|^2, sq = |g p - rq q|^2
//   scaled<KV>(p, q, kv, g, rp, rq, ap, aq)            p += ap (g q - rp p), q += aq (g p - rq q)
//   adam<KV>(p, m, v, q, kv, g, rp, b1, b2, a, c, eps) with d = g q - rp p:
//        m = b1 m + (1 - b1) d, v = b2 v + (1 - b2) d^2, p += a m / (sqrt(c v) + eps)
//        (q is read only: the caller saves the old user row first)
//   exp(x), sqrt(x)                                     scalar

// Ratings ahead whose item row is prefetched: a block's ratings come in user order, so the user
// row is in L1 already, while item rows are scattered over the block's item band.
constexpr size_t kPrefetchAhead = 8;

// One step on rating e (sgd_blocks.h); returns its squared error, taken before the step. old_p:
// kv floats of scratch (Adam updates the item row from the user row's old values).
template <class V, uint32_t KV, KernelRule R>
inline double step_t(const BlockEntry e, const KernelTables& t, const KernelStep& s, float* old_p) {
  const uint32_t kv = KV ? KV : s.kv;
  const size_t stride = t.stride;
  const float lr = s.lr;
  float* p = t.user_factors + e.user * stride;
  float* q = t.item_factors + e.item * stride;
  RowAux& au = t.user_aux[e.user];
  RowAux& ai = t.item_aux[e.item];

  float x = V::template dot<KV>(p, q, kv) + s.offset;
  if (s.biases) x += au.bias + ai.bias;
  float pred = x, slope = 1.0f;
  if (s.y_range) {
    const float sig = 1.0f / (1.0f + V::exp(-x));
    pred = s.y_lo + s.y_scale * sig;
    slope = s.y_scale * sig * (1.0f - sig);
  }
  const float err = e.rating - pred;
  const float g = err * slope;  // -dL/dx
  const float db_u = g - au.reg_b * au.bias, db_i = g - ai.reg_b * ai.bias;

  if constexpr (R == KernelRule::sgd) {
    V::template sgd<KV>(p, q, kv, lr * g, 1.0f - lr * au.reg_f, 1.0f - lr * ai.reg_f);
    if (s.biases) {
      au.bias += lr * db_u;
      ai.bias += lr * db_i;
    }
  } else if constexpr (R == KernelRule::adagrad) {
    float sp = 0, sq = 0;
    V::template sumsq<KV>(p, q, kv, g, au.reg_f, ai.reg_f, &sp, &sq);
    const float inv_k = 1.0f / static_cast<float>(s.k);
    au.acc_f += sp * inv_k;
    ai.acc_f += sq * inv_k;
    V::template scaled<KV>(p, q, kv, g, au.reg_f, ai.reg_f, lr / V::sqrt(au.acc_f + s.eps),
                           lr / V::sqrt(ai.acc_f + s.eps));
    if (s.biases) {
      au.acc_b += db_u * db_u;
      ai.acc_b += db_i * db_i;
      au.bias += lr * db_u / V::sqrt(au.acc_b + s.eps);
      ai.bias += lr * db_i / V::sqrt(ai.acc_b + s.eps);
    }
  } else {
    // Lazy Adam, bias-corrected with each row's own visit count: acc_f, acc_b hold beta1^t, beta2^t.
    const float b1 = s.beta1, b2 = s.beta2;
    au.acc_f *= b1;
    au.acc_b *= b2;
    ai.acc_f *= b1;
    ai.acc_b *= b2;
    const float a_u = lr / (1.0f - au.acc_f), c_u = 1.0f / (1.0f - au.acc_b);
    const float a_i = lr / (1.0f - ai.acc_f), c_i = 1.0f / (1.0f - ai.acc_b);
    for (uint32_t d = 0; d < kv; ++d) old_p[d] = p[d];
    V::template adam<KV>(p, t.user_m + e.user * stride, t.user_v + e.user * stride, q, kv, g, au.reg_f, b1,
                         b2, a_u, c_u, s.eps);
    V::template adam<KV>(q, t.item_m + e.item * stride, t.item_v + e.item * stride, old_p, kv, g, ai.reg_f,
                         b1, b2, a_i, c_i, s.eps);
    if (s.biases) {
      au.m_b = b1 * au.m_b + (1.0f - b1) * db_u;
      au.v_b = b2 * au.v_b + (1.0f - b2) * db_u * db_u;
      au.bias += a_u * au.m_b / (V::sqrt(c_u * au.v_b) + s.eps);
      ai.m_b = b1 * ai.m_b + (1.0f - b1) * db_i;
      ai.v_b = b2 * ai.v_b + (1.0f - b2) * db_i * db_i;
      ai.bias += a_i * ai.m_b / (V::sqrt(c_i * ai.v_b) + s.eps);
    }
  }
  return static_cast<double>(err) * err;
}

template <class V, uint32_t KV, KernelRule R>
double train_block_t(const BlockEntry* ratings, size_t n, const KernelTables& t, const KernelStep& s) {
  // At most 1024 factors (checked by the engine).
  alignas(32) float old_p[1024];
  auto prefetch = [&](size_t j) {
    if (j < n) {
      const uint32_t item = ratings[j].item;
      __builtin_prefetch(t.item_factors + item * t.stride);
      __builtin_prefetch(t.item_aux + item);
    }
  };
  // Two interleaved streams, ratings[0, h) and ratings[h, n), one step of each in turn: inside a
  // block ratings come in user order, so consecutive ratings mostly share the user row and each
  // step would wait for the previous one's update of it (the update is a chain of dependent
  // operations: dot product, error, step); the other stream's steps are on other users and
  // overlap with them.
  const size_t h = (n + 1) / 2;
  double sse = 0;
  for (size_t j = 0; j < h; ++j) {
    prefetch(j + kPrefetchAhead);
    prefetch(h + j + kPrefetchAhead);
    sse += step_t<V, KV, R>(ratings[j], t, s, old_p);
    if (h + j < n) sse += step_t<V, KV, R>(ratings[h + j], t, s, old_p);
  }
  return sse;
}

template <class V, KernelRule R>
double train_block_rule(const BlockEntry* ratings, size_t n, const KernelTables& t, const KernelStep& s) {
  // The common sizes get loops the compiler unrolls fully; any other multiple of 8 runs the
  // general loop.
  switch (s.kv) {
    case 8:
      return train_block_t<V, 8, R>(ratings, n, t, s);
    case 16:
      return train_block_t<V, 16, R>(ratings, n, t, s);
    case 32:
      return train_block_t<V, 32, R>(ratings, n, t, s);
    case 64:
      return train_block_t<V, 64, R>(ratings, n, t, s);
    default:
      return train_block_t<V, 0, R>(ratings, n, t, s);
  }
}

template <class V>
double train_block(const BlockEntry* ratings, size_t n, const KernelTables& t, const KernelStep& s) {
  switch (s.rule) {
    case KernelRule::sgd:
      return train_block_rule<V, KernelRule::sgd>(ratings, n, t, s);
    case KernelRule::adagrad:
      return train_block_rule<V, KernelRule::adagrad>(ratings, n, t, s);
    case KernelRule::adam:
      return train_block_rule<V, KernelRule::adam>(ratings, n, t, s);
  }
  return 0;
}

template <class V>
float dot_any(const float* a, const float* b, uint32_t kv) {
  return V::template dot<0>(a, b, kv);
}
