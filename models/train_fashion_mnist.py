#!/usr/bin/python3
"""Training recipe of sekit's bundled models: SE networks on Fashion-MNIST.

This is data, not a build step: it was run once by hand per network and its outputs are
committed. Re-running it with the same seed and PyTorch version reproduces the recipe (not
necessarily bit for bit across machines).

Networks (--net), both in timm's layout (conv1/bn1, layerX.Y.se.fc1/fc2, fc) with the small stem
(3x3/1 conv, no pool) for 28x28 inputs, an SE block with biases in every residual block (timm's
width: C/16 rounded to a multiple of 8, at least 8), global average pool, 10-way classifier:

- seresnet50 (the default model, models/fashion_mnist_seresnet50.safetensors): SE-ResNet-50's
  topology, block for block: bottleneck blocks 3-4-6-3, expansion 4, r = 16, stages at 28x28,
  14x14, 7x7 and 4x4, with a quarter of SE-ResNet-50's widths at stage 2 scaled to 12-24-48-96
  planes (48, 96, 192, 384 channels out), a 24-channel stem; 37.6 M multiply-accumulates per
  image. Its SE blocks carry the paper's names, SE_2_1 .. SE_5_3.
- basic6 (models/fashion_mnist_seresnet_basic6.safetensors, for tests and fast runs): three
  stages of two basic blocks (24, 48, 96 channels at 28x28, 14x14, 7x7); 45.3 M
  multiply-accumulates; SE_2_1 .. SE_4_2.

and a network of another family:

- mobilenetv3 (models/fashion_mnist_mobilenetv3.safetensors): torchvision's MobileNetV3 class
  (its tensor names, BatchNorm eps 1e-3, hard swish, the SE after the depthwise conv with ReLU
  inside and a hard-sigmoid gate, squeeze width _make_divisible(E / 4, 8)) built from
  MNV3_BNECKS: a 3x3/2 stem of 16 channels taking the 1-channel images to 14x14, nine bnecks,
  every one with SE (three at 14x14, three at 7x7, three at 4x4; kernels 3 and 5, ReLU in the
  first three, hard swish after), a 480-channel last conv and the classifier (512 hidden). Its
  SE blocks are SE_1_1 .. SE_3_3 (stages by resolution, the stem's stride 2 counted). Its
  __metadata__ says each block's stride and activation (sekit.block_strides, sekit.block_acts)
  and the eps, which torchvision's names do not show.

Recipe: 1-channel input scaled to [0, 1] and normalised with the training set's mean and std;
augmentation by random 28x28 crops of the image zero-padded by 2 pixels and horizontal flips;
SGD with Nesterov momentum 0.9, weight decay 5e-4 (not on BN and biases), batch 128, one-cycle
learning rate peaking at 0.1, label smoothing 0.05; seeded. The SE blocks' FCs have no weight
decay and 10 times the learning rate (--se-lr): under the common rate and decay their weights
stayed their random initialisation shrunk by decay, and freezing every block at its mean gate
cost nothing (models/README.md has the measurements before and after).

After training, the SE check (se_check) measures what the analysis studies and writes it into
the file's __metadata__ as "se_check" (JSON): per SE block the correlation of its FC weights
with their initialisation (rebuilt from the seed) and their norm ratio, the gates' spread over
the test images, the pre-gate range (1st and 99th percentiles, min and max; keys pre_sigmoid_*
whatever the gate), the gate kind and the share of gates exactly 0 or 1 (a hard sigmoid's flat
parts), and the top-1 change of freezing the block at its mean gate, with a 95% paired
bootstrap interval and the exact McNemar p-value; the same for all blocks frozen together.
--measure FILE computes it for a file already trained.

The test accuracy measured at the end (eval mode, the 10,000 test images, no augmentation) goes
into the file's __metadata__, with the class names, mean/std and input size that sekit reads;
the recipe then reads the file back into a fresh network and prints the accuracy of the weights
as stored (exit status 1 if it differs).

    /usr/bin/python3 models/train_fashion_mnist.py [--net seresnet50|basic6|mobilenetv3]
        [--epochs 10] [--threads 2] [--data DIR] [--out FILE]
"""
import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "reference"))
sys.path.insert(0, os.path.join(ROOT, "tools"))
from senet_ref import SENet, SqueezeExcite  # noqa: E402
from pth2safetensors import write_safetensors  # noqa: E402

CLASSES = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt", "Sneaker",
           "Bag", "Ankle boot"]
# mobilenetv3: torchvision's MobileNetV3 class (its names, eps 1e-3, hard swish, SE after the
# depthwise conv with ReLU inside and a hard-sigmoid gate, squeeze width _make_divisible(E/4, 8)),
# an SE block in every bneck, the stem taking 1 channel. Rows: kernel, expanded width, output
# width, activation (RE relu, HS hardswish), stride; the stem (3x3/2, 16 channels) takes 28x28
# to 14x14, the bnecks run at 14x14, 7x7 and 4x4.
MNV3_BNECKS = ((3, 16, 16, "RE", 1), (3, 72, 24, "RE", 1), (3, 88, 24, "RE", 1),
               (5, 96, 40, "HS", 2), (5, 240, 40, "HS", 1), (5, 240, 40, "HS", 1),
               (5, 240, 80, "HS", 2), (3, 320, 80, "HS", 1), (3, 320, 80, "HS", 1))
NETS = {
    "mobilenetv3": ({"family": "mobilenetv3", "bnecks": MNV3_BNECKS, "last_channel": 512,
                     "in_chans": 1, "num_classes": 10}, "fashion_mnist_mobilenetv3.safetensors"),
    "seresnet50": ({"layout": "timm", "stem": "small", "block": "bottleneck",
                    "blocks": (3, 4, 6, 3), "planes": (12, 24, 48, 96), "stem_width": 24,
                    "in_chans": 1, "num_classes": 10}, "fashion_mnist_seresnet50.safetensors"),
    "basic6": ({"layout": "timm", "stem": "small", "block": "basic", "blocks": (2, 2, 2),
                "planes": (24, 48, 96), "stem_width": 24, "in_chans": 1, "num_classes": 10},
               "fashion_mnist_seresnet_basic6.safetensors"),
}


def read_safetensors(path: str) -> dict:
    """The float32 tensors of a safetensors file, read back as sekit reads them."""
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        header = json.loads(f.read(n))
        data = f.read()
    out = {}
    for name, t in header.items():
        if name == "__metadata__":
            continue
        b, e = t["data_offsets"]
        dt = {"F32": np.float32, "I64": np.int64}[t["dtype"]]
        out[name] = torch.from_numpy(np.frombuffer(data[b:e], dtype=dt).reshape(t["shape"]).copy())
    return out


def read_idx(path: str) -> np.ndarray:
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    ndim = magic & 0xFF
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(ndim)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def load(data_dir: str, split: str) -> tuple[torch.Tensor, torch.Tensor]:
    prefix = "train" if split == "train" else "t10k"
    x = read_idx(os.path.join(data_dir, f"{prefix}-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, f"{prefix}-labels-idx1-ubyte.gz"))
    return (torch.from_numpy(x.astype(np.float32) / 255.0).unsqueeze(1),
            torch.from_numpy(y.astype(np.int64)))


def augment(x: torch.Tensor, gen: torch.Generator) -> torch.Tensor:
    """Random 28x28 crops of the 2-pixel zero-padded images, and horizontal flips."""
    n = x.shape[0]
    padded = F.pad(x, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (n,), generator=gen)
    dx = torch.randint(0, 5, (n,), generator=gen)
    rows = (dy[:, None] + torch.arange(28)[None, :])[:, None, :, None].expand(n, 1, 28, 32)
    out = padded.gather(2, rows)
    cols = (dx[:, None] + torch.arange(28)[None, :])[:, None, None, :].expand(n, 1, 28, 28)
    out = out.gather(3, cols)
    flip = torch.rand(n, generator=gen) < 0.5
    out[flip] = out[flip].flip(3)
    return out


def evaluate(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], 500):
            correct += (model(x[i:i + 500]).argmax(1) == y[i:i + 500]).sum().item()
    return 100.0 * correct / x.shape[0]


def build(config: dict) -> torch.nn.Module:
    """The untrained network of config (its initialisation depends on torch's seed)."""
    if config.get("family") != "mobilenetv3":
        return SENet(config)
    from functools import partial

    from torchvision.models.mobilenetv3 import InvertedResidualConfig, MobileNetV3
    from torchvision.ops.misc import Conv2dNormActivation

    rows, cin = [], 16
    for k, exp, out, act, stride in config["bnecks"]:
        rows.append(InvertedResidualConfig(cin, k, exp, out, True, act, stride, 1, 1.0))
        cin = out
    model = MobileNetV3(rows, config["last_channel"], num_classes=config["num_classes"])
    # the stem as torchvision builds it, taking the images' one channel
    model.features[0] = Conv2dNormActivation(
        config["in_chans"], 16, kernel_size=3, stride=2,
        norm_layer=partial(torch.nn.BatchNorm2d, eps=0.001, momentum=0.01),
        activation_layer=torch.nn.Hardswish)
    return model


def se_probes(model: torch.nn.Module) -> list:
    """(module name, module, probe) for every SE block; probe() gives the last forward's gates and
    pre-gate values, [N, C] each."""
    out = []
    for name, m in model.named_modules():
        if isinstance(m, SqueezeExcite):
            out.append((name, m, lambda m=m: (m.gate, m.excitation_logits(m.squeeze))))
        elif type(m).__name__ == "SqueezeExcitation":
            seen = {}

            def hook(_mod, inp, res, seen=seen):
                seen["pre"], seen["gate"] = inp[0].flatten(1), res.flatten(1)

            m.scale_activation.register_forward_hook(hook)
            out.append((name, m, lambda seen=seen: (seen["gate"], seen["pre"])))
    return out


def se_names(config: dict, modules: list) -> list:
    """The paper's names of the SE blocks, as sekit gives them. SE-ResNets: layer3.1.se -> SE_4_2,
    stage 2 the first residual stage. MobileNetV3: stages by resolution, stage s at total stride
    2^s (the stem strides 2), blocks counted within their stage."""
    if config.get("family") != "mobilenetv3":
        return [f"SE_{int(m.split('.')[0][5:]) + 1}_{int(m.split('.')[1]) + 1}" for m in modules]
    names, stage, k = [], 1, 0
    for _, _, _, _, stride in config["bnecks"]:
        stage, k = (stage + 1, 1) if stride == 2 else (stage, k + 1)
        names.append(f"SE_{stage}_{k}")
    return names


def sekit_metadata(config: dict) -> dict:
    """What sekit cannot read from the weights' names and shapes: each block's stride and
    activation (MobileNetV3's are not in its weights)."""
    if config.get("family") != "mobilenetv3":
        return {}
    acts = {"RE": "relu", "HS": "hardswish"}
    return {"sekit.block_strides": ",".join(str(r[4]) for r in config["bnecks"]),
            "sekit.block_acts": ",".join(acts[r[3]] for r in config["bnecks"]),
            "sekit.bn_eps": "0.001"}


def paired_interval(full: np.ndarray, var: np.ndarray, seed: int, b: int = 2000) -> tuple:
    """The top-1 change of var against full (points) and its 95% paired bootstrap interval."""
    rng = np.random.RandomState(seed)
    d = var.astype(np.float64) - full.astype(np.float64)
    n = d.shape[0]
    means = np.array([d[rng.randint(0, n, n)].mean() for _ in range(b)])
    return 100 * d.mean(), 100 * np.percentile(means, 2.5), 100 * np.percentile(means, 97.5)


def mcnemar(lost: int, gained: int) -> float:
    """Exact two-sided McNemar p-value: min(1, 2 P(X <= min) for X ~ Binomial(lost + gained, 1/2))."""
    n, k = lost + gained, min(lost, gained)
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2 ** n  # integers: exact for any n
    return min(1.0, 2 * tail)


def se_check(model: torch.nn.Module, config: dict, seed: int, x: torch.Tensor, y: torch.Tensor) -> dict:
    """Whether the SE blocks learned and matter: per block the correlation of its FC weights with
    their initialisation (the network the seed builds before training), the gates' spread over
    the test images, the pre-sigmoid range, and the top-1 change of freezing the block (and all
    blocks) at its mean gate over the test images, with a 95% paired bootstrap interval and the
    exact McNemar p-value."""
    torch.manual_seed(seed)
    init = dict(build(config).named_parameters())
    model.eval()
    probes = se_probes(model)
    ses = [(n, m) for n, m, _ in probes]
    names = se_names(config, [n for n, _ in ses])
    gates = [[] for _ in ses]
    logits = [[] for _ in ses]
    preds = []
    with torch.no_grad():
        for i in range(0, x.shape[0], 500):
            preds.append(model(x[i:i + 500]).argmax(1))
            for k, (_, _, probe) in enumerate(probes):
                g, pre = probe()
                gates[k].append(g)
                logits[k].append(pre)
    full = (torch.cat(preds) == y).numpy()
    gates = [torch.cat(g) for g in gates]
    logits = [torch.cat(v) for v in logits]
    means = [g.mean(0) for g in gates]

    def frozen(which: set) -> np.ndarray:
        for k, (_, m) in enumerate(ses):
            if k in which:
                m.forward = (lambda xx, g=means[k]: xx * g[None, :, None, None])
        try:
            out = []
            with torch.no_grad():
                for i in range(0, x.shape[0], 500):
                    out.append(model(x[i:i + 500]).argmax(1))
            return (torch.cat(out) == y).numpy()
        finally:
            for _, m in ses:
                m.__dict__.pop("forward", None)

    def cost(var: np.ndarray) -> dict:
        d, lo, hi = paired_interval(full, var, seed)
        lost, gained = int((full & ~var).sum()), int((~full & var).sum())
        return {"top1_change": round(d, 3), "lo": round(lo, 3), "hi": round(hi, 3),
                "lost": lost, "gained": gained, "mcnemar_p": float(f"{mcnemar(lost, gained):.3g}")}

    params = dict(model.named_parameters())
    blocks = []
    for k, (name, m) in enumerate(ses):
        row = {"block": names[k], "module": name}
        for fc in ("fc1", "fc2"):
            w, w0 = params[f"{name}.{fc}.weight"].detach().flatten(), init[f"{name}.{fc}.weight"].detach().flatten()
            row[f"{fc}_r_init"] = round(torch.corrcoef(torch.stack([w, w0]))[0, 1].item(), 3)
            row[f"{fc}_norm_ratio"] = round((w.norm() / w0.norm()).item(), 3)
        row["gate"] = "sigmoid" if isinstance(m, SqueezeExcite) else "hardsigmoid"
        # a hard sigmoid saturates at exactly 0 and 1 (where its gradient is zero)
        row["gate_saturated"] = round(((gates[k] == 0) | (gates[k] == 1)).float().mean().item(), 4)
        row["gate_spread"] = round(gates[k].std(0, unbiased=False).mean().item(), 4)
        q = torch.quantile(logits[k].flatten()[::max(1, logits[k].numel() // 1000000)],
                           torch.tensor([0.01, 0.99]))
        row["pre_sigmoid_min"] = round(logits[k].min().item(), 2)
        row["pre_sigmoid_p01"] = round(q[0].item(), 2)
        row["pre_sigmoid_p99"] = round(q[1].item(), 2)
        row["pre_sigmoid_max"] = round(logits[k].max().item(), 2)
        row["frozen_at_mean"] = cost(frozen({k}))
        blocks.append(row)
    return {"test_top1": round(100 * full.mean(), 2), "blocks": blocks,
            "all_frozen_at_mean": cost(frozen(set(range(len(ses)))))}


def print_se_check(c: dict) -> None:
    print(f"SE check: test top-1 {c['test_top1']:.2f}%")
    print("block   fc1 r_init  fc2 r_init  fc2 norm/init  gate spread  pre-sigmoid p01..p99 "
          "(min..max)  top-1 frozen at mean [95%]  McNemar p")
    for b in c["blocks"]:
        f = b["frozen_at_mean"]
        print(f"{b['block']:7s} {b['fc1_r_init']:10.3f}  {b['fc2_r_init']:10.3f}  "
              f"{b['fc2_norm_ratio']:13.3f}  {b['gate_spread']:11.4f}  "
              f"{b['pre_sigmoid_p01']:+.2f}..{b['pre_sigmoid_p99']:+.2f} "
              f"({b['pre_sigmoid_min']:+.2f}..{b['pre_sigmoid_max']:+.2f})  "
              f"{f['top1_change']:+.2f} [{f['lo']:+.2f}, {f['hi']:+.2f}]  {f['mcnemar_p']:.2g}")
    f = c["all_frozen_at_mean"]
    print(f"all     frozen at their means: {f['top1_change']:+.2f} [{f['lo']:+.2f}, {f['hi']:+.2f}]"
          f"  McNemar p {f['mcnemar_p']:.2g}", flush=True)


def read_metadata(path: str) -> dict:
    with open(path, "rb") as f:
        n = int.from_bytes(f.read(8), "little")
        return json.loads(f.read(n)).get("__metadata__", {})


def measure(path: str, config: dict, data: str) -> int:
    """The SE check of a trained file, into its metadata (the weights are rewritten unchanged)."""
    meta = read_metadata(path)
    torch.set_num_threads(2)
    xtr, _ = load(data, "train")
    xte, yte = load(data, "test")
    mean, std = xtr.mean().item(), xtr.std().item()
    xte = (xte - mean) / std
    model = build(config)
    model.load_state_dict(read_safetensors(path), strict=True)
    check = se_check(model, config, int(meta["seed"]), xte, yte)
    print_se_check(check)
    meta["se_check"] = json.dumps(check)
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    write_safetensors(path, state, meta)
    print(f"{path}: se_check written")
    return 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--net", choices=sorted(NETS), default="seresnet50")
    ap.add_argument("--out", help="default: models/ + the network's file name")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--se-lr", type=float, default=10.0,
                    help="the SE FCs' learning rate over the others' (default 10)")
    ap.add_argument("--seed", type=int, default=20261128)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--measure", metavar="FILE",
                    help="no training: the SE check of FILE (trained by this recipe for --net), "
                         "printed and written into its metadata")
    a = ap.parse_args()
    config, fname = NETS[a.net]
    out = a.out or os.path.join(ROOT, "models", fname)
    if a.measure:
        return measure(a.measure, config, a.data)

    torch.manual_seed(a.seed)
    torch.set_num_threads(a.threads)
    gen = torch.Generator().manual_seed(a.seed)
    xtr, ytr = load(a.data, "train")
    xte, yte = load(a.data, "test")
    mean, std = xtr.mean().item(), xtr.std().item()
    xtr, xte = (xtr - mean) / std, (xte - mean) / std
    # the zero padding of augment() must be zero in pixel space: pad value of normalised black
    pad_value = (0.0 - mean) / std

    model = build(config)
    # The SE blocks' FCs get no weight decay and a learning rate a.se_lr times the rest's: their
    # gradients are 0.5-3x the decay term, so with decay they shrink to their initialisation's
    # scale and never learn, and at the common rate they hardly move from it (models/README.md)
    se = {id(p) for _, m, _ in se_probes(model) for p in m.parameters()}
    rest = [(n, p) for n, p in model.named_parameters() if id(p) not in se]
    groups = [{"params": [p for n, p in rest if p.ndim > 1], "weight_decay": 5e-4, "lr": a.lr},
              {"params": [p for n, p in rest if p.ndim <= 1], "weight_decay": 0.0, "lr": a.lr},
              {"params": [p for p in model.parameters() if id(p) in se], "weight_decay": 0.0,
               "lr": a.lr * a.se_lr}]
    opt = torch.optim.SGD(groups, lr=a.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = math.ceil(xtr.shape[0] / a.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=[g["lr"] for g in groups],
                                                epochs=a.epochs, steps_per_epoch=steps_per_epoch,
                                                pct_start=0.25)
    t0 = time.time()
    for epoch in range(a.epochs):
        model.train()
        perm = torch.randperm(xtr.shape[0], generator=gen)
        total = 0.0
        for i in range(0, xtr.shape[0], a.batch):
            idx = perm[i:i + a.batch]
            xb = augment(xtr[idx] - pad_value, gen) + pad_value
            loss = F.cross_entropy(model(xb), ytr[idx], label_smoothing=0.05)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            sched.step()
            total += loss.item() * idx.shape[0]
        acc = evaluate(model, xte, yte)
        print(f"epoch {epoch + 1:2d}/{a.epochs}  loss {total / xtr.shape[0]:.4f}  "
              f"test top-1 {acc:.2f}%  {time.time() - t0:.0f}s", flush=True)

    train_seconds = time.time() - t0
    acc = evaluate(model, xte, yte)
    check = se_check(model, config, a.seed, xte, yte)
    print_se_check(check)
    meta = {
        "format": "pt",
        "dataset": "Fashion-MNIST",
        "class_names": json.dumps(CLASSES),
        "mean": f"{mean:.6f}",
        "std": f"{std:.6f}",
        "input_size": "28",
        "test_accuracy": f"{acc:.2f}",
        "recipe": "models/train_fashion_mnist.py",
        "seed": str(a.seed),
        "epochs": str(a.epochs),
        "se_lr": f"{a.se_lr:g}",
        "se_weight_decay": "0",
        "torch_version": torch.__version__,
        "train_seconds": f"{train_seconds:.0f}",
        "se_check": json.dumps(check),
        **sekit_metadata(config),
    }
    state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    size = write_safetensors(out, state, meta)
    # the accuracy of the weights as stored: read back into a fresh network
    stored = build(config)
    stored.load_state_dict(read_safetensors(out), strict=True)
    acc_stored = evaluate(stored, xte, yte)
    print(f"test top-1 {acc:.2f}% -> {out} ({size} bytes, {time.time() - t0:.0f}s); "
          f"the weights as stored: {acc_stored:.2f}%")
    return 0 if f"{acc_stored:.2f}" == f"{acc:.2f}" else 1


if __name__ == "__main__":
    sys.exit(main())
