"""PyTorch side of cofi's training benchmark and its accuracy reference (fastai's collab recipe).

usage: /usr/bin/python3 bench/torch_reference.py [--model dotbias|nn] [--epochs 5] [--batch-size 64]
           [--lr 5e-3] [--wd 0.1] [--seed 0] [--threads 2] [--epochs-only-timing] ...

Trains with tools/reference/torch_collab.py (plain PyTorch re-implementations of fastai's modules,
AdamW with decoupled weight decay, fit_one_cycle) on a train/valid split:

  data     --data DIR with train.csv and valid.csv (MovieLens columns userId,movieId,rating,...),
           default /work/shared/data/splits/ml-latest-small-80-20. Users and items are mapped to dense
           indices by sorted raw id (fastai's Categorify, without its "#na#" row). Valid rows whose user
           or item is not in train.csv (822 rows, 751 items, no users on the canonical split):
             --unseen skip (default): ids from train.csv only; those rows are skipped and counted.
             --unseen shared: ids from both files, as `cofi train --train A --valid B` indexes them;
               valid-only items get table rows that training only decays, and every valid row is scored.
           (fastai would map them to "#na#" and predict from that row.) Counts are in the "data" line.
  dotbias  the recipe: EmbeddingDotBias, 50 factors, y_range (0, 5.5), AdamW wd 0.1, one-cycle peak lr
           5e-3, 5 epochs, batch 64.
  nn       fastai's EmbeddingNN with collab_learner's defaults: embedding sizes by fastai's rule
           min(600, round(1.6 * n^0.56)), hidden [100] (--hidden), BatchNorm, no dropout, y_range
           (0, 5.5); trained with the recipe's settings (fastbook ch. 8 trains its EmbeddingNN with
           fit_one_cycle(5, 5e-3, wd=0.1)): AdamW wd 0.1, one-cycle lr 5e-3, 5 epochs, batch 64.
           Weight decay reaches every parameter (cofi's contract) unless --no-wd-bn-bias, which
           exempts BatchNorm parameters and Linear biases as fastai's Learner does by default.
  training each epoch a fresh shuffle (torch.randperm, seeded), full batches only (fastai's training
           DataLoader drops the last partial batch; --keep-last to keep it), dense nn.Embedding
           gradients (every row updated at every step), float32, torch.set_num_threads(--threads).

BLAS: Debian's python3-torch is built against the generic libblas.so.3, which resolves to whatever the
system's alternatives select: by default the reference (netlib) BLAS, ~10x slower than OpenBLAS for nn's
large-batch Linear layers (dotbias has no matrix products). For nn timings, point the loader at
OpenBLAS's OpenMP build, which shares torch's OpenMP threads (the pthread build oversubscribes):
  apt-get download libopenblas0-openmp && dpkg -x libopenblas0-openmp_*.deb /tmp/ob
  LD_LIBRARY_PATH=/tmp/ob/usr/lib/x86_64-linux-gnu/openblas-openmp /usr/bin/python3 bench/torch_reference.py ...
The library in use is reported in the "config" line ("blas").

Output: JSON lines on stdout, one object each:
  {"event": "data", ...}     sizes, skipped valid rows, unseen users/items
  {"event": "config", ...}   every setting, torch version, threads, BLAS library, load average at start
  {"event": "epoch", "epoch", "train_loss" (mean of the epoch's batch losses, weighted by size),
   "valid_mse" (eval mode, over the scored valid rows), "valid_mse_seen" (over the rows whose user and
   item are in train.csv; equal to valid_mse with --unseen skip), "train_s", "valid_s", "ratings_per_s"}
  {"event": "done", "unseen", "valid_mse", "valid_mse_seen", "train_s_total", "load_avg"}
With --epochs-only-timing: one training epoch per batch size in --timing-batch-sizes (default
64,1024,8192), each on a fresh model with a one-epoch one-cycle schedule, no validation:
  {"event": "timing", "batch_size", "steps", "ratings", "epoch_s", "cpu_s" (process CPU time; far
   below threads * epoch_s means the threads were waiting for cores), "ratings_per_s", "load_avg"}
Timings need a quiet machine: with 2 OpenMP threads on 2 busy cores, every parallel region waits for
a descheduled thread and an epoch can run 10-100x slower.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tools", "reference"))
import torch_collab as tc  # noqa: E402

DEFAULT_DATA = "/work/shared/data/splits/ml-latest-small-80-20"


def emit(**obj) -> None:
    print(json.dumps(obj), flush=True)


def load_avg() -> list:
    return [round(x, 2) for x in os.getloadavg()]


def blas_library() -> str:
    """The BLAS shared library this process has loaded (Debian's torch calls libblas.so.3)."""
    torch.ones(2, 2) @ torch.ones(2, 2)
    with open("/proc/self/maps") as f:
        paths = {line.split()[-1] for line in f if "blas" in line.lower() and "/" in line}
    return ",".join(sorted(paths))


def load(data_dir: str, unseen: str):
    """(train, valid, info): index tensors and ratings. unseen = "skip": ids come from train.csv and
    valid rows with an id not in it are dropped; "shared": ids from both files (cofi train's protocol),
    so valid-only users and items have rows that training never touches except to decay them."""
    dtypes = {"userId": "int64", "movieId": "int64", "rating": "float32"}
    cols = list(dtypes)
    train = pd.read_csv(os.path.join(data_dir, "train.csv"), usecols=cols, dtype=dtypes)
    valid = pd.read_csv(os.path.join(data_dir, "valid.csv"), usecols=cols, dtype=dtypes)
    train_users = np.unique(train.userId.to_numpy())  # sorted raw ids -> dense index
    train_items = np.unique(train.movieId.to_numpy())
    if unseen == "shared":
        users = np.unique(np.concatenate([train_users, valid.userId.to_numpy()]))
        items = np.unique(np.concatenate([train_items, valid.movieId.to_numpy()]))
    else:
        users, items = train_users, train_items

    def dense(raw, keys):
        idx = np.searchsorted(keys, raw)
        ok = (idx < len(keys)) & (keys[np.minimum(idx, len(keys) - 1)] == raw)
        return idx, ok

    tu, _ = dense(train.userId.to_numpy(), users)
    ti, _ = dense(train.movieId.to_numpy(), items)
    vu, _ = dense(valid.userId.to_numpy(), users)
    vi, _ = dense(valid.movieId.to_numpy(), items)
    _, uok = dense(valid.userId.to_numpy(), train_users)
    _, iok = dense(valid.movieId.to_numpy(), train_items)
    seen = uok & iok  # valid rows whose user and item are both in train.csv
    keep = seen if unseen == "skip" else np.ones_like(seen)
    info = {
        "unseen": unseen, "n_users": len(users), "n_items": len(items), "n_train": len(train),
        "n_valid": len(valid), "valid_evaluated": int(keep.sum()), "valid_skipped": int((~keep).sum()),
        "valid_unseen_user_rows": int((~uok).sum()), "valid_unseen_item_rows": int((~iok).sum()),
        "unseen_users": int(len(np.unique(valid.userId.to_numpy()[~uok]))),
        "unseen_items": int(len(np.unique(valid.movieId.to_numpy()[~iok]))),
    }
    t = lambda a, dt=torch.int64: torch.from_numpy(np.ascontiguousarray(a)).to(dt)  # noqa: E731
    tr = (t(tu), t(ti), t(train.rating.to_numpy(), torch.float32))
    va = (t(vu[keep]), t(vi[keep]), t(valid.rating.to_numpy()[keep], torch.float32), t(seen[keep], torch.bool))
    return tr, va, info


def build(args, info, steps_total: int):
    if args.model == "dotbias":
        mc = tc.ModelConfig("dotbias", info["n_users"], info["n_items"], args.factors, args.factors, (0.0, 5.5))
    else:
        mc = tc.ModelConfig("nn", info["n_users"], info["n_items"], 0, 0, (0.0, 5.5), hidden=args.hidden,
                            dropout=[], embed_dropout=0.0, batch_norm=True)
    model = tc.create_model(mc, args.seed)
    schedule = tc.Schedule(tc.ScheduleConfig("one_cycle", lr=args.lr), steps_total)
    opt = tc.Optimizer(tc.OptimizerConfig("adam", wd=args.wd, decoupled_wd=True, wd_bn_bias=args.wd_bn_bias),
                       model, schedule)
    return model, opt


def batches_per_epoch(n: int, bs: int, keep_last: bool) -> int:
    return (n + bs - 1) // bs if keep_last else n // bs


def train_epoch(model, opt, train, bs: int, gen: torch.Generator, keep_last: bool):
    users, items, ratings = train
    n = len(users)
    perm = torch.randperm(n, generator=gen)
    total, count = 0.0, 0
    for s in range(batches_per_epoch(n, bs, keep_last)):
        idx = perm[s * bs:(s + 1) * bs]
        _, loss, _, _ = tc.train_step(model, opt, users[idx], items[idx], ratings[idx])
        total += loss.item() * len(idx)
        count += len(idx)
    return total / count, count


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", choices=["dotbias", "nn"], default="dotbias")
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--epochs", type=int, default=5)
    ap.add_argument("--batch-size", type=int, default=64)
    ap.add_argument("--lr", type=float, default=5e-3, help="one-cycle peak learning rate")
    ap.add_argument("--wd", type=float, default=0.1, help="decoupled weight decay (AdamW)")
    ap.add_argument("--seed", type=int, default=0, help="model init and shuffles")
    ap.add_argument("--factors", type=int, default=50, help="dotbias embedding size")
    ap.add_argument("--hidden", type=lambda s: [int(x) for x in s.split(",")], default=[100],
                    help="nn hidden widths, comma-separated")
    ap.add_argument("--no-wd-bn-bias", dest="wd_bn_bias", action="store_false",
                    help="nn: no weight decay on BatchNorm parameters and Linear biases (fastai's default)")
    ap.add_argument("--unseen", choices=["skip", "shared"], default="skip",
                    help="valid users/items not in train.csv: skip their rows, or give them (untrained) "
                         "rows by indexing both files together as cofi train does")
    ap.add_argument("--keep-last", action="store_true", help="keep each epoch's last partial batch")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs-only-timing", action="store_true",
                    help="time one training epoch at each of --timing-batch-sizes, nothing else")
    ap.add_argument("--timing-batch-sizes", type=lambda s: [int(x) for x in s.split(",")],
                    default=[64, 1024, 8192])
    args = ap.parse_args()

    torch.set_num_threads(args.threads)
    train, valid, info = load(args.data, args.unseen)
    emit(event="data", data=args.data, **info)
    emit(event="config", **{k: v for k, v in vars(args).items() if k != "data"},
         torch=torch.__version__, torch_threads=torch.get_num_threads(), blas=blas_library(),
         load_avg=load_avg())
    n = len(train[0])

    if args.epochs_only_timing:
        for bs in args.timing_batch_sizes:
            steps = batches_per_epoch(n, bs, args.keep_last)
            model, opt = build(args, info, steps)
            gen = torch.Generator().manual_seed(args.seed)
            start, cpu = time.perf_counter(), time.process_time()
            _, count = train_epoch(model, opt, train, bs, gen, args.keep_last)
            sec, cpu = time.perf_counter() - start, time.process_time() - cpu
            emit(event="timing", model=args.model, batch_size=bs, steps=steps, ratings=count,
                 epoch_s=round(sec, 4), cpu_s=round(cpu, 4), ratings_per_s=round(count / sec),
                 load_avg=load_avg())
        return

    steps = batches_per_epoch(n, args.batch_size, args.keep_last)
    model, opt = build(args, info, steps * args.epochs)
    gen = torch.Generator().manual_seed(args.seed)
    train_total, mse = 0.0, float("nan")
    for epoch in range(args.epochs):
        start = time.perf_counter()
        train_loss, count = train_epoch(model, opt, train, args.batch_size, gen, args.keep_last)
        train_s = time.perf_counter() - start
        start = time.perf_counter()
        sq = (tc.predict(model, valid[0], valid[1]) - valid[2]) ** 2
        mse, mse_seen = sq.mean().item(), sq[valid[3]].mean().item()
        valid_s = time.perf_counter() - start
        train_total += train_s
        emit(event="epoch", model=args.model, epoch=epoch + 1, train_loss=round(train_loss, 6),
             valid_mse=round(mse, 6), valid_mse_seen=round(mse_seen, 6), train_s=round(train_s, 3),
             valid_s=round(valid_s, 3), ratings_per_s=round(count / train_s))
    emit(event="done", model=args.model, seed=args.seed, unseen=args.unseen, valid_mse=round(mse, 6),
         valid_mse_seen=round(mse_seen, 6), train_s_total=round(train_total, 3), load_avg=load_avg())


if __name__ == "__main__":
    main()
