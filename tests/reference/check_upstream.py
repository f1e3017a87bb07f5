#!/usr/bin/python3
"""Check senet_ref.py, and sekit itself, against the upstream model code (run by hand).

The golden data (make_golden.py) comes from senet_ref.py, sekit's own PyTorch reference. This
script shows that reference is the upstream networks: for every upstream SE model sekit runs it
builds the upstream module at full size and the senet_ref.SENet of the same configuration,
draws the reference's weights with BatchNorm far from identity (make_golden.randomise), loads
them into the upstream module with strict=True (so every tensor name must be the upstream one), and compares logits, gates and squeeze vectors in float64. With --out it
also writes each upstream model in the golden-data format (weights under the upstream names,
expected values from the upstream forward pass), so that

    SEKIT_GOLDEN_DIR=DIR build/tests/t-golden

runs sekit itself against the upstream code. The upstream code is not part of sekit: pass the
directories that hold it (the `timm` package of pytorch-image-models, v0.9.x runs on Debian's
PyTorch 1.13; Cadene's pretrained-models.pytorch checkout):

    /usr/bin/python3 tests/reference/check_upstream.py --timm DIR --cadene DIR [--out DIR]
"""
from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import zlib

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

from make_golden import calibrate_se, randomise  # noqa: E402
from pth2safetensors import write_safetensors  # noqa: E402
from senet_ref import SENet, option_meta  # noqa: E402

B = "bottleneck"
D50, D101, D152 = (3, 4, 6, 3), (3, 4, 23, 3), (3, 8, 36, 3)
SENET154 = {"blocks": D152, "groups": 64, "base_width": 4, "stem_deep": (64, 64),
            "stem_width": 128, "reduce_first": 2, "down_kernel": 3}

# (source, upstream name, senet_ref config, weight-file metadata)
MODELS = [
    ("timm", "seresnet50", {"layout": "timm", "block": B, "blocks": D50}, {}),
    ("timm", "seresnext26d_32x4d", {"layout": "timm", "block": B, "blocks": (2, 2, 2, 2),
                                    "groups": 32, "base_width": 4, "stem_deep": (32, 32),
                                    "avg_down": True}, {}),
    ("timm", "seresnext26t_32x4d", {"layout": "timm", "block": B, "blocks": (2, 2, 2, 2),
                                    "groups": 32, "base_width": 4, "stem_deep": (24, 32),
                                    "avg_down": True}, {}),
    ("timm", "seresnet50t", {"layout": "timm", "block": B, "blocks": D50,
                             "stem_deep": (24, 32), "avg_down": True}, {}),
    ("timm", "seresnet152d", {"layout": "timm", "block": B, "blocks": D152,
                              "stem_deep": (32, 32), "avg_down": True}, {}),
    # weight names cannot tell anti-aliasing: the file says which model it is
    ("timm", "seresnetaa50d", {"layout": "timm", "block": B, "blocks": D50,
                               "stem_deep": (32, 32), "avg_down": True, "aa": True},
     {"sekit.arch": "seresnetaa50d"}),
    ("timm", "senet154", {"layout": "timm", "block": B, **SENET154}, {}),
    ("timm", "legacy_seresnet50", {"layout": "legacy", "block": B, "blocks": D50}, {}),
    ("timm", "legacy_senet154", {"layout": "legacy", "block": B, **SENET154}, {}),
    ("cadene", "se_resnext50_32x4d", {"layout": "legacy", "block": B, "blocks": D50,
                                      "groups": 32, "base_width": 4}, {}),
    ("cadene", "senet154", {"layout": "legacy", "block": B, **SENET154}, {}),
]

HW = 224
N = 2


def upstream(source: str, name: str, cadene: str) -> torch.nn.Module:
    if source == "timm":
        import timm
        return timm.create_model(name, pretrained=False)
    # senet.py alone: the package's __init__ imports its datasets and their dependencies
    spec = importlib.util.spec_from_file_location(
        "cadene_senet", os.path.join(cadene, "pretrainedmodels", "models", "senet.py"))
    senet = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(senet)
    return getattr(senet, name)(num_classes=1000, pretrained=None)


def se_probes(model: torch.nn.Module) -> dict:
    """Forward hooks on every SE block of an upstream model: name -> {"gate", "squeeze"}."""
    found = {}
    for mname, mod in model.named_modules():
        parts = mname.split(".")
        if len(parts) != 3 or not parts[0].startswith("layer") or parts[2] not in ("se",
                                                                                    "se_module"):
            continue
        key = f"SE_{int(parts[0][5:]) + 1}_{int(parts[1]) + 1}"
        rec = found[key] = {}
        sig = getattr(mod, "gate", None) or getattr(mod, "sigmoid")
        sig.register_forward_hook(lambda m, i, o, r=rec: r.__setitem__("gate", o.flatten(1)))
        mod.fc1.register_forward_hook(
            lambda m, i, o, r=rec: r.__setitem__("squeeze", i[0].flatten(1)))
    return found


@torch.no_grad()
def calibrate_residuals(ref: SENet, x: torch.Tensor) -> None:
    """Scales each block's last BatchNorm so its branch has 0.3 times the spread of its
    shortcut. With BatchNorm far from identity and nothing else, 50 blocks (SENet-154,
    SE-ResNet-152) blow activations up to the thousands, where float32 rounding, in PyTorch as
    in sekit, no longer agrees with float64 to 1e-4; trained networks keep their residual
    branches small in the same way."""
    for name in ref.stage_names:
        for block in getattr(ref, name):
            seen = {}
            last_bn = block.bn3 if block.bottleneck else block.bn2
            h1 = last_bn.register_forward_hook(lambda m, i, o: seen.__setitem__("branch", o))
            h2 = block.register_forward_hook(lambda m, i, o: seen.__setitem__("x", i[0]))
            ref(x)
            h1.remove()
            h2.remove()
            short = seen["x"] if block.downsample is None else block.downsample(seen["x"])
            k = 0.3 * short.std().item() / seen["branch"].std().item()
            last_bn.weight.mul_(k)
            last_bn.bias.mul_(k)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--timm", required=True, help="directory holding the timm package")
    ap.add_argument("--cadene", required=True, help="pretrained-models.pytorch checkout")
    ap.add_argument("--out", help="write golden-format files here for t-golden")
    args = ap.parse_args()
    sys.path.insert(0, args.timm)
    torch.set_num_threads(2)
    worst = 0.0
    for source, name, cfg, wmeta in MODELS:
        torch.manual_seed(zlib.crc32(name.encode()))
        up = upstream(source, name, args.cadene)
        ref = SENet(cfg)
        randomise(ref)
        x = torch.randn(N, 3, HW, HW)
        ref.eval()
        calibrate_residuals(ref, x)
        calibrate_se(ref, x)
        sd = ref.state_dict()
        up.load_state_dict(sd, strict=True)
        up.eval().double()
        ref.eval().double()
        probes = se_probes(up)
        with torch.no_grad():
            lu = up(x.double())
            lr = ref(x.double())
        rel = ((lu - lr).abs().max() / lu.abs().max()).item()
        blocks = ref.se_blocks()
        assert len(blocks) == len(probes), (name, len(blocks), len(probes))
        for key, se in blocks:
            for what in ("gate", "squeeze"):
                u, r = probes[key][what], getattr(se, what)
                rel = max(rel, ((u - r).abs().max() / u.abs().max()).item())
        worst = max(worst, rel)
        print(f"{source:6} {name:22} {len(sd):5} tensors, {len(blocks):2} SE blocks: "
              f"senet_ref vs upstream max rel diff {rel:.2e}")
        if args.out:
            os.makedirs(args.out, exist_ok=True)
            case = f"{source}_{name}"
            expected = {"input": x, "logits": lu.float()}
            for key, rec in probes.items():
                expected[f"gate.{key}"] = rec["gate"].float()
                expected[f"squeeze.{key}"] = rec["squeeze"].float()
            c = ref.cfg
            meta = {"case": case, "layout": c["layout"], "stem": c["stem"], "block": c["block"],
                    "stride_on": c["stride_on"],
                    "blocks": ",".join(str(b) for b in c["blocks"]),
                    "groups": str(c["groups"]), "se_bias": "1",
                    "num_params": str(sum(p.numel() for p in up.parameters())),
                    "se_params": str(sum(p.numel() for _, se in blocks
                                         for p in se.parameters()))}
            meta.update(option_meta(c))
            weights = {k: v.float() if v.is_floating_point() else v for k, v in sd.items()}
            write_safetensors(os.path.join(args.out, f"{case}.safetensors"), weights,
                              {"case": case, "layout": c["layout"], **wmeta})
            write_safetensors(os.path.join(args.out, f"{case}.expected.safetensors"), expected,
                              meta)
    print(f"worst: {worst:.2e}")
    return 0 if worst < 1e-10 else 1


if __name__ == "__main__":
    sys.exit(main())
