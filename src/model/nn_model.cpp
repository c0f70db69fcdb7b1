// `nn`: fastai's EmbeddingNN, a TabularModel with lin_first=True and no continuous inputs.
// For a batch of n pairs, with uf and if the embedding sizes and L = hidden.size():
//   x_0 = EmbDropout([user embedding, item embedding])                    n x (uf + if)
//   x_{i+1} = Dropout(p_i)(BatchNorm1d(ReLU(x_i W_i^T [+ b_i])))          n x h_i
//   out = sigmoid_range(x_L w^T + b)                                      n
// (no BatchNorm without batch_norm; then the Linear has a bias: fastai drops it before a BN).
// Parameters, in PyTorch's state_dict order, with n_i the input width of hidden layer i:
//   embeds.0.weight          n_users x uf   trunc_normal_(std 0.01)
//   embeds.1.weight          n_items x if   trunc_normal_(std 0.01)
//   layers.i.0.weight        h_i x n_i      uniform(+-1/sqrt(n_i))
//   layers.i.0.bias          h_i x 1        uniform(+-1/sqrt(n_i))   without batch_norm only
//   layers.i.2.weight        h_i x 1        1                        BatchNorm scale
//   layers.i.2.bias          h_i x 1        1e-3                     BatchNorm shift
//   layers.i.2.running_mean  h_i x 1        0                        buffer
//   layers.i.2.running_var   h_i x 1        1                        buffer
//   layers.L.0.weight        1 x h_{L-1}    uniform(+-1/sqrt(h_{L-1}))
//   layers.L.0.bias          1 x 1          uniform(+-1/sqrt(h_{L-1}))
// Activations are row-major n x width matrices, so a pair's features are contiguous and the
// Linear layers are single GEMMs (Eigen).
#include <Eigen/Core>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "cofi/error.h"
#include "model_impl.h"

namespace cofi::model_detail {
namespace {

using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
using ConstMatrixMap = Eigen::Map<const Matrix>;
using MatrixMap = Eigen::Map<Matrix>;
using ConstRowMap = Eigen::Map<const Eigen::Matrix<float, 1, Eigen::Dynamic>>;
using RowMap = Eigen::Map<Eigen::Matrix<float, 1, Eigen::Dynamic>>;
using ConstVectorMap = Eigen::Map<const Eigen::VectorXf>;

constexpr size_t kNone = static_cast<size_t>(-1);
constexpr double kBnEps = 1e-5;      // PyTorch's BatchNorm1d default
constexpr double kBnMomentum = 0.1;  // running = (1 - momentum) * running + momentum * batch
// predict() works through this many pairs at a time, so its buffers stay small (a few MiB at
// width 100) however many pairs it is given. Eval mode treats rows independently, so the
// chunking does not change the result.
constexpr size_t kPredictChunk = 4096;

// Inverted dropout's multipliers for an n x width activation: 0 with probability p, else
// 1 / (1 - p). Counter-based: element e of `site` (0 = the embeddings, i + 1 = hidden layer i)
// draws from position e of the SplitMix64 stream keyed by (seed, site), so a batch's masks
// depend only on the seed and not on the order anything else was computed in.
void dropout_mask(uint64_t seed, uint64_t site, size_t n, size_t width, float p, Matrix& mask) {
  mask.resize(static_cast<Eigen::Index>(n), static_cast<Eigen::Index>(width));
  const uint64_t key = mix64(seed ^ mix64(site + 0x2545f4914f6cdd1dULL));
  const float scale = 1.0f / (1.0f - p);
  const double threshold = p;
  float* m = mask.data();
  for (size_t e = 0; e < n * width; ++e) {
    double u = static_cast<double>(mix64(key + (e + 1) * 0x9e3779b97f4a7c15ULL) >> 11) * 0x1p-53;
    m[e] = u < threshold ? 0.0f : scale;
  }
}

class NnModel final : public Model {
 public:
  NnModel(const ModelConfig& config, uint64_t seed) : Model(config) {
    // Eigen's GEMM caches its blocking sizes in statics on first use; initialising them here
    // keeps concurrent predict() calls from racing on that first use.
    Eigen::initParallel();
    const bool bn = config.batch_norm;
    params_.push_back(make_parameter("embeds.0.weight", config.n_users, config.user_factors, RowKey::user));
    params_.push_back(make_parameter("embeds.1.weight", config.n_items, config.item_factors, RowKey::item));
    uint32_t in = config.user_factors + config.item_factors;
    for (size_t i = 0; i < config.hidden.size(); ++i) {
      const std::string prefix = "layers." + std::to_string(i);
      Layer l;
      l.in = in;
      l.out = config.hidden[i];
      l.p = config.dropout.empty() ? 0.0f : config.dropout[i];
      l.weight = add(make_parameter(prefix + ".0.weight", l.out, l.in, RowKey::none));
      if (!bn) {
        l.bias = add(make_parameter(prefix + ".0.bias", l.out, 1, RowKey::none));
      } else {
        l.bn_weight = add(make_parameter(prefix + ".2.weight", l.out, 1, RowKey::none));
        l.bn_bias = add(make_parameter(prefix + ".2.bias", l.out, 1, RowKey::none));
        l.running_mean = add(make_parameter(prefix + ".2.running_mean", l.out, 1, RowKey::none, false));
        l.running_var = add(make_parameter(prefix + ".2.running_var", l.out, 1, RowKey::none, false));
      }
      for (size_t k : {l.bias, l.bn_weight, l.bn_bias})
        if (k != kNone) params_[k].bn_or_bias = true;
      layers_.push_back(l);
      in = l.out;
    }
    const std::string prefix = "layers." + std::to_string(config.hidden.size());
    final_in_ = in;
    final_weight_ = add(make_parameter(prefix + ".0.weight", 1, in, RowKey::none));
    final_bias_ = add(make_parameter(prefix + ".0.bias", 1, 1, RowKey::none));
    params_[final_bias_].bn_or_bias = true;
    initialise(seed);
  }

  void forward(const uint32_t* users, const uint32_t* items, size_t n, float* out, bool training,
               uint64_t seed) override {
    has_batch_ = false;  // until this batch is complete: backward() after a throw is a bug
    if (!training) {
      predict(users, items, n, out);
      return;
    }
    check_indices(config_, users, items, n);
    if (config_.batch_norm && !layers_.empty() && n == 1)
      throw Error("model nn: a training batch of 1 row has no BatchNorm variance (use at least 2 rows)");
    users_.assign(users, users + n);
    items_.assign(items, items + n);
    cache_.resize(layers_.size());
    slope_.resize(n);
    if (n == 0) {
      has_batch_ = true;
      return;
    }

    gather(users, items, n, x0_);
    if (config_.embed_dropout > 0.0f) {
      dropout_mask(seed, 0, n, x0_.cols(), config_.embed_dropout, emb_mask_);
      x0_.array() *= emb_mask_.array();
    }
    const Matrix* x = &x0_;
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      LayerCache& c = cache_[i];
      linear_relu(l, *x, c.act);
      if (config_.batch_norm) {
        batch_statistics(l, c);
        batch_norm(l, c.mean.data(), c.inv_std.data(), c.act, c.out);
      } else {
        c.out = c.act;
      }
      if (l.p > 0.0f) {
        dropout_mask(seed, i + 1, n, l.out, l.p, c.mask);
        c.out.array() *= c.mask.array();
      }
      x = &c.out;
    }
    head(*x, out, slope_.data());
    has_batch_ = true;
  }

  void backward(const float* dout, Gradients& grads) override {
    COFI_ASSERT(has_batch_);
    const size_t n = users_.size();
    if (n == 0) return;
    const auto rows = static_cast<Eigen::Index>(n);

    // The head: out_b = sigmoid_range(x_L[b] . w + bias); g_b = d loss / d(x_L[b] . w + bias).
    Eigen::VectorXf g(rows);
    for (size_t b = 0; b < n; ++b) g[static_cast<Eigen::Index>(b)] = dout[b] * slope_[b];
    const Matrix& x_last = layers_.empty() ? x0_ : cache_.back().out;
    RowMap(grads.dense[final_weight_].data(), final_in_) += g.transpose() * x_last;
    grads.dense[final_bias_][0] += g.sum();
    // dx_[i] is d loss / d x_i (n x width of x_i); one buffer per depth keeps its shape from
    // batch to batch, so steady-state training does not reallocate.
    dx_.resize(layers_.size() + 1);
    dx_.back().noalias() = g * ConstRowMap(params_[final_weight_].value.data(), final_in_);

    for (size_t i = layers_.size(); i-- > 0;) {
      const Layer& l = layers_[i];
      const LayerCache& c = cache_[i];
      Matrix& d = dx_[i + 1];  // d / d(output), turned into d / d(pre-activation) in place
      if (l.p > 0.0f) d.array() *= c.mask.array();
      if (config_.batch_norm) batch_norm_backward(l, c, grads, d);  // now d / d(act)
      d.array() *= (c.act.array() > 0.0f).cast<float>();            // ReLU: now d / d(pre-activation)
      const Matrix& x_in = i == 0 ? x0_ : cache_[i - 1].out;
      MatrixMap(grads.dense[l.weight].data(), l.out, l.in).noalias() += d.transpose() * x_in;
      if (l.bias != kNone) RowMap(grads.dense[l.bias].data(), l.out) += d.colwise().sum();
      dx_[i].noalias() = d * weights(l);  // n x l.in
    }

    Matrix& dx0 = dx_[0];
    if (config_.embed_dropout > 0.0f) dx0.array() *= emb_mask_.array();
    // Scatter into the embedding rows; a row repeated in the batch accumulates.
    const uint32_t uf = config_.user_factors, itf = config_.item_factors;
    for (size_t b = 0; b < n; ++b) {
      const float* d = dx0.data() + b * (uf + itf);
      float* gu = grads.sparse[0].touch(users_[b]);
      float* gi = grads.sparse[1].touch(items_[b]);
      for (uint32_t f = 0; f < uf; ++f) gu[f] += d[f];
      for (uint32_t f = 0; f < itf; ++f) gi[f] += d[uf + f];
    }
  }

  void predict(const uint32_t* users, const uint32_t* items, size_t n, float* out) const override {
    check_indices(config_, users, items, n);
    const EvalNorm norm = eval_norm();
    Matrix x, act;
    for (size_t start = 0; start < n; start += kPredictChunk) {
      const size_t m = std::min(kPredictChunk, n - start);
      gather(users + start, items + start, m, x);
      for (size_t i = 0; i < layers_.size(); ++i) {
        linear_relu(layers_[i], x, act);
        if (config_.batch_norm) affine(norm.scale[i].data(), norm.shift[i].data(), act);
        x.swap(act);
      }
      head(x, out + start, nullptr);
    }
  }

  void predict_row(Side side, const float* vec, const uint32_t* others, size_t n, float* out,
                   float* jacobian) const override {
    const Side other = side == Side::user ? Side::item : Side::user;
    check_side_indices(config_, other, others, n);
    const EvalNorm norm = eval_norm();
    const uint32_t uf = config_.user_factors, itf = config_.item_factors;
    const uint32_t d = side == Side::user ? uf : itf;
    const uint32_t offset = side == Side::user ? 0 : uf;  // where vec sits in a row of x0
    const Parameter& table = params_[other == Side::user ? 0 : 1];
    std::vector<float> slope(jacobian ? kPredictChunk : 0);
    // Per chunk: x0 = [user, item] rows with vec in place, the eval forward pass keeping each
    // layer's ReLU output (its sign is the ReLU's derivative), then one backward pass from the
    // head with d out[b] / d out[b] = 1; rows are independent in eval mode, so row b of the
    // result is d out[b] / d x0[b].
    Matrix x0;
    std::vector<Matrix> acts(layers_.size()), outs(layers_.size());
    for (size_t start = 0; start < n; start += kPredictChunk) {
      const size_t m = std::min(kPredictChunk, n - start);
      x0.resize(static_cast<Eigen::Index>(m), uf + itf);
      for (size_t b = 0; b < m; ++b) {
        float* row = x0.data() + b * (uf + itf);
        std::memcpy(row + offset, vec, d * sizeof(float));
        std::memcpy(row + (offset == 0 ? uf : 0), table.row(others[start + b]), table.cols * sizeof(float));
      }
      const Matrix* x = &x0;
      for (size_t i = 0; i < layers_.size(); ++i) {
        linear_relu(layers_[i], *x, acts[i]);
        outs[i] = acts[i];
        if (config_.batch_norm) affine(norm.scale[i].data(), norm.shift[i].data(), outs[i]);
        x = &outs[i];
      }
      head(*x, out + start, jacobian ? slope.data() : nullptr);
      if (!jacobian) continue;
      const auto rows = static_cast<Eigen::Index>(m);
      Matrix dx = Eigen::Map<const Eigen::VectorXf>(slope.data(), rows) *
                  ConstRowMap(params_[final_weight_].value.data(), final_in_);
      for (size_t i = layers_.size(); i-- > 0;) {
        const Layer& l = layers_[i];
        if (config_.batch_norm)
          for (Eigen::Index b = 0; b < rows; ++b)
            for (uint32_t j = 0; j < l.out; ++j) dx(b, j) *= norm.scale[i][j];
        dx.array() *= (acts[i].array() > 0.0f).cast<float>();
        Matrix next = dx * weights(l);
        dx.swap(next);
      }
      for (size_t b = 0; b < m; ++b)
        std::memcpy(jacobian + (start + b) * d, dx.data() + b * (uf + itf) + offset, d * sizeof(float));
    }
  }

 private:
  // Eval-mode BatchNorm as PyTorch's CPU kernel computes it: y = a * alpha + beta with
  // alpha = weight / sqrt(running_var + eps), beta = bias - running_mean * alpha; per layer.
  struct EvalNorm {
    std::vector<std::vector<float>> scale, shift;
  };
  EvalNorm eval_norm() const {
    EvalNorm e;
    e.scale.resize(layers_.size());
    e.shift.resize(layers_.size());
    if (!config_.batch_norm) return e;
    for (size_t i = 0; i < layers_.size(); ++i) {
      const Layer& l = layers_[i];
      const float* gamma = params_[l.bn_weight].value.data();
      const float* beta = params_[l.bn_bias].value.data();
      const float* mean = params_[l.running_mean].value.data();
      const float* var = params_[l.running_var].value.data();
      e.scale[i].resize(l.out);
      e.shift[i].resize(l.out);
      for (uint32_t j = 0; j < l.out; ++j) {
        float inv_std = 1.0f / std::sqrt(var[j] + static_cast<float>(kBnEps));
        e.scale[i][j] = inv_std * gamma[j];
        e.shift[i][j] = beta[j] - mean[j] * e.scale[i][j];
      }
    }
    return e;
  }

  struct Layer {
    uint32_t in = 0, out = 0;
    float p = 0.0f;  // dropout after the layer
    // Indices into params_; kNone where the layer lacks the parameter.
    size_t weight = kNone, bias = kNone;
    size_t bn_weight = kNone, bn_bias = kNone, running_mean = kNone, running_var = kNone;
  };

  // What one hidden layer of the training batch keeps for backward().
  struct LayerCache {
    Matrix act;                        // n x h: ReLU output, BatchNorm's input
    std::vector<float> mean, inv_std;  // h: BatchNorm batch mean and 1 / sqrt(biased var + eps)
    Matrix mask;                       // n x h: dropout multipliers (empty when p == 0)
    Matrix out;                        // n x h: the layer's output, the next layer's input
  };

  size_t add(Parameter p) {
    params_.push_back(std::move(p));
    return params_.size() - 1;
  }

  void initialise(uint64_t seed) {
    for (size_t i = 0; i < 2; ++i) {
      SplitMix64 rng = stream(seed, i);
      fill_trunc_normal(params_[i], 0.01f, rng);
    }
    // PyTorch's Linear default (kaiming_uniform_ with a = sqrt(5)) reduces to +-1/sqrt(fan_in),
    // the same bound as its bias.
    auto linear = [&](size_t index, uint32_t fan_in) {
      const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fan_in)));
      SplitMix64 rng = stream(seed, index);
      fill_uniform(params_[index], -bound, bound, rng);
    };
    for (const Layer& l : layers_) {
      linear(l.weight, l.in);
      if (l.bias != kNone) linear(l.bias, l.in);
      if (l.bn_weight != kNone) {
        fill_constant(params_[l.bn_weight], 1.0f);
        fill_constant(params_[l.bn_bias], 1e-3f);  // fastai's BatchNorm: bias 1e-3, not PyTorch's 0
        fill_constant(params_[l.running_mean], 0.0f);
        fill_constant(params_[l.running_var], 1.0f);
      }
    }
    linear(final_weight_, final_in_);
    linear(final_bias_, final_in_);
  }

  ConstMatrixMap weights(const Layer& l) const { return {params_[l.weight].value.data(), l.out, l.in}; }

  // x (n x (uf + if)) = [user embedding, item embedding] for each pair.
  void gather(const uint32_t* users, const uint32_t* items, size_t n, Matrix& x) const {
    const uint32_t uf = config_.user_factors, itf = config_.item_factors;
    x.resize(static_cast<Eigen::Index>(n), uf + itf);
    const Parameter& ue = params_[0];
    const Parameter& ie = params_[1];
    for (size_t b = 0; b < n; ++b) {
      float* row = x.data() + b * (uf + itf);
      std::memcpy(row, ue.row(users[b]), uf * sizeof(float));
      std::memcpy(row + uf, ie.row(items[b]), itf * sizeof(float));
    }
  }

  // act (n x out) = ReLU(x W^T + bias).
  void linear_relu(const Layer& l, const Matrix& x, Matrix& act) const {
    act.noalias() = x * weights(l).transpose();
    if (l.bias != kNone) act.rowwise() += ConstRowMap(params_[l.bias].value.data(), l.out);
    act = act.cwiseMax(0.0f);
  }

  // Training-mode statistics of c.act, per feature: the mean and the biased variance normalise
  // the batch; the running statistics move towards the mean and the unbiased variance, as
  // PyTorch's BatchNorm does. Sums in double: a batch of 8192 would lose digits in float.
  void batch_statistics(const Layer& l, LayerCache& c) {
    const size_t n = static_cast<size_t>(c.act.rows());
    const uint32_t h = l.out;
    std::vector<double> sum(h, 0.0), sq(h, 0.0);
    for (size_t b = 0; b < n; ++b) {
      const float* a = c.act.data() + b * h;
      for (uint32_t j = 0; j < h; ++j) sum[j] += a[j];
    }
    for (uint32_t j = 0; j < h; ++j) sum[j] /= static_cast<double>(n);  // now the mean
    for (size_t b = 0; b < n; ++b) {
      const float* a = c.act.data() + b * h;
      for (uint32_t j = 0; j < h; ++j) {
        double d = a[j] - sum[j];
        sq[j] += d * d;
      }
    }
    c.mean.resize(h);
    c.inv_std.resize(h);
    float* running_mean = params_[l.running_mean].value.data();
    float* running_var = params_[l.running_var].value.data();
    for (uint32_t j = 0; j < h; ++j) {
      const double var = sq[j] / static_cast<double>(n);
      const double unbiased = sq[j] / static_cast<double>(n - 1);
      c.mean[j] = static_cast<float>(sum[j]);
      c.inv_std[j] = static_cast<float>(1.0 / std::sqrt(var + kBnEps));
      running_mean[j] = static_cast<float>((1.0 - kBnMomentum) * running_mean[j] + kBnMomentum * sum[j]);
      running_var[j] = static_cast<float>((1.0 - kBnMomentum) * running_var[j] + kBnMomentum * unbiased);
    }
  }

  // out = (act - mean) * inv_std * gamma + beta, written as act * alpha + shift like PyTorch.
  void batch_norm(const Layer& l, const float* mean, const float* inv_std, const Matrix& act,
                  Matrix& out) const {
    const uint32_t h = l.out;
    const float* gamma = params_[l.bn_weight].value.data();
    const float* beta = params_[l.bn_bias].value.data();
    std::vector<float> alpha(h), shift(h);
    for (uint32_t j = 0; j < h; ++j) {
      alpha[j] = inv_std[j] * gamma[j];
      shift[j] = beta[j] - mean[j] * alpha[j];
    }
    out = act;
    affine(alpha.data(), shift.data(), out);
  }

  // x[b][j] = x[b][j] * alpha[j] + shift[j], in place.
  static void affine(const float* alpha, const float* shift, Matrix& x) {
    const auto h = static_cast<size_t>(x.cols());
    for (Eigen::Index b = 0; b < x.rows(); ++b) {
      float* row = x.data() + static_cast<size_t>(b) * h;
      for (size_t j = 0; j < h; ++j) row[j] = row[j] * alpha[j] + shift[j];
    }
  }

  // BatchNorm in training mode, backwards. With xhat = (a - mean) * inv_std and y = gamma * xhat
  // + beta, and dy (n x h) the gradient at y (replaced by the gradient at a):
  //   d gamma = sum_b dy * xhat,   d beta = sum_b dy,
  //   da = gamma * inv_std * (dy - d beta / n - xhat * d gamma / n)
  // (the last two terms are the paths through the batch mean and variance).
  void batch_norm_backward(const Layer& l, const LayerCache& c, Gradients& grads, Matrix& dy) const {
    const size_t n = static_cast<size_t>(dy.rows());
    const uint32_t h = l.out;
    std::vector<double> sum_dy(h, 0.0), sum_dy_xhat(h, 0.0);
    const float* mean = c.mean.data();
    const float* inv_std = c.inv_std.data();
    for (size_t b = 0; b < n; ++b) {
      const float* a = c.act.data() + b * h;
      const float* d = dy.data() + b * h;
      for (uint32_t j = 0; j < h; ++j) {
        sum_dy[j] += d[j];
        sum_dy_xhat[j] += static_cast<double>(d[j]) * ((a[j] - mean[j]) * inv_std[j]);
      }
    }
    float* d_gamma = grads.dense[l.bn_weight].data();
    float* d_beta = grads.dense[l.bn_bias].data();
    const float* gamma = params_[l.bn_weight].value.data();
    std::vector<float> k(h), mean_dy(h), mean_dy_xhat(h);
    for (uint32_t j = 0; j < h; ++j) {
      d_gamma[j] += static_cast<float>(sum_dy_xhat[j]);
      d_beta[j] += static_cast<float>(sum_dy[j]);
      k[j] = gamma[j] * inv_std[j];
      mean_dy[j] = static_cast<float>(sum_dy[j] / static_cast<double>(n));
      mean_dy_xhat[j] = static_cast<float>(sum_dy_xhat[j] / static_cast<double>(n));
    }
    for (size_t b = 0; b < n; ++b) {
      const float* a = c.act.data() + b * h;
      float* d = dy.data() + b * h;
      for (uint32_t j = 0; j < h; ++j) {
        float xhat = (a[j] - mean[j]) * inv_std[j];
        d[j] = k[j] * (d[j] - mean_dy[j] - xhat * mean_dy_xhat[j]);
      }
    }
  }

  // out[b] = sigmoid_range(x[b] . w + bias), or the raw value without y_range; slope (n, or
  // null) receives d out / d(x[b] . w + bias).
  void head(const Matrix& x, float* out, float* slope) const {
    const Eigen::VectorXf z = x * ConstVectorMap(params_[final_weight_].value.data(), final_in_);
    const float bias = params_[final_bias_].value[0];
    const bool y_range = config_.y_range;
    const float lo = config_.y_min, hi = config_.y_max;
    for (Eigen::Index b = 0; b < z.size(); ++b) {
      const float v = z[b] + bias;
      float s = 1.0f;
      out[b] = y_range ? sigmoid_range(v, lo, hi, &s) : v;
      if (slope) slope[b] = s;
    }
  }

  std::vector<Layer> layers_;
  uint32_t final_in_ = 0;
  size_t final_weight_ = kNone, final_bias_ = kNone;

  // The training batch, kept for backward().
  bool has_batch_ = false;
  std::vector<uint32_t> users_, items_;  // n
  Matrix x0_;                            // n x (uf + if): embeddings after embedding dropout
  Matrix emb_mask_;                      // n x (uf + if): embedding dropout multipliers
  std::vector<LayerCache> cache_;        // one per hidden layer
  std::vector<float> slope_;             // n: d out / d(head's linear output)
  std::vector<Matrix> dx_;               // backward's scratch, see there
};

}  // namespace

std::unique_ptr<Model> make_nn_model(const ModelConfig& config, uint64_t seed) {
  return std::make_unique<NnModel>(config, seed);
}

}  // namespace cofi::model_detail
