#!/usr/bin/python3
"""End to end against timm's own evaluation (run by hand): photographs in, logits and gates out.

A user who evaluates a timm SE-ResNet on an image folder with sekit must get what timm gets. This
script puts the reference photographs of tests/reference/images (JPEG and PNG of mixed sizes,
gray, CMYK, palette, alpha) into three ImageNet synset folders, writes a full-size timm model's
weights with a config.json as timm's hub pages have it, and runs both sides:

  sekit   build/sekit record --model DIR/model.safetensors --data DIR/val --out DIR/run.h5
  timm    Image.open(f).convert('RGB') -> timm.data.create_transform(**resolve_data_config(
          model.pretrained_cfg)) -> model, with forward hooks on every SE gate

and compares, image by image, the logits and every SE block's gates (max |sekit - timm| over
max |timm|). The upstream code is not part of sekit: pass the directory holding the timm
package (v0.9.x runs on Debian's PyTorch 1.13).

    /usr/bin/python3 tests/reference/check_timm_eval.py --timm DIR [--model seresnet50]
        [--sekit build/sekit] [--work DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import zlib

import h5py
import torch
from PIL import Image

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(ROOT, "tools"))

from check_upstream import se_probes  # noqa: E402
from pth2safetensors import write_safetensors  # noqa: E402

SYNSETS = ("n01443537", "n02110958", "n02690373")  # goldfish, pug, airliner


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timm", required=True, help="directory holding the timm package")
    ap.add_argument("--model", default="seresnet50")
    ap.add_argument("--sekit", default=os.path.join(ROOT, "build", "sekit"))
    ap.add_argument("--work", help="working directory (default: a temporary one)")
    args = ap.parse_args()
    sys.path.insert(0, args.timm)
    import timm
    from timm.data import create_transform, resolve_data_config

    work = args.work or tempfile.mkdtemp(prefix="sekit-timm-eval-")
    images = sorted(f for f in os.listdir(os.path.join(HERE, "images"))
                    if f.endswith((".jpg", ".png")))
    for i, f in enumerate(images):
        d = os.path.join(work, "val", SYNSETS[i % 3])
        os.makedirs(d, exist_ok=True)
        shutil.copy(os.path.join(HERE, "images", f), d)

    # weights: timm's own initialisation, with BatchNorm statistics and affine terms away from
    # identity so that a mishandled BN or preprocessing offset cannot pass
    torch.manual_seed(zlib.crc32(args.model.encode()))
    model = timm.create_model(args.model, pretrained=False).eval()
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
    cfg = resolve_data_config({}, model=model)
    transform = create_transform(**cfg)
    probes = se_probes(model)
    batch = torch.stack([transform(Image.open(os.path.join(HERE, "images", f)).convert("RGB"))
                         for f in images])
    os.makedirs(os.path.join(work, "model"), exist_ok=True)
    write_safetensors(os.path.join(work, "model", "model.safetensors"),
                      {k: v for k, v in model.state_dict().items()}, {})
    pcfg = {k: v for k, v in model.pretrained_cfg.items() if isinstance(v, (int, float, str, list,
                                                                            tuple))}
    with open(os.path.join(work, "model", "config.json"), "w") as f:
        json.dump({"architecture": args.model, "num_classes": 1000, "pretrained_cfg": pcfg}, f)
    with torch.no_grad():
        logits = model(batch)

    run = os.path.join(work, "run.h5")
    if os.path.exists(run):
        os.remove(run)
    subprocess.run([args.sekit, "record", "--model", os.path.join(work, "model", "model.safetensors"),
                    "--data", os.path.join(work, "val"), "--out", run], check=True)
    with h5py.File(run, "r") as h:
        paths = [p.decode() if isinstance(p, bytes) else p for p in h["paths"][:]]
        order = [images.index(os.path.basename(p)) for p in paths]
        got_logits = torch.from_numpy(h["logits"][:])
        want = logits[order]
        worst = ((got_logits - want).abs().max() / want.abs().max()).item()
        print(f"{len(images)} photographs, {args.model}, timm transform {cfg}")
        print(f"logits: max |sekit - timm| / max |timm| = {worst:.2e}")
        gates = 0
        for key, rec in probes.items():
            g = torch.from_numpy(h["excitation"][key][:])
            w = rec["gate"][order]
            rel = ((g - w).abs().max() / w.abs().max()).item()
            worst = max(worst, rel)
            gates += 1
        print(f"{gates} SE blocks' gates and the logits: worst {worst:.2e}")
        same = (torch.from_numpy(h["predictions"][:]) == want.argmax(1)).all().item()
        print(f"predictions identical: {same}")
    return 0 if worst < 1e-4 and same else 1


if __name__ == "__main__":
    sys.exit(main())
