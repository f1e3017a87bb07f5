#!/usr/bin/python3
"""Write sekit's golden test data into tests/reference/data/.

Run by hand (/usr/bin/python3 tests/reference/make_golden.py) when the cases change, and commit
the result; tests never run PyTorch. For every case it writes

  <case>.safetensors           the model's full state_dict (F32, plus the I64 0-d BatchNorm
                               num_batches_tracked buffers) under that layout's names
  <case>.expected.safetensors  F32 input, logits and every SE block's squeeze and gate vector

Golden values are made as exact as the format allows: weights and inputs are drawn in float32
(so the F32 files hold them exactly) and the forward pass runs in float64 from those values,
so the only rounding left in the expected tensors is the final cast to float32.
The output is deterministic: a second run rewrites byte-identical files.
"""
from __future__ import annotations

import os
import sys
import zlib

import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

from pth2safetensors import write_safetensors  # noqa: E402
from senet_ref import SENet, layout_traits, option_meta  # noqa: E402

DATA = os.path.join(HERE, "data")
N_IMAGES = 3
MAX_TOTAL_BYTES = 6_500_000
GATE_LOGIT_STD = 1.5

CASES = [
    {"name": "timm_basic_small",
     "description": "timm SE-ResNet, 3x3 stride-1 stem, basic blocks, 1 input channel",
     "hw": 28,
     "cfg": {"layout": "timm", "stem": "small", "block": "basic", "blocks": (2, 2, 2),
             "planes": (16, 32, 64), "stem_width": 16, "in_chans": 1, "num_classes": 10}},
    {"name": "timm_bottleneck_imagenet",
     "description": "timm SE-ResNet, 7x7 stem + padded max-pool, bottlenecks, 4 stages",
     "hw": 64,
     "cfg": {"layout": "timm", "stem": "imagenet", "block": "bottleneck",
             "blocks": (2, 1, 1, 1), "planes": (8, 16, 32, 32), "stem_width": 16,
             "num_classes": 7}},
    {"name": "timm_seresnext_imagenet",
     "description": "timm SE-ResNeXt, groups 4, base width 8, 7x7 stem + padded max-pool",
     "hw": 48,
     "cfg": {"layout": "timm", "stem": "imagenet", "block": "bottleneck", "blocks": (1, 2, 1),
             "planes": (16, 32, 32), "stem_width": 16, "groups": 4, "base_width": 8,
             "num_classes": 5}},
    {"name": "legacy_bottleneck_caffe",
     "description": "Cadene SE-ResNet, 7x7 stem + ceil-mode max-pool, stride on the first 1x1",
     "hw": 67,
     "cfg": {"layout": "legacy", "stem": "caffe", "block": "bottleneck", "stride_on": "1x1",
             "blocks": (1, 2, 1), "planes": (8, 16, 32), "stem_width": 16, "reduction": 8,
             "num_classes": 6}},
    {"name": "legacy_seresnext_caffe",
     "description": "Cadene SE-ResNeXt, groups 4, base width 8, ceil-mode pool, stride on the 3x3",
     "hw": 51,
     "cfg": {"layout": "legacy", "stem": "caffe", "block": "bottleneck", "stride_on": "3x3",
             "blocks": (1, 1, 1), "planes": (16, 32, 32), "stem_width": 16, "groups": 4,
             "base_width": 8, "num_classes": 4}},
    {"name": "legacy_basic_small",
     "description": "timm legacy SE-ResNet basic blocks (ReLU before SE), 3x3 stride-1 stem",
     "hw": 32,
     "cfg": {"layout": "legacy", "stem": "small", "block": "basic", "blocks": (2, 2),
             "planes": (16, 32), "stem_width": 16, "reduction": 4, "num_classes": 3}},
    {"name": "mosko_cifar_basic",
     "description": "moskomule CIFAR SE-ResNet: 3x3 stem, basic blocks, Linear SE without bias",
     "hw": 32,
     "cfg": {"layout": "moskomule", "stem": "small", "block": "basic", "blocks": (2, 2, 2),
             "planes": (16, 32, 64), "stem_width": 16, "reduction": 4,
             "downsample": "channels", "num_classes": 10}},
    {"name": "mosko_bottleneck_imagenet",
     "description": "moskomule SE-ResNet (torchvision names), bottlenecks, Linear SE without bias",
     "hw": 64,
     "cfg": {"layout": "moskomule", "stem": "imagenet", "block": "bottleneck",
             "blocks": (1, 1, 2, 1), "planes": (8, 16, 16, 32), "stem_width": 16,
             "reduction": 4, "num_classes": 9}},
    {"name": "timm_deep_avgdown",
     "description": "timm SE-ResNeXt-D (seresnext26d_32x4d): deep 3x3 stem, average-pool shortcuts",
     "hw": 50,
     "cfg": {"layout": "timm", "stem": "imagenet", "block": "bottleneck", "blocks": (1, 2, 1),
             "planes": (16, 32, 32), "stem_width": 32, "stem_deep": (16, 16), "groups": 4,
             "base_width": 8, "avg_down": True, "num_classes": 5}},
    {"name": "timm_tiered_avgdown",
     "description": "timm SE-ResNet-T (seresnet50t): tiered deep stem, average-pool shortcuts",
     "hw": 64,
     "cfg": {"layout": "timm", "stem": "imagenet", "block": "bottleneck", "blocks": (2, 1, 1, 1),
             "planes": (8, 16, 32, 32), "stem_width": 32, "stem_deep": (12, 16),
             "avg_down": True, "num_classes": 7}},
    {"name": "timm_aa",
     "description": "timm SE-ResNet-AA-D (seresnetaa50d): 2x2 average pools as anti-aliasing",
     "hw": 64,
     "meta": {"sekit.aa": "avgpool"},
     "cfg": {"layout": "timm", "stem": "imagenet", "block": "bottleneck", "blocks": (1, 1, 2),
             "planes": (8, 16, 32), "stem_width": 32, "stem_deep": (16, 16), "avg_down": True,
             "aa": True, "num_classes": 6}},
    {"name": "timm_senet154",
     "description": "timm senet154: deep stem, 1x1 of width/2, 3x3 strided projections",
     "hw": 50,
     "cfg": {"layout": "timm", "stem": "imagenet", "block": "bottleneck", "blocks": (1, 1, 1),
             "planes": (16, 16, 32), "stem_width": 32, "stem_deep": (16, 16), "groups": 4,
             "base_width": 8, "reduce_first": 2, "down_kernel": 3, "num_classes": 4}},
    {"name": "legacy_senet154",
     "description": "Cadene / timm legacy senet154: layer0.conv1-3 stem, ceil-mode pool",
     "hw": 51,
     "cfg": {"layout": "legacy", "stem": "caffe", "block": "bottleneck", "blocks": (1, 1, 1),
             "planes": (16, 16, 32), "stem_width": 32, "stem_deep": (16, 16), "groups": 4,
             "base_width": 8, "reduce_first": 2, "down_kernel": 3, "num_classes": 4}},
]


@torch.no_grad()
def randomise(model: SENet) -> None:
    """Parameters and BN statistics far from their defaults, all drawn in float32.

    BN is pushed away from identity so that a C implementation that mishandles mean, variance,
    scale or shift (or eps) cannot pass. Convolutions get He-normal weights so activations keep
    a usable scale. The SE FCs get a plain draw here; calibrate_se then sets their scale."""
    se_fcs = {id(fc) for _, se in model.se_blocks() for fc in se.fcs}
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-1.0, 1.0)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
        elif id(m) in se_fcs:
            m.weight.normal_(0.0, 1.0 / m.weight[0].numel() ** 0.5)
            if m.bias is not None:
                m.bias.uniform_(-0.5, 0.5)
        elif isinstance(m, nn.Conv2d):
            m.weight.normal_(0.0, (2.0 / m.weight[0].numel()) ** 0.5)
        elif isinstance(m, nn.Linear):
            m.weight.normal_(0.0, 1.0 / m.in_features ** 0.5)
            m.bias.uniform_(-0.5, 0.5)


@torch.no_grad()
def calibrate_se(model: SENet, x: torch.Tensor) -> None:
    """Rescales each SE block's second FC so that, on x, its pre-sigmoid values have standard
    deviation GATE_LOGIT_STD: gates then spread across (0, 1) instead of sitting near 0.5
    (which would hide a broken excitation) or at 0 / 1 (which would hide the squeeze).
    Blocks are done in network order because each one changes what the later ones see; the
    rescaled weights are float32 like every other weight."""
    for _, se in model.se_blocks():
        model(x)
        std = se.excitation_logits(se.squeeze).std().item()
        fc2 = se.fcs[1]
        fc2.weight.mul_(GATE_LOGIT_STD / std)
        if fc2.bias is not None:
            fc2.bias.mul_(GATE_LOGIT_STD / std)


def check_gates(case: str, blocks: list) -> None:
    for name, se in blocks:
        std = se.gate.std(dim=1)
        saturated = ((se.gate < 0.01) | (se.gate > 0.99)).double().mean().item()
        assert std.min().item() > 0.05, f"{case} {name}: gate std {std.tolist()} too small"
        assert saturated < 0.1, f"{case} {name}: {saturated:.0%} of gates saturated"


def make_case(case: dict) -> dict:
    """Builds, randomises and runs one case; returns the tensors and metadata to write."""
    # One thread: multi-threaded reductions would make the calibration, and so the weights,
    # depend on the machine's core count.
    torch.set_num_threads(1)
    torch.manual_seed(zlib.crc32(case["name"].encode()))
    model = SENet(case["cfg"])
    randomise(model)
    c = model.cfg
    x = torch.randn(N_IMAGES, c["in_chans"], case["hw"], case["hw"])
    model.eval()
    calibrate_se(model, x)
    weights = {k: v.clone() for k, v in model.state_dict().items()}

    model.double()
    with torch.no_grad():
        logits = model(x.double())
    blocks = model.se_blocks()
    check_gates(case["name"], blocks)

    expected = {"input": x, "logits": logits.float()}
    for name, se in blocks:
        expected[f"gate.{name}"] = se.gate.float()
        expected[f"squeeze.{name}"] = se.squeeze.float()

    t = layout_traits(c)
    se_params = sum(p.numel() for _, se in blocks for p in se.parameters())
    meta = {
        "case": case["name"],
        "layout": c["layout"],
        "stem": c["stem"],
        "block": c["block"],
        "stride_on": c["stride_on"],
        "blocks": ",".join(str(b) for b in c["blocks"]),
        "groups": str(c["groups"]),
        "se_bias": str(int(t["se_bias"])),
        "se_linear": str(int(t["se_linear"])),
        "relu_before_se": str(int(t["relu_before_se"])),
        "num_params": str(sum(p.numel() for p in model.parameters())),
        "se_params": str(se_params),
        "num_classes": str(c["num_classes"]),
        "in_chans": str(c["in_chans"]),
    }
    meta.update(option_meta(c))
    return {"weights": weights, "expected": expected, "meta": meta,
            "se": [(name, se.gate.shape[1], se.fcs[0].weight.shape[0]) for name, se in blocks]}


def main() -> int:
    os.makedirs(DATA, exist_ok=True)
    total = 0
    for case in CASES:
        r = make_case(case)
        name = case["name"]
        wmeta = {"case": name, "layout": r["meta"]["layout"],
                 "description": case["description"], **case.get("meta", {})}
        size = write_safetensors(os.path.join(DATA, f"{name}.safetensors"), r["weights"], wmeta)
        size += write_safetensors(os.path.join(DATA, f"{name}.expected.safetensors"),
                                  r["expected"], r["meta"])
        total += size
        se = " ".join(f"{n}({c}->{cr})" for n, c, cr in r["se"])
        print(f"{name}: {int(r['meta']['num_params']):,} params, "
              f"{int(r['meta']['se_params']):,} in SE, {size:,} bytes\n  {se}")
    print(f"total: {total:,} bytes in {DATA}")
    if total >= MAX_TOTAL_BYTES:
        print(f"error: golden data exceeds {MAX_TOTAL_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
