#include "cofi/train/optimizer.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>

#include "cofi/error.h"
#include "cofi/parallel.h"

namespace cofi {

const char* to_string(OptimizerKind kind) { return kind == OptimizerKind::sgd ? "sgd" : "adam"; }

OptimizerKind parse_optimizer_kind(const std::string& text) {
  if (text == "sgd") return OptimizerKind::sgd;
  if (text == "adam" || text == "adamw") return OptimizerKind::adam;
  throw Error("unknown optimizer '" + text + "': expected adam or sgd");
}

namespace {

constexpr double kNegInf = -std::numeric_limits<double>::infinity();

double log_add_exp(double a, double b) {
  if (a == kNegInf) return b;
  if (b == kNegInf) return a;
  double hi = std::max(a, b), lo = std::min(a, b);
  return hi + std::log1p(std::exp(lo - hi));
}

// Per-step constants of one update, cast once to float as PyTorch applies Python scalars to float
// tensors.
struct Hyper {
  float decay;  // 1 - lr * wd (decoupled), else 1
  float l2;     // wd when L2, else 0
  float mom, one_minus_mom;
  float beta2, one_minus_beta2;
  float step_size;  // Adam: lr / (1 - beta1^t); SGD: lr
  float bc2_sqrt;   // Adam: sqrt(1 - beta2^t)
  float eps;
};

}  // namespace

// The saved part (t, m, v, last) is the OptimizerState base; the rest follows from the config
// and the schedule.
struct Optimizer::State : OptimizerState {
  OptimizerConfig config;
  std::vector<Parameter>* params = nullptr;
  Schedule schedule;
  bool momentum = true;  // false when momentum is 0 throughout (no drift)
  // Catch-up tables over steps j = 0..T (see catch_up).
  std::vector<double> log_decay;  // log prod_{i<=j} (1 - lr_i wd)
  std::vector<double> log_mom;    // log prod_{i<=j} mom_i
  std::vector<double> log_tail;   // log sum_{i>j} exp(L_i), L_i the log of step i's drift coefficient

  explicit State(const Schedule& s) : schedule(s) {}

  Hyper hyper(uint64_t step) const {  // step is 1-based
    double lr = schedule.lr(step - 1), mom = schedule.mom(step - 1);
    Hyper h{};
    h.decay = config.decoupled_wd ? static_cast<float>(1.0 - lr * config.wd) : 1.0f;
    h.l2 = config.decoupled_wd ? 0.0f : static_cast<float>(config.wd);
    h.mom = static_cast<float>(mom);
    h.one_minus_mom = static_cast<float>(1.0 - mom);
    h.beta2 = static_cast<float>(config.beta2);
    h.one_minus_beta2 = static_cast<float>(1.0 - config.beta2);
    h.eps = static_cast<float>(config.eps);
    if (config.kind == OptimizerKind::adam) {
      h.step_size = static_cast<float>(lr / (1.0 - std::pow(mom, static_cast<double>(step))));
      h.bc2_sqrt = static_cast<float>(std::sqrt(1.0 - std::pow(config.beta2, static_cast<double>(step))));
    } else {
      h.step_size = static_cast<float>(lr);
      h.bc2_sqrt = 1.0f;
    }
    return h;
  }

  void build_tables() {
    const uint64_t T = schedule.total_steps();
    log_decay.assign(T + 1, 0.0);
    log_mom.assign(T + 1, 0.0);
    log_tail.assign(T + 1, kNegInf);
    std::vector<double> L(T + 1, kNegInf);
    const bool adam = config.kind == OptimizerKind::adam;
    const double log_beta2 = adam ? std::log(config.beta2) : 0.0;
    for (uint64_t j = 1; j <= T; ++j) {
      double lr = schedule.lr(j - 1), mom = schedule.mom(j - 1);
      double decay = config.decoupled_wd ? 1.0 - lr * config.wd : 1.0;
      log_decay[j] = log_decay[j - 1] + std::log(decay);
      log_mom[j] = log_mom[j - 1] + std::log(mom);
      double coef = std::log(lr);
      if (adam) {
        double jd = static_cast<double>(j);
        coef += 0.5 * std::log(1.0 - std::pow(config.beta2, jd)) - std::log(1.0 - std::pow(mom, jd)) -
                0.5 * jd * log_beta2;
      }
      L[j] = coef + log_mom[j] - log_decay[j];
    }
    for (uint64_t j = T; j >= 1; --j) log_tail[j - 1] = log_add_exp(L[j], log_tail[j]);
  }

  // The scalars of a catch-up from step a to step b, shared by every row and parameter with the
  // same (a, b): rows touched together (a user's weights and bias, say) catch up together, so a
  // small direct-mapped cache saves most of the exp/expm1/pow calls.
  struct CatchUp {
    uint64_t a = UINT64_MAX, b = UINT64_MAX;
    float decay = 1, mfac = 0, coef = 0, vfac = 1;
  };
  std::array<CatchUp, 256> cache{};

  const CatchUp& coefficients(uint64_t a, uint64_t b) {
    CatchUp& c = cache[(a * 0x9E3779B97F4A7C15ull) >> 56];
    if (c.a == a && c.b == b) return c;
    const bool adam = config.kind == OptimizerKind::adam;
    c.a = a;
    c.b = b;
    c.decay = static_cast<float>(std::exp(log_decay[b] - log_decay[a]));
    c.coef = 0.0f;
    c.mfac = 0.0f;
    if (momentum) {
      c.mfac = static_cast<float>(std::exp(log_mom[b] - log_mom[a]));
      if (log_tail[a] != kNegInf) {
        double shift = adam ? 0.5 * static_cast<double>(a) * std::log(config.beta2) : 0.0;
        double part = -std::expm1(log_tail[b] - log_tail[a]);
        c.coef = static_cast<float>(std::exp(log_decay[b] - log_mom[a] + shift + log_tail[a]) * part);
      }
    }
    c.vfac = adam ? static_cast<float>(std::pow(config.beta2, static_cast<double>(b - a))) : 1.0f;
    return c;
  }

  // Brings row r of parameter i from the step it is up to date with (a) to step b, as if it had
  // taken steps a+1..b with a zero gradient:
  //   p_b = p_a * D(a,b) - drift,  m_b = m_a * M(a,b),  v_b = v_a * beta2^(b-a),
  // where D and M are the products of the decay and momentum factors, and the drift of the
  // leftover momentum, sum_j s_j * D(j,b), has the per-element factor m_a (SGD) or
  // m_a / sqrt(v_a) (Adam, eps dropped) times a scalar that depends on (a, b) only:
  //   exp(log_decay[b] - log_mom[a] (+ a/2 log beta2) + log_tail[a]) * (1 - exp(log_tail[b] - log_tail[a])).
  // Suffix sums keep the difference well conditioned: the terms decay geometrically, so the tail
  // after a is dominated by its first terms and never cancels against a huge prefix.
  void catch_up(size_t i, uint32_t r, uint64_t b) {
    uint64_t a = last[i][r];
    if (a >= b) return;
    last[i][r] = b;
    Parameter& p = (*params)[i];
    const uint32_t k = p.cols;
    float* __restrict w = p.row(r);
    float* __restrict mr = m[i].data() + static_cast<size_t>(r) * k;
    const bool adam = config.kind == OptimizerKind::adam;
    const CatchUp& cu = coefficients(a, b);
    const float decay = cu.decay, coef = cu.coef, mfac = cu.mfac;
    if (adam) {
      float* __restrict vr = v[i].data() + static_cast<size_t>(r) * k;
      const float vfac = cu.vfac;
      for (uint32_t e = 0; e < k; ++e) {
        // v = 0 only where every gradient so far was 0, so m = 0 there too; the floor keeps 0/0
        // out without a branch, which lets the loop vectorise.
        float drift = coef * mr[e] / std::sqrt(std::max(vr[e], 1e-30f));
        w[e] = w[e] * decay - drift;
        mr[e] *= mfac;
        vr[e] *= vfac;
      }
    } else {
      for (uint32_t e = 0; e < k; ++e) {
        w[e] = w[e] * decay - coef * mr[e];
        mr[e] *= mfac;
      }
    }
  }

  // One step on n contiguous elements with gradient g (null: zero gradient).
  // The four arrays never overlap (restrict lets the loops vectorise without alias checks); the
  // constants are copied out of `h` so that stores to the arrays cannot be taken to change them.
  void update(float* __restrict w, float* __restrict mv, float* __restrict vv, const float* __restrict g,
              size_t n, const Hyper& h) const {
    const float decay = h.decay, l2 = h.l2, mom = h.mom, one_minus_mom = h.one_minus_mom;
    const float step_size = h.step_size;
    // A row outside the batch (dense mode) steps with a zero gradient.
    static thread_local std::vector<float> zeros;
    if (!g) {
      zeros.assign(n, 0.0f);
      g = zeros.data();
    }
    if (config.kind == OptimizerKind::adam) {
      const float beta2 = h.beta2, one_minus_beta2 = h.one_minus_beta2, bc2_sqrt = h.bc2_sqrt, eps = h.eps;
      for (size_t e = 0; e < n; ++e) {
        float ge = g[e] + l2 * w[e];
        w[e] *= decay;
        mv[e] = mv[e] * mom + ge * one_minus_mom;
        vv[e] = vv[e] * beta2 + one_minus_beta2 * ge * ge;
        w[e] -= step_size * (mv[e] / (std::sqrt(vv[e]) / bc2_sqrt + eps));
      }
    } else {
      for (size_t e = 0; e < n; ++e) {
        float ge = g[e] + l2 * w[e];
        w[e] *= decay;
        mv[e] = mv[e] * mom + ge;
        w[e] -= step_size * mv[e];
      }
    }
  }
};

Optimizer::Optimizer(const OptimizerConfig& config, std::vector<Parameter>& params, const Schedule& schedule)
    : state_(std::make_unique<State>(schedule)) {
  State& s = *state_;
  s.config = config;
  s.params = &params;
  if (!(config.wd >= 0) || !std::isfinite(config.wd)) throw Error("weight decay must be >= 0");
  if (config.kind == OptimizerKind::adam && !(config.beta2 > 0 && config.beta2 < 1))
    throw Error("Adam's beta2 must be in (0, 1)");
  if (!(config.eps > 0)) throw Error("Adam's eps must be > 0");
  const ScheduleConfig& sc = schedule.config();
  bool one_cycle = sc.kind == ScheduleKind::one_cycle;
  double mom_lo = one_cycle ? std::min(sc.mom_min, sc.mom_max) : sc.mom;
  double mom_hi = one_cycle ? std::max(sc.mom_min, sc.mom_max) : sc.mom;
  if (!(mom_lo >= 0 && mom_hi < 1)) throw Error("momentum (beta1) must be in [0, 1)");
  if (config.kind == OptimizerKind::adam && !(mom_lo > 0)) throw Error("Adam's beta1 must be in (0, 1)");
  s.momentum = mom_lo > 0;
  if (config.decoupled_wd && config.wd > 0) {
    // Each step multiplies weights by 1 - lr * wd: at 1 or more it would zero or flip them.
    double peak = 0;
    for (uint64_t t = 0; t < schedule.total_steps(); ++t) peak = std::max(peak, schedule.lr(t));
    if (!(peak * config.wd < 1))
      throw Error("lr * wd reaches " + std::to_string(peak * config.wd) +
                  "; it must stay below 1 with decoupled weight decay");
  }
  s.m.resize(params.size());
  s.v.resize(params.size());
  s.last.resize(params.size());
  bool any_lazy = false;
  for (size_t i = 0; i < params.size(); ++i) {
    if (!params[i].trainable) continue;
    s.m[i].assign(params[i].size(), 0.0f);
    if (config.kind == OptimizerKind::adam) s.v[i].assign(params[i].size(), 0.0f);
    if (params[i].sparse && config.lazy) {
      s.last[i].assign(params[i].rows, 0);
      any_lazy = true;
    }
  }
  if (any_lazy) s.build_tables();
}

Optimizer::~Optimizer() = default;

uint64_t Optimizer::steps_done() const { return state_->t; }
const OptimizerState& Optimizer::state() const { return *state_; }

void Optimizer::restore(OptimizerState saved) {
  State& s = *state_;
  const std::vector<Parameter>& params = *s.params;
  const size_t n = params.size();
  auto mismatch = [](const std::string& what) {
    throw Error("the saved optimizer state does not fit this model and optimizer: " + what);
  };
  if (saved.m.size() != n || saved.v.size() != n || saved.last.size() != n)
    mismatch("it has state for " + std::to_string(saved.m.size()) + " parameters, the model has " +
             std::to_string(n));
  if (saved.t > s.schedule.total_steps())
    mismatch("it is at step " + std::to_string(saved.t) + " of a schedule of " +
             std::to_string(s.schedule.total_steps()) + " steps");
  // The sizes this optimizer gave its own state in the constructor are the ones it expects.
  for (size_t i = 0; i < n; ++i) {
    const std::string& name = params[i].name;
    if (saved.m[i].size() != s.m[i].size())
      mismatch(name + " has " + std::to_string(saved.m[i].size()) + " first-moment values, expected " +
               std::to_string(s.m[i].size()));
    if (saved.v[i].size() != s.v[i].size())
      mismatch(name + " has " + std::to_string(saved.v[i].size()) + " second-moment values, expected " +
               std::to_string(s.v[i].size()));
    if (saved.last[i].size() != s.last[i].size())
      mismatch(name + " has " + std::to_string(saved.last[i].size()) + " row steps, expected " +
               std::to_string(s.last[i].size()));
    for (uint64_t a : saved.last[i])
      if (a > saved.t)
        mismatch(name + " has a row at step " + std::to_string(a) + ", after the state's step " +
                 std::to_string(saved.t));
  }
  static_cast<OptimizerState&>(s) = std::move(saved);
}

OptimizerState Optimizer::release() { return std::move(static_cast<OptimizerState&>(*state_)); }

void Optimizer::step(const Gradients& grads) {
  State& s = *state_;
  if (s.t >= s.schedule.total_steps())
    throw Error("the optimizer has taken all " + std::to_string(s.schedule.total_steps()) +
                " steps of its schedule");
  const uint64_t t = ++s.t;
  const Hyper h = s.hyper(t);
  std::vector<Parameter>& params = *s.params;
  const bool adam = s.config.kind == OptimizerKind::adam;
  for (size_t i = 0; i < params.size(); ++i) {
    Parameter& p = params[i];
    if (!p.trainable) continue;
    float* m = s.m[i].data();
    float* v = adam ? s.v[i].data() : nullptr;
    if (!p.sparse) {
      Hyper hp = h;
      if (p.bn_or_bias && !s.config.wd_bn_bias) {
        hp.decay = 1.0f;
        hp.l2 = 0.0f;
      }
      s.update(p.value.data(), m, v, grads.dense[i].data(), p.size(), hp);
      continue;
    }
    const SparseGrad& g = grads.sparse[i];
    const uint32_t k = p.cols;
    if (s.config.lazy) {
      const auto& rows = g.rows();
      for (size_t slot = 0; slot < rows.size(); ++slot) {
        uint32_t r = rows[slot];
        s.catch_up(i, r, t - 1);
        size_t off = static_cast<size_t>(r) * k;
        s.update(p.row(r), m + off, adam ? v + off : nullptr, g.grad(slot), k, h);
        s.last[i][r] = t;
      }
    } else {
      // Dense: every row steps; rows outside the batch with a zero gradient, as nn.Embedding does.
      std::vector<int32_t> slot_of(p.rows, -1);
      const auto& rows = g.rows();
      for (size_t slot = 0; slot < rows.size(); ++slot) slot_of[rows[slot]] = static_cast<int32_t>(slot);
      for (uint32_t r = 0; r < p.rows; ++r) {
        size_t off = static_cast<size_t>(r) * k;
        const float* gr = slot_of[r] >= 0 ? g.grad(static_cast<size_t>(slot_of[r])) : nullptr;
        s.update(p.row(r), m + off, adam ? v + off : nullptr, gr, k, h);
      }
    }
  }
}

void Optimizer::prepare_batch(const uint32_t* users, const uint32_t* items, size_t n) {
  State& s = *state_;
  for (size_t i = 0; i < s.params->size(); ++i) {
    if (s.last[i].empty()) continue;
    const RowKey key = (*s.params)[i].key;
    COFI_ASSERT(key != RowKey::none);
    const uint32_t* rows = key == RowKey::user ? users : items;
    for (size_t b = 0; b < n; ++b) s.catch_up(i, rows[b], s.t);
  }
}

void Optimizer::catch_up_all() {
  State& s = *state_;
  for (size_t i = 0; i < s.params->size(); ++i) {
    if (s.last[i].empty()) continue;
    const uint32_t rows = (*s.params)[i].rows;
    for (uint32_t r = 0; r < rows; ++r) s.catch_up(i, r, s.t);
  }
}

}  // namespace cofi
