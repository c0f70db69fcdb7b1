"""Plain-PyTorch reference for cofi's models, optimizers and schedules (fastai's collab recipe).

This is the independent side of cofi's parity tests and benchmarks: make_fixtures.py records small
training runs made with it, and bench/torch_reference.py trains on MovieLens with it. fastai is not
used; its modules are rewritten here from fastai's source, keeping its state_dict names, so every
tensor lines up by name with cofi's `Parameter`s (include/cofi/model/parameters.h).

Models (state_dict names; PyTorch shapes, row-major). dot and dotbias hold their tables as plain
parameters named as cofi names them; fastai's modules would add a ".weight" suffix ("u_weight.weight").
  dot      u_weight (n_users, k), i_weight (n_items, k)
           pred = (u * i).sum(1), through SigmoidRange when y_range is set (the recipe's DotProduct).
           Init uniform(0, 0.05) (cofi's contract, include/cofi/model/model.h).
  dotbias  fastai's EmbeddingDotBias: u_weight, i_weight (n, k), u_bias, i_bias (n, 1)
           res = (u * i).sum(1) + ub + ib; pred = sigmoid(res) * (hi - lo) + lo, or res without y_range.
           Init fastai's trunc_normal_: normal_().fmod_(2).mul_(0.01).
  nn       fastai's EmbeddingNN (a TabularModel with n_cont = 0, lin_first = True):
             embeds.0.weight (n_users, ku), embeds.1.weight (n_items, ki)   trunc_normal_ std 0.01
             emb_drop (Dropout on the concatenation [user | item], width ku + ki)
             hidden layer i (fastai's LinBnDrop, an nn.Sequential):
               layers.{i}.0.weight (h_i, n_in)  Linear, bias only when BatchNorm is off
                                                (then layers.{i}.0.bias (h_i,))
               layers.{i}.1  ReLU
               layers.{i}.2.weight / .bias / .running_mean / .running_var (h_i,)  BatchNorm1d
                                                (eps 1e-5, momentum 0.1; fastai init weight 1, bias 1e-3)
               next index: Dropout(p_i), present only when p_i > 0 (no state)
             layers.{L}.0.weight (1, h_last), layers.{L}.0.bias (1,)  the final Linear
             layers.{L+1}  SigmoidRange (no state), when y_range is set
           Linear layers keep PyTorch's default init (kaiming_uniform(a=sqrt(5)) = uniform(+-1/sqrt(fan_in))
           for the weight, uniform(+-1/sqrt(fan_in)) for the bias), as fastai's TabularModel does.
           BatchNorm's num_batches_tracked buffer is unused (momentum is fixed) and left out of
           state_dicts returned by `float_state`.

Loss: MSE, mean over the batch (nn's (B, 1) output is squeezed to (B,)).

Optimizers (Optimizer below): fastai's Adam and SGD via their torch.optim equivalents.
  adam, decoupled wd:  torch.optim.AdamW(betas=(beta1, beta2), eps, weight_decay=wd):
                       p *= 1 - lr*wd; m = b1*m + (1-b1)*g; v = b2*v + (1-b2)*g^2;
                       p -= lr/(1-b1^t) * m / (sqrt(v/(1-b2^t)) + eps)   (fastai's Adam with true_wd)
  adam, L2:            torch.optim.Adam(weight_decay=wd): g += wd*p, then the same step without decay.
  sgd, decoupled wd:   torch.optim.SGD(momentum=mom, dampening=0, weight_decay=0), preceded by
                       p.mul_(1 - lr*wd) by hand (fastai's SGD with true_wd; buf = mom*buf + g, buf = g
                       at the first step; p -= lr*buf).
  sgd, L2:             torch.optim.SGD(momentum=mom, weight_decay=wd).
beta1 (Adam) or momentum (SGD) is set from the schedule before every step, as is lr.
Every trainable parameter is decayed (cofi's contract). fastai's Learner by default (wd_bn_bias=False)
exempts BatchNorm parameters and Linear biases; `wd_bn_bias=False` reproduces that (nn only).

Embeddings are standard nn.Embedding with dense gradients: every row of every table decays and moves
at every step (cofi's `dense` mode; its `lazy` mode must reproduce this for decoupled SGD).

Schedules (Schedule below), values for step t (0-based) of total_steps, taken before the step:
  constant:   lr, mom
  one_cycle:  fastai's fit_one_cycle: pos = t / total_steps,
              lr  = combined_cos(pct_start, lr/div, lr, lr/div_final)(pos)
              mom = combined_cos(pct_start, mom_max, mom_min, mom_max)(pos)
              SchedCos(a, b)(p) = a + (1 + cos(pi * (1 - p))) * (b - a) / 2
              combined_cos(pct, a, b, c)(pos) = SchedCos(a, b)(pos / pct)               if pos < pct
                                                SchedCos(b, c)((pos - pct) / (1 - pct))  otherwise
  computed in float64. (fastai computes pos - pct in float32 tensors; the difference is < 1e-7 relative.)
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import torch
from torch import nn
from torch.nn import functional as F

# ----------------------------------------------------------------------------------------------
# Configurations (mirroring include/cofi/model/model_config.h, train/schedule.h, train/optimizer.h)


@dataclass
class ModelConfig:
    kind: str = "dotbias"  # dot | dotbias | nn
    n_users: int = 0
    n_items: int = 0
    user_factors: int = 50  # 0 for nn: fastai's rule
    item_factors: int = 50
    y_range: Optional[Tuple[float, float]] = (0.0, 5.5)
    hidden: List[int] = field(default_factory=lambda: [100])  # nn only
    dropout: List[float] = field(default_factory=list)  # nn: per hidden layer; empty = none
    embed_dropout: float = 0.0  # nn
    batch_norm: bool = True  # nn


@dataclass
class ScheduleConfig:
    kind: str = "one_cycle"  # constant | one_cycle
    lr: float = 5e-3
    div: float = 25.0
    div_final: float = 1e5
    pct_start: float = 0.25
    mom_max: float = 0.95
    mom_min: float = 0.85
    mom: float = 0.9  # constant schedule


@dataclass
class OptimizerConfig:
    kind: str = "adam"  # adam | sgd
    wd: float = 0.1
    decoupled_wd: bool = True
    beta2: float = 0.99
    eps: float = 1e-5
    wd_bn_bias: bool = True  # False: fastai's Learner default, no decay on BatchNorm params and Linear biases


def fastai_embedding_size(n: int) -> int:
    """fastai's emb_sz_rule: min(600, round(1.6 * n^0.56)) for a table of n rows."""
    return min(600, round(1.6 * n ** 0.56))


# ----------------------------------------------------------------------------------------------
# Initialisation and modules


def trunc_normal_(x: torch.Tensor, std: float = 0.01) -> torch.Tensor:
    """fastai's trunc_normal_: a normal draw folded into (-2, 2) by fmod, times std."""
    return x.normal_().fmod_(2).mul_(std)


def embedding(n: int, k: int) -> nn.Embedding:
    """fastai's Embedding: nn.Embedding with trunc_normal_(std=0.01) weights."""
    e = nn.Embedding(n, k)
    with torch.no_grad():
        trunc_normal_(e.weight, 0.01)
    return e


class SigmoidRange(nn.Module):
    """sigmoid(x) * (hi - lo) + lo (fastai's SigmoidRange); no parameters."""

    def __init__(self, lo: float, hi: float):
        super().__init__()
        self.lo, self.hi = lo, hi

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x) * (self.hi - self.lo) + self.lo


class DotModel(nn.Module):
    """The recipe's DotProduct: user . item, optionally through SigmoidRange. Weights uniform(0, 0.05)."""

    def __init__(self, c: ModelConfig):
        super().__init__()
        assert c.user_factors == c.item_factors
        self.u_weight = nn.Parameter(torch.empty(c.n_users, c.user_factors).uniform_(0.0, 0.05))
        self.i_weight = nn.Parameter(torch.empty(c.n_items, c.item_factors).uniform_(0.0, 0.05))
        self.y_range = c.y_range

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        res = (F.embedding(users, self.u_weight) * F.embedding(items, self.i_weight)).sum(1)
        if self.y_range is None:
            return res
        lo, hi = self.y_range
        return torch.sigmoid(res) * (hi - lo) + lo


class DotBiasModel(nn.Module):
    """fastai's EmbeddingDotBias (fastai/collab.py), same init and forward. fastai holds each table in
    an Embedding module (state_dict "u_weight.weight"); here the tables are plain parameters, so the
    names are cofi's "u_weight", "i_weight", "u_bias", "i_bias". Lookups are F.embedding: the same
    dense gradients as nn.Embedding."""

    def __init__(self, c: ModelConfig):
        super().__init__()
        assert c.user_factors == c.item_factors
        k = c.user_factors
        # fastai creates them in this order: u_weight, i_weight, u_bias, i_bias.
        self.u_weight, self.i_weight, self.u_bias, self.i_bias = [
            nn.Parameter(trunc_normal_(torch.empty(n, m), 0.01))
            for n, m in [(c.n_users, k), (c.n_items, k), (c.n_users, 1), (c.n_items, 1)]
        ]
        self.y_range = c.y_range

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        dot = F.embedding(users, self.u_weight) * F.embedding(items, self.i_weight)
        # squeeze(1), not fastai's squeeze(), so a batch of one keeps its shape.
        res = dot.sum(1) + F.embedding(users, self.u_bias).squeeze(1) + F.embedding(items, self.i_bias).squeeze(1)
        if self.y_range is None:
            return res
        lo, hi = self.y_range
        return torch.sigmoid(res) * (hi - lo) + lo


def batch_norm(n: int) -> nn.BatchNorm1d:
    """fastai's BatchNorm(n, ndim=1): weight 1, bias 1e-3 (eps 1e-5, momentum 0.1)."""
    bn = nn.BatchNorm1d(n, eps=1e-5, momentum=0.1)
    with torch.no_grad():
        bn.weight.fill_(1.0)
        bn.bias.fill_(1e-3)
    return bn


def lin_bn_drop(n_in: int, n_out: int, bn: bool, p: float, act: Optional[nn.Module]) -> nn.Sequential:
    """fastai's LinBnDrop with lin_first=True: Linear(bias=not bn), act, BatchNorm, Dropout(p if p > 0)."""
    layers: List[nn.Module] = [nn.Linear(n_in, n_out, bias=not bn)]
    if act is not None:
        layers.append(act)
    if bn:
        layers.append(batch_norm(n_out))
    if p != 0:
        layers.append(nn.Dropout(p))
    return nn.Sequential(*layers)


class NNModel(nn.Module):
    """fastai's EmbeddingNN = TabularModel(emb_szs, n_cont=0, out_sz=1, layers=hidden, ps=dropout,
    embed_p=embed_dropout, y_range, use_bn=batch_norm, bn_final=False, lin_first=True).
    (TabularModel's bn_cont is a BatchNorm1d(0) with no effect; it is left out.)"""

    def __init__(self, c: ModelConfig):
        super().__init__()
        ku = c.user_factors or fastai_embedding_size(c.n_users)
        ki = c.item_factors or fastai_embedding_size(c.n_items)
        self.embeds = nn.ModuleList([embedding(c.n_users, ku), embedding(c.n_items, ki)])
        self.emb_drop = nn.Dropout(c.embed_dropout)
        ps = list(c.dropout) if c.dropout else [0.0] * len(c.hidden)
        assert len(ps) == len(c.hidden)
        sizes = [ku + ki] + list(c.hidden) + [1]
        layers: List[nn.Module] = []
        for i in range(len(c.hidden)):
            layers.append(lin_bn_drop(sizes[i], sizes[i + 1], c.batch_norm, ps[i], nn.ReLU()))
        layers.append(lin_bn_drop(sizes[-2], 1, False, 0.0, None))
        if c.y_range is not None:
            layers.append(SigmoidRange(*c.y_range))
        self.layers = nn.Sequential(*layers)

    def forward(self, users: torch.Tensor, items: torch.Tensor) -> torch.Tensor:
        x = torch.cat([self.embeds[0](users), self.embeds[1](items)], 1)
        x = self.emb_drop(x)
        return self.layers(x).squeeze(1)  # (B, 1) -> (B,), as MSELossFlat flattens


def create_model(c: ModelConfig, seed: int) -> nn.Module:
    """A float32 model with fastai's initialisation, deterministic for `seed` (torch's CPU generator;
    cofi's own draws differ, so fixtures carry the initial state)."""
    torch.manual_seed(seed)
    cls = {"dot": DotModel, "dotbias": DotBiasModel, "nn": NNModel}[c.kind]
    return cls(c).float()


def float_state(model: nn.Module) -> Dict[str, torch.Tensor]:
    """The state_dict without BatchNorm's integer num_batches_tracked (unused with a fixed momentum)."""
    return {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}


def bn_bias_params(model: nn.Module) -> List[nn.Parameter]:
    """fastai's norm_bias_params: BatchNorm parameters and the `bias` of any module that has one."""
    out: List[nn.Parameter] = []
    for m in model.modules():
        if isinstance(m, nn.modules.batchnorm._BatchNorm):
            out += list(m.parameters(recurse=False))
        elif isinstance(getattr(m, "bias", None), nn.Parameter):
            out.append(m.bias)
    return out


def mse_loss(pred: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    return ((pred - target) ** 2).mean()


# ----------------------------------------------------------------------------------------------
# Schedules


def sched_cos(start: float, end: float, p: float) -> float:
    return start + (1 + math.cos(math.pi * (1 - p))) * (end - start) / 2


def combined_cos(pct: float, a: float, b: float, c: float, pos: float) -> float:
    if pos < pct:
        return sched_cos(a, b, pos / pct)
    return sched_cos(b, c, (pos - pct) / (1 - pct))


class Schedule:
    def __init__(self, c: ScheduleConfig, total_steps: int):
        assert total_steps > 0
        self.c, self.total = c, total_steps

    def lr(self, t: int) -> float:
        c = self.c
        if c.kind == "constant":
            return c.lr
        return combined_cos(c.pct_start, c.lr / c.div, c.lr, c.lr / c.div_final, t / self.total)

    def mom(self, t: int) -> float:
        c = self.c
        if c.kind == "constant":
            return c.mom
        return combined_cos(c.pct_start, c.mom_max, c.mom_min, c.mom_max, t / self.total)


# ----------------------------------------------------------------------------------------------
# Optimizers


class Optimizer:
    """A torch.optim optimizer driven by a Schedule: step() sets lr and beta1/momentum, then steps."""

    def __init__(self, c: OptimizerConfig, model: nn.Module, schedule: Schedule):
        self.c, self.schedule, self.t = c, schedule, 0
        params = [p for p in model.parameters() if p.requires_grad]
        if c.wd_bn_bias:
            groups = [{"params": params, "wd": c.wd}]
        else:
            exempt = {id(p) for p in bn_bias_params(model)}
            groups = [
                {"params": [p for p in params if id(p) not in exempt], "wd": c.wd},
                {"params": [p for p in params if id(p) in exempt], "wd": 0.0},
            ]
            groups = [g for g in groups if g["params"]]
        lr0, mom0 = schedule.lr(0), schedule.mom(0)
        if c.kind == "adam":
            for g in groups:
                g["weight_decay"] = g["wd"]
            cls = torch.optim.AdamW if c.decoupled_wd else torch.optim.Adam
            self.opt = cls(groups, lr=lr0, betas=(mom0, c.beta2), eps=c.eps)
        elif c.kind == "sgd":
            for g in groups:
                # decoupled: decay applied by hand in step(); L2: torch adds wd * p to the gradient.
                g["weight_decay"] = 0.0 if c.decoupled_wd else g["wd"]
            self.opt = torch.optim.SGD(groups, lr=lr0, momentum=mom0, dampening=0.0)
        else:
            raise ValueError(f"unknown optimizer {c.kind!r}")

    def zero_grad(self) -> None:
        self.opt.zero_grad(set_to_none=True)

    def step(self) -> Tuple[float, float]:
        """One step with the gradients in .grad; returns the (lr, mom) it used."""
        lr, mom = self.schedule.lr(self.t), self.schedule.mom(self.t)
        for g in self.opt.param_groups:
            g["lr"] = lr
            if self.c.kind == "adam":
                g["betas"] = (mom, self.c.beta2)
            else:
                g["momentum"] = mom
        if self.c.kind == "sgd" and self.c.decoupled_wd:
            with torch.no_grad():
                for g in self.opt.param_groups:
                    if g["wd"] != 0:
                        for p in g["params"]:
                            if p.grad is not None:  # as torch skips parameters without a gradient
                                p.mul_(1 - lr * g["wd"])
        self.opt.step()
        self.t += 1
        return lr, mom


def train_step(model: nn.Module, opt: Optimizer, users: torch.Tensor, items: torch.Tensor,
               ratings: torch.Tensor) -> Tuple[torch.Tensor, torch.Tensor, float, float]:
    """forward (training mode), MSE, backward, step. Returns (predictions, loss, lr, mom); the
    gradients stay in .grad until the next zero_grad."""
    model.train()
    opt.zero_grad()
    pred = model(users, items)
    loss = mse_loss(pred, ratings)
    loss.backward()
    lr, mom = opt.step()
    return pred.detach(), loss.detach(), lr, mom


@torch.no_grad()
def predict(model: nn.Module, users: torch.Tensor, items: torch.Tensor, batch: int = 1 << 16) -> torch.Tensor:
    """Eval-mode predictions (no dropout, BatchNorm running statistics)."""
    model.eval()
    out = [model(users[s:s + batch], items[s:s + batch]) for s in range(0, len(users), batch)]
    return torch.cat(out) if out else torch.empty(0)
