"""Writes tests/fixtures/parity/*.json: tiny training runs recorded with the PyTorch reference
(torch_collab.py), step by step, for cofi's model/optimizer/schedule parity tests.

usage: /usr/bin/python3 tools/reference/make_fixtures.py [--out DIR] [--check]

Each fixture is one training run: 7 users, 9 items, 25 distinct ratings (0.5..5 in steps of 0.5;
user 6 and item 8 are never rated, and every batch misses some users and items, so rows that sit out
steps must still decay and drift: cofi's lazy catch-up), batches of 5 in a seeded shuffle per epoch
(5 batches an epoch), 8 steps. All tensors are float32; floats are written with 9 significant digits
(enough to round-trip a float32), lr and mom (float64 schedule values) in full.

JSON layout (see also the "layout" string written into each file):
  name, description
  config        model: kind, n_users, n_items, user_factors, item_factors, y_range ([lo, hi] or null);
                nn only: hidden, dropout, embed_dropout, batch_norm
  optimizer     kind, wd, decoupled_wd, beta2, eps, wd_bn_bias, and "update": the exact update rule
  schedule      kind, lr, div, div_final, pct_start, mom_max, mom_min, mom
  total_steps, batch_size, seed
  ratings       the whole training set: users, items, ratings
  tensors       [{name, shape, trainable}] in state_dict order; shapes are PyTorch's
  initial_state {name: {shape, data}}; data flat, row-major (Linear weights are (out, in))
  steps         [{step, users, items, ratings, lr, mom, loss, predictions, grads: {name: flat},
                  state: {name: flat}}]   grads: dense d(loss)/d(param) of the MSE loss only (before L2
                  or weight decay), zeros for untouched rows; trainable tensors only. state: every
                  tensor after the step, including BatchNorm running statistics.
  final_eval    eval-mode predictions after the last step (BatchNorm running statistics): users, items,
                predictions, for every rated pair and the never-rated (6, 8).

--check replays every fixture independently of torch.optim and autograd, in float64: the gradients by
central finite differences of the loss (model rebuilt from the recorded state before the step), and the
state after each step by the documented update rule applied to the recorded gradients.
"""
from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
from typing import Dict, List

import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import torch_collab as tc  # noqa: E402

N_USERS, N_ITEMS, FACTORS = 7, 9, 4
N_RATINGS, BATCH, STEPS = 25, 5, 8

UPDATE_RULES = {
    ("adam", True): "torch.optim.AdamW(betas=(mom, beta2), eps, weight_decay=wd): t += 1; p *= 1 - lr*wd; "
                    "m = mom*m + (1-mom)*g; v = beta2*v + (1-beta2)*g*g; "
                    "p -= lr/(1-mom^t) * m / (sqrt(v/(1-beta2^t)) + eps); m, v start at 0; mom is this "
                    "step's beta1 (the schedule's), also in 1-mom^t",
    ("adam", False): "torch.optim.Adam(betas=(mom, beta2), eps, weight_decay=wd): t += 1; g' = g + wd*p; "
                     "m = mom*m + (1-mom)*g'; v = beta2*v + (1-beta2)*g'*g'; "
                     "p -= lr/(1-mom^t) * m / (sqrt(v/(1-beta2^t)) + eps); m, v start at 0; mom is this "
                     "step's beta1 (the schedule's), also in 1-mom^t",
    ("sgd", True): "p.mul_(1 - lr*wd) by hand, then torch.optim.SGD(momentum=mom, dampening=0, "
                   "weight_decay=0): buf = g at the first step, else buf = mom*buf + g; p -= lr*buf",
    ("sgd", False): "torch.optim.SGD(momentum=mom, dampening=0, weight_decay=wd): g' = g + wd*p; "
                    "buf = g' at the first step, else buf = mom*buf + g'; p -= lr*buf",
}

LAYOUT = (
    "tensors: [{name, shape, trainable}] in PyTorch state_dict order, PyTorch shapes. initial_state: "
    "{name: {shape, data}}, data flat row-major (Linear weight is (out, in); bias/BatchNorm vectors (n,); "
    "embedding tables (rows, k); dotbias biases (rows, 1)). steps[s]: the batch (users, items, ratings), "
    "lr and mom used for the step (schedule position s/total_steps), loss = mean squared error of the "
    "training-mode predictions before the step, predictions (training mode: BatchNorm batch statistics), "
    "grads {name: flat} = dense d(loss)/d(param) of the MSE only (no L2 or decay term; zero rows for "
    "users/items not in the batch; trainable tensors only), state {name: flat} = every tensor after the "
    "step (BatchNorm running_mean/running_var included). final_eval: eval-mode predictions after the last "
    "step. Floats: 9 significant digits (round-trip float32); lr/mom: float64 repr."
)

NN_NAMES = (
    "nn names (fastai EmbeddingNN = TabularModel, lin_first=True): embeds.0.weight (users, ku), "
    "embeds.1.weight (items, ki); input = [user emb | item emb]; hidden layer i: layers.{i}.0.weight "
    "(h_i, n_in) Linear without bias (BatchNorm on) -> ReLU (layers.{i}.1) -> BatchNorm1d layers.{i}.2."
    "{weight,bias,running_mean,running_var} (h_i,), eps 1e-5, momentum 0.1: training normalises with the "
    "biased batch variance and updates running_var with the unbiased one (n/(n-1)), running = 0.9*running "
    "+ 0.1*batch; final layers.{L}.0.weight (1, h_last) and layers.{L}.0.bias (1,); then SigmoidRange. "
    "BatchNorm's num_batches_tracked is left out."
)

# (name, description, model config, optimizer config, schedule config, seed)
FIXTURES = [
    ("dot_sgd_constant",
     "dot (y_range 0..5.5), SGD momentum 0.9, decoupled weight decay, constant lr",
     tc.ModelConfig("dot", N_USERS, N_ITEMS, FACTORS, FACTORS, (0.0, 5.5)),
     tc.OptimizerConfig("sgd", wd=0.1, decoupled_wd=True),
     tc.ScheduleConfig("constant", lr=0.3, mom=0.9), 11),
    ("dotbias_adamw_one_cycle",
     "dotbias (y_range 0..5.5), AdamW (decoupled wd), one-cycle",
     tc.ModelConfig("dotbias", N_USERS, N_ITEMS, FACTORS, FACTORS, (0.0, 5.5)),
     tc.OptimizerConfig("adam", wd=0.1, decoupled_wd=True),
     tc.ScheduleConfig("one_cycle", lr=0.05), 12),
    ("dotbias_sgd_one_cycle",
     "dotbias (y_range 0..5.5), SGD with momentum from the schedule, decoupled wd, one-cycle",
     tc.ModelConfig("dotbias", N_USERS, N_ITEMS, FACTORS, FACTORS, (0.0, 5.5)),
     tc.OptimizerConfig("sgd", wd=0.1, decoupled_wd=True),
     tc.ScheduleConfig("one_cycle", lr=0.5), 13),
    ("dotbias_adam_l2_constant",
     "dotbias without y_range, Adam with L2 weight decay (added to the gradient), constant lr and beta1 0.9",
     tc.ModelConfig("dotbias", N_USERS, N_ITEMS, FACTORS, FACTORS, None),
     tc.OptimizerConfig("adam", wd=0.1, decoupled_wd=False),
     tc.ScheduleConfig("constant", lr=0.01, mom=0.9), 14),
    ("nn_adamw_one_cycle",
     "nn (hidden [6], BatchNorm on, dropout off, y_range 0..5.5), AdamW (decoupled wd on every "
     "parameter), one-cycle",
     tc.ModelConfig("nn", N_USERS, N_ITEMS, FACTORS, FACTORS, (0.0, 5.5), hidden=[6], dropout=[],
                    embed_dropout=0.0, batch_norm=True),
     tc.OptimizerConfig("adam", wd=0.1, decoupled_wd=True),
     tc.ScheduleConfig("one_cycle", lr=0.02), 15),
]


def f9(x: float) -> float:
    """The shortest double that prints as x to 9 significant digits (round-trips a float32)."""
    return float(f"{x:.9g}")


def flat(t: torch.Tensor) -> List[float]:
    return [f9(v) for v in t.detach().reshape(-1).tolist()]


def make_ratings(seed: int):
    """25 distinct (user, item) pairs over users 0..5 and items 0..7 (user 6, item 8 never rated)."""
    rng = random.Random(seed)
    pairs = rng.sample([(u, i) for u in range(N_USERS - 1) for i in range(N_ITEMS - 1)], N_RATINGS)
    ratings = [rng.randint(1, 10) / 2 for _ in pairs]
    return [p[0] for p in pairs], [p[1] for p in pairs], ratings


def make_batches(seed: int) -> List[List[int]]:
    """STEPS batches of BATCH rating indices: a fresh seeded shuffle each epoch, no partial batches."""
    rng = random.Random(seed + 1000)
    batches: List[List[int]] = []
    while len(batches) < STEPS:
        order = list(range(N_RATINGS))
        rng.shuffle(order)
        batches += [order[s:s + BATCH] for s in range(0, N_RATINGS - BATCH + 1, BATCH)]
    return batches[:STEPS]


def config_json(mc: tc.ModelConfig) -> Dict:
    out = {"kind": mc.kind, "n_users": mc.n_users, "n_items": mc.n_items, "user_factors": mc.user_factors,
           "item_factors": mc.item_factors, "y_range": list(mc.y_range) if mc.y_range else None}
    if mc.kind == "nn":
        out.update(hidden=mc.hidden, dropout=mc.dropout, embed_dropout=mc.embed_dropout,
                   batch_norm=mc.batch_norm)
    return out


def record(name, description, mc, oc, sc, seed) -> Dict:
    users, items, ratings = make_ratings(seed)
    batches = make_batches(seed)
    model = tc.create_model(mc, seed)
    schedule = tc.Schedule(sc, STEPS)
    opt = tc.Optimizer(oc, model, schedule)
    state0 = tc.float_state(model)
    trainable = {n for n, _ in model.named_parameters()}
    tensors = [{"name": n, "shape": list(v.shape), "trainable": n in trainable} for n, v in state0.items()]
    out = {
        "name": name,
        "description": description,
        "layout": LAYOUT,
        "config": config_json(mc),
        "optimizer": {"kind": oc.kind, "wd": oc.wd, "decoupled_wd": oc.decoupled_wd, "beta2": oc.beta2,
                      "eps": oc.eps, "wd_bn_bias": oc.wd_bn_bias, "dense": True,
                      "update": UPDATE_RULES[(oc.kind, oc.decoupled_wd)]
                      + "; applied to every trainable tensor (all rows of every embedding table) at every step"},
        "schedule": {"kind": sc.kind, "lr": sc.lr, "div": sc.div, "div_final": sc.div_final,
                     "pct_start": sc.pct_start, "mom_max": sc.mom_max, "mom_min": sc.mom_min, "mom": sc.mom},
        "total_steps": STEPS, "batch_size": BATCH, "seed": seed,
        "ratings": {"users": users, "items": items, "ratings": ratings},
        "tensors": tensors,
        "initial_state": {n: {"shape": list(v.shape), "data": flat(v)} for n, v in state0.items()},
        "steps": [],
    }
    if mc.kind == "nn":
        out["names"] = NN_NAMES
    for s, idx in enumerate(batches):
        bu, bi, br = [users[j] for j in idx], [items[j] for j in idx], [ratings[j] for j in idx]
        pred, loss, lr, mom = tc.train_step(model, opt, torch.tensor(bu), torch.tensor(bi),
                                            torch.tensor(br, dtype=torch.float32))
        out["steps"].append({
            "step": s, "users": bu, "items": bi, "ratings": br, "lr": lr, "mom": mom,
            "loss": f9(loss.item()), "predictions": flat(pred),
            "grads": {n: flat(p.grad) for n, p in model.named_parameters()},
            "state": {n: flat(v) for n, v in tc.float_state(model).items()},
        })
    eu, ei = users + [N_USERS - 1], items + [N_ITEMS - 1]
    out["final_eval"] = {"users": eu, "items": ei,
                         "predictions": flat(tc.predict(model, torch.tensor(eu), torch.tensor(ei)))}
    return out


def dumps(obj, indent: int = 0) -> str:
    """JSON with one line per key of the larger objects and number lists kept on one line."""
    pad = " " * indent
    one_line = json.dumps(obj, separators=(",", ":"))
    if isinstance(obj, dict) and len(one_line) > 160:
        items = [f'{pad} {json.dumps(k)}: {dumps(v, indent + 1)}' for k, v in obj.items()]
        return "{\n" + ",\n".join(items) + "\n" + pad + "}"
    if isinstance(obj, list) and obj and isinstance(obj[0], dict):
        return "[\n" + ",\n".join(pad + " " + dumps(v, indent + 1) for v in obj) + "\n" + pad + "]"
    return one_line


# ----------------------------------------------------------------------------------------------
# --check: float64 replay without torch.optim or autograd


def load_model(fx: Dict, state: Dict[str, List[float]]) -> torch.nn.Module:
    c = fx["config"]
    mc = tc.ModelConfig(c["kind"], c["n_users"], c["n_items"], c["user_factors"], c["item_factors"],
                        tuple(c["y_range"]) if c["y_range"] else None)
    if c["kind"] == "nn":
        mc.hidden, mc.dropout = c["hidden"], c["dropout"]
        mc.embed_dropout, mc.batch_norm = c["embed_dropout"], c["batch_norm"]
    model = tc.create_model(mc, 0).double()
    shapes = {t["name"]: t["shape"] for t in fx["tensors"]}
    sd = {n: torch.tensor(v, dtype=torch.float64).reshape(shapes[n]) for n, v in state.items()}
    model.load_state_dict(sd, strict=False)
    return model


def check(fx: Dict) -> float:
    """Worst relative error over the recorded gradients and states; raises when one is off."""
    oc, shapes = fx["optimizer"], {t["name"]: t["shape"] for t in fx["tensors"]}
    trainable = [t["name"] for t in fx["tensors"] if t["trainable"]]
    state = {n: list(v["data"]) for n, v in fx["initial_state"].items()}
    m = {n: [0.0] * len(state[n]) for n in trainable}
    v = {n: [0.0] * len(state[n]) for n in trainable}
    worst = 0.0

    def close(a, b, what, tol, floor):
        nonlocal worst
        for j, (x, y) in enumerate(zip(a, b)):
            err = abs(x - y) / max(abs(y), floor)
            worst = max(worst, err)
            if err > tol:
                raise AssertionError(f"{fx['name']}: {what}[{j}]: {x} vs recorded {y}")

    for st in fx["steps"]:
        t = st["step"] + 1
        users, items = torch.tensor(st["users"]), torch.tensor(st["items"])
        ratings = torch.tensor(st["ratings"], dtype=torch.float64)

        def loss_at(s):
            model = load_model(fx, s)
            model.train()  # batch statistics; running stats are not used by the loss
            with torch.no_grad():
                return tc.mse_loss(model(users, items), ratings).item()

        close([loss_at(state)], [st["loss"]], f"step {t - 1} loss", 1e-5, 1e-3)
        # Central differences in float64 (h = 1e-6): truncation and rounding well under 1e-6.
        h = 1e-6
        for n in trainable:
            fd = []
            for j in range(len(state[n])):
                plus = dict(state); plus[n] = list(state[n]); plus[n][j] += h
                minus = dict(state); minus[n] = list(state[n]); minus[n][j] -= h
                fd.append((loss_at(plus) - loss_at(minus)) / (2 * h))
            close(fd, st["grads"][n], f"step {t - 1} grad {n}", 1e-3, 1e-3)
        # The documented update, in float64, from the recorded gradients.
        lr, mom, wd = st["lr"], st["mom"], oc["wd"]
        new = {}
        for n in trainable:
            p, g = list(state[n]), st["grads"][n]
            for j in range(len(p)):
                gj = g[j] + (0.0 if oc["decoupled_wd"] else wd * p[j])
                if oc["decoupled_wd"]:
                    p[j] *= 1 - lr * wd
                if oc["kind"] == "adam":
                    m[n][j] = mom * m[n][j] + (1 - mom) * gj
                    v[n][j] = oc["beta2"] * v[n][j] + (1 - oc["beta2"]) * gj * gj
                    denom = math.sqrt(v[n][j] / (1 - oc["beta2"] ** t)) + oc["eps"]
                    p[j] -= lr / (1 - mom ** t) * m[n][j] / denom
                else:
                    m[n][j] = gj if t == 1 else mom * m[n][j] + gj
                    p[j] -= lr * m[n][j]
            new[n] = p
            close(p, st["state"][n], f"step {t - 1} state {n}", 1e-4, 1e-4)
        # BatchNorm running statistics: recomputed from the batch by hand.
        model = load_model(fx, state)
        feats = {}
        for i, layer in enumerate(getattr(model, "layers", [])):
            if isinstance(layer, torch.nn.Sequential) and len(layer) > 2:
                layer[2].register_forward_hook(lambda mod, inp, out, i=i: feats.__setitem__(i, inp[0]))
        model.train()
        with torch.no_grad():
            model(users, items)
        for i, x in feats.items():
            b = x.shape[0]
            mean, var = x.mean(0), x.var(0, unbiased=False) * b / (b - 1)
            for stat, val in (("running_mean", mean), ("running_var", var)):
                n = f"layers.{i}.2.{stat}"
                expect = [0.9 * a + 0.1 * c for a, c in zip(state[n], val.tolist())]
                new[n] = expect
                close(expect, st["state"][n], f"step {t - 1} {n}", 1e-4, 1e-4)
        state = {n: st["state"][n] for n in state}  # continue from the recorded float32 state
        assert set(new) == set(state), f"{fx['name']}: unchecked tensors {set(state) - set(new)}"
    return worst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "..", "..", "tests", "fixtures", "parity"))
    ap.add_argument("--check", action="store_true", help="replay the fixtures in float64 after writing")
    args = ap.parse_args()
    torch.set_num_threads(1)
    os.makedirs(args.out, exist_ok=True)
    for spec in FIXTURES:
        fx = record(*spec)
        path = os.path.join(args.out, spec[0] + ".json")
        with open(path + ".tmp", "w") as f:
            f.write(dumps(fx) + "\n")
        os.replace(path + ".tmp", path)
        msg = f"{path}: {os.path.getsize(path)} bytes"
        if args.check:
            with open(path) as f:
                msg += f", check ok (worst relative error {check(json.load(f)):.2e})"
        print(msg)


if __name__ == "__main__":
    main()
