#!/usr/bin/python3
"""Write golden test data for torchvision's own SE networks (EfficientNet, MobileNetV3, RegNetY).

Run by hand, from the repository root, with Debian's Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 tests/reference/make_golden_zoo.py             # the small cases -> data/
    /usr/bin/python3 tests/reference/make_golden_zoo.py --full --out DIR
                                                                   # full-size models -> DIR

Unlike make_golden.py, whose networks come from sekit's own reference (senet_ref.py), every
network here is built by torchvision's classes themselves (torchvision.models.efficientnet,
.mobilenetv3, .regnet), so tensor names, squeeze widths, activations and BatchNorm eps are
upstream's by construction. The small cases use custom configurations of those classes; --full
builds the named torchvision models (efficientnet_b0, ...) at their real size.

For every case it writes

  <case>.safetensors           the model's complete state_dict() under torchvision's names
                               (F32, plus the 0-d I64 BatchNorm num_batches_tracked buffers)
  <case>.expected.safetensors  F32 input, logits, and for every torchvision.ops.SqueezeExcitation
                               module, keyed by its path in model.named_modules():
                               squeeze.<path> [N, C] (spatial mean of the SE input) and
                               gate.<path> [N, C] (the output of its scale_activation)

Values are as exact as the format allows: weights and inputs are float32 draws (so the files
hold them exactly); the forward pass runs in float64 (on a deep copy made .double()) from those
values in eval mode, so the only rounding in the expected tensors is the final cast to float32.
The run is deterministic (one thread, fixed seeds): a second run rewrites byte-identical files.
"""
from __future__ import annotations

import argparse
import copy
import os
import sys
import zlib
from functools import partial

import torch
from torch import nn
from torchvision.models import efficientnet as tv_eff
from torchvision.models import mobilenetv3 as tv_mnv3
from torchvision.models import regnet as tv_regnet
from torchvision.ops.misc import SqueezeExcitation

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools"))

from pth2safetensors import write_safetensors  # noqa: E402

DATA = os.path.join(HERE, "data")
LAYOUT = "torchvision"
N_IMAGES = 3
MAX_TOTAL_BYTES = 2_000_000
# Standard deviation of the pre-gate values (fc2 output) each SE block is calibrated to. With
# a sigmoid, 1.5 spreads the gates over (0, 1) without saturating them. A hard sigmoid,
# clamp(x + 3, 0, 6) / 6, is linear on (-3, 3): 2.0 puts roughly one gate in eight on a clamp
# (0 or 1) and the rest strictly inside, so both regimes are exercised.
GATE_LOGIT_STD = {"sigmoid": 1.5, "hardsigmoid": 2.0}
# Each residual branch is scaled to this fraction of its shortcut's spread (see calibrate).
RESIDUAL_RATIO = 0.3

MBConv = tv_eff.MBConvConfig
IRConfig = tv_mnv3.InvertedResidualConfig


def _efficientnet_small() -> nn.Module:
    # MBConvConfig(expand_ratio, kernel, stride, input_channels, out_channels, num_layers)
    setting = [
        MBConv(1, 3, 1, 24, 16, 1),   # expand 1: no expand conv, SE at block.1 (squeeze 24//4=6)
        MBConv(6, 3, 2, 16, 24, 2),   # 16->96->24, then 24->144->24 with the residual add
        MBConv(4, 5, 2, 24, 32, 1),   # kernel 5
        MBConv(6, 5, 2, 32, 40, 1),
    ]
    return tv_eff.EfficientNet(setting, dropout=0.2, num_classes=7)  # head 4 x 40 = 160


def _efficientnet_eps3() -> nn.Module:
    setting = [
        MBConv(1, 3, 1, 32, 16, 2),   # expand 1 twice, as in B5-B7: 32->16 (squeeze 8), then
                                      # 16->16 (squeeze 4) with the residual add
        MBConv(6, 5, 2, 16, 24, 2),
        MBConv(4, 3, 2, 24, 40, 2),
        MBConv(6, 5, 2, 40, 48, 1),
    ]
    return tv_eff.EfficientNet(setting, dropout=0.3, num_classes=5, last_channel=128,
                               norm_layer=partial(nn.BatchNorm2d, eps=1e-3, momentum=0.01))


def _mobilenetv3_small() -> nn.Module:
    # InvertedResidualConfig(input, kernel, expanded, out, use_se, activation, stride,
    #                        dilation, width_mult)
    setting = [
        IRConfig(16, 3, 16, 16, True, "RE", 2, 1, 1.0),   # no expand conv, SE 16->8, stride 2
        IRConfig(16, 3, 72, 24, False, "RE", 2, 1, 1.0),
        IRConfig(24, 3, 88, 24, False, "RE", 1, 1, 1.0),  # residual, no SE
        IRConfig(24, 5, 96, 40, True, "HS", 2, 1, 1.0),   # SE 96->24
        IRConfig(40, 5, 120, 40, True, "HS", 1, 1, 1.0),  # residual + SE 120->32
        IRConfig(40, 3, 72, 48, True, "RE", 1, 1, 1.0),   # SE 72->24 (18 rounded up past 16)
    ]
    # norm_layer None: the class's own default, BatchNorm2d(eps=0.001, momentum=0.01)
    return tv_mnv3.MobileNetV3(setting, last_channel=64, num_classes=6)  # head 6 x 48 = 288


def _regnety_small() -> nn.Module:
    params = tv_regnet.BlockParams(depths=[1, 2, 1], widths=[24, 40, 56],
                                   group_widths=[8, 8, 8], bottleneck_multipliers=[1.0] * 3,
                                   strides=[2, 2, 2], se_ratio=0.25)
    # block_type None -> ResBottleneckBlock; norm_layer None -> nn.BatchNorm2d (eps 1e-5)
    return tv_regnet.RegNet(params, num_classes=5, stem_width=16)


CASES = [
    {"name": "tv_efficientnet_small", "family": "efficientnet", "hw": 37,
     "build": _efficientnet_small,
     # eps is the class default; a config no upstream model has cannot be told by its names
     "meta": {"sekit.bn_eps": "1e-05"},
     "config": "MBConv e1k3s1 24->16 x1, e6k3s2 16->24 x2, e4k5s2 24->32 x1, e6k5s2 32->40 x1; "
               "stem 24, head 160 (4x)",
     "description": "torchvision EfficientNet (small custom MBConv config), BN eps 1e-5"},
    {"name": "tv_efficientnet_eps3", "family": "efficientnet", "hw": 33,
     "build": _efficientnet_eps3,
     # The weight names cannot tell eps: the file says it (like timm_aa's sekit.aa).
     "meta": {"sekit.bn_eps": "0.001"},
     "config": "MBConv e1k3s1 32->16 x2, e6k5s2 16->24 x2, e4k3s2 24->40 x2, e6k5s2 40->48 x1; "
               "stem 32, head 128 (last_channel)",
     "description": "torchvision EfficientNet (small custom MBConv config), BN eps 1e-3 as in "
                    "B5-B7 and V2"},
    {"name": "tv_mobilenetv3_small", "family": "mobilenetv3", "hw": 35,
     "build": _mobilenetv3_small,
     # strides and activations never show in the weights of a custom config
     "meta": {"sekit.block_strides": "2,2,1,2,1,1",
              "sekit.block_acts": "relu,relu,relu,hardswish,hardswish,relu"},
     "config": "IR 16-k3-16-16 SE RE s2, 16-k3-72-24 RE s2, 24-k3-88-24 RE s1, "
               "24-k5-96-40 SE HS s2, 40-k5-120-40 SE HS s1, 40-k3-72-48 SE RE s1; "
               "stem 16, head 288 (6x), classifier 288->64->6",
     "description": "torchvision MobileNetV3 (small custom config), hard-sigmoid gates, "
                    "BN eps 1e-3"},
    {"name": "tv_regnety_small", "family": "regnety", "hw": 36,
     "build": _regnety_small,
     "config": "depths 1,2,1, widths 24,40,56, group width 8, bottleneck 1.0, strides 2, "
               "se_ratio 0.25; stem 16",
     "description": "torchvision RegNetY (small custom BlockParams), ResBottleneckBlock, "
                    "BN eps 1e-5"},
]

# --full: torchvision's own full-size models; expected parameter counts from the brief /
# torchvision's weight metadata.
FULL = [
    ("efficientnet_b0", "efficientnet", 5_288_548),
    ("efficientnet_b5", "efficientnet", 30_389_784),
    ("efficientnet_v2_s", "efficientnet", 21_458_488),
    ("mobilenet_v3_large", "mobilenetv3", 5_483_032),
    ("mobilenet_v3_small", "mobilenetv3", 2_542_856),
    ("regnet_y_400mf", "regnety", 4_344_144),
    ("regnet_y_1_6gf", "regnety", 11_202_430),
]
FULL_HW = 224
FULL_IMAGES = 1


def se_modules(model: nn.Module) -> list[tuple[str, SqueezeExcitation]]:
    """Every torchvision SqueezeExcitation, in named_modules() (= network) order."""
    return [(n, m) for n, m in model.named_modules() if isinstance(m, SqueezeExcitation)]


def gate_kind(se: SqueezeExcitation) -> str:
    if isinstance(se.scale_activation, nn.Hardsigmoid):
        return "hardsigmoid"
    assert isinstance(se.scale_activation, nn.Sigmoid), type(se.scale_activation)
    return "sigmoid"


def inner_kind(se: SqueezeExcitation) -> str:
    kinds = {nn.ReLU: "relu", nn.SiLU: "silu"}
    return kinds[type(se.activation)]


def bn_eps(model: nn.Module) -> float:
    eps = {m.eps for m in model.modules() if isinstance(m, nn.BatchNorm2d)}
    assert len(eps) == 1, f"mixed BatchNorm eps {eps}"
    return eps.pop()


@torch.no_grad()
def randomise(model: nn.Module, se_fcs: set | None = None, conv_bias: bool = False) -> None:
    """Parameters and BN statistics far from their defaults, all drawn in float32, in
    named_modules() order (as make_golden.randomise, with running_mean in [-0.5, 0.5]).
    Convolutions get He-normal weights (fan-in per group, so depthwise convs too); the SE FCs
    (se_fcs: their module ids; default torchvision's fc1, fc2) a plain draw, whose scale
    calibrate() then sets. Conv biases (timm's conv_head) draw U(-0.5, 0.5) where conv_bias
    allows them; every parameter must have been drawn."""
    if se_fcs is None:
        se_fcs = {id(fc) for _, se in se_modules(model) for fc in (se.fc1, se.fc2)}
    done = set()
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.uniform_(0.5, 1.5)
            m.bias.uniform_(-0.5, 0.5)
        elif id(m) in se_fcs:
            m.weight.normal_(0.0, 1.0 / m.weight[0].numel() ** 0.5)
            m.bias.uniform_(-0.5, 0.5)
        elif isinstance(m, nn.Conv2d):
            m.weight.normal_(0.0, (2.0 / m.weight[0].numel()) ** 0.5)
            assert conv_bias or m.bias is None, "torchvision's Conv2dNormActivation convs have no bias"
            if m.bias is not None:
                m.bias.uniform_(-0.5, 0.5)
        elif isinstance(m, nn.Linear):
            m.weight.normal_(0.0, 1.0 / m.in_features ** 0.5)
            m.bias.uniform_(-0.5, 0.5)
        else:
            continue
        done.update(id(p) for p in m.parameters(recurse=False))
    missed = [n for n, p in model.named_parameters() if id(p) not in done]
    assert not missed, f"parameters left at their init: {missed}"


def _residual_blocks(model: nn.Module) -> list[tuple[nn.Module, nn.BatchNorm2d, nn.Module]]:
    """(block, last BatchNorm of its residual branch, projection shortcut or None) for every
    block with an add whose branch ends in a BatchNorm (no activation after it)."""
    out = []
    for m in model.modules():
        if isinstance(m, (tv_eff.MBConv, tv_eff.FusedMBConv, tv_mnv3.InvertedResidual)):
            last = m.block[-1]
            if m.use_res_connect and len(last) == 2 and isinstance(last[1], nn.BatchNorm2d):
                out.append((m, last[1], None))
        elif isinstance(m, tv_regnet.ResBottleneckBlock):
            out.append((m, m.f.c[1], m.proj))
    return out


@torch.no_grad()
def calibrate(model: nn.Module, x: torch.Tensor) -> None:
    """One float32 forward pass on x that, in network order, (1) scales every residual
    branch's last BatchNorm (weight and bias) so the branch has RESIDUAL_RATIO times the spread
    of its shortcut, and (2) scales every SE block's fc2 (weight and bias) so its pre-gate
    values have standard deviation GATE_LOGIT_STD[gate kind].

    (1) keeps deep networks (the --full models) in a range where float32 still agrees with
    float64 to 1e-4, as trained networks keep their residual branches small (as
    check_upstream.calibrate_residuals does). (2) spreads the gates over (0, 1) instead of
    leaving them near 0.5 (which would hide a broken excitation) or saturated (which would hide
    the squeeze). Each hook changes its module's weights before any later module runs and
    returns the output the changed weights give, so one pass does what a pass per block would.
    """
    hooks = []
    seen: dict[int, torch.Tensor] = {}

    def se_pre(se, inp):
        logits = se.fc2(se.activation(se.fc1(se.avgpool(inp[0]))))
        k = GATE_LOGIT_STD[gate_kind(se)] / logits.std().item()
        se.fc2.weight.mul_(k)
        se.fc2.bias.mul_(k)

    def block_pre(block, inp):
        seen[id(block)] = inp[0]

    def proj_out(block, proj, inp, out):
        seen[id(block)] = out

    def bn_out(block, bn, inp, out):
        k = RESIDUAL_RATIO * seen.pop(id(block)).std().item() / out.std().item()
        bn.weight.mul_(k)
        bn.bias.mul_(k)
        return out * k

    for _, se in se_modules(model):
        hooks.append(se.register_forward_pre_hook(se_pre))
    for block, bn, proj in _residual_blocks(model):
        hooks.append(block.register_forward_pre_hook(block_pre))
        if proj is not None:
            hooks.append(proj.register_forward_hook(partial(proj_out, block)))
        hooks.append(bn.register_forward_hook(partial(bn_out, block)))
    model(x)
    for h in hooks:
        h.remove()


@torch.no_grad()
def reference(model: nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, dict, dict]:
    """float64 forward pass of a deep copy; returns logits and, per SE path, squeeze and gate."""
    m64 = copy.deepcopy(model).double().eval()
    squeeze, gate, hooks = {}, {}, []
    for name, se in se_modules(m64):
        hooks.append(se.register_forward_hook(
            lambda m, i, o, n=name: squeeze.__setitem__(n, i[0].mean((2, 3)))))
        hooks.append(se.scale_activation.register_forward_hook(
            lambda m, i, o, n=name: gate.__setitem__(n, o.flatten(1).clone())))
    logits = m64(x.double())
    for h in hooks:
        h.remove()
    return logits, squeeze, gate


def check_gates(case: str, kinds: list[str], gate: dict) -> str:
    """Asserts the gates are neither near 0.5 everywhere nor saturated; returns a summary."""
    hard_inside = hard_lo = hard_hi = hard_n = 0
    for (name, g), kind in zip(gate.items(), kinds):
        std = g.std(dim=1)
        assert std.min().item() > 0.05, f"{case} {name}: gate std {std.tolist()} too small"
        if kind == "sigmoid":
            saturated = ((g < 0.01) | (g > 0.99)).double().mean().item()
            assert saturated < 0.1, f"{case} {name}: {saturated:.0%} of gates saturated"
        else:
            inside = ((g > 0) & (g < 1)).double().mean().item()
            assert inside >= 0.5, f"{case} {name}: only {inside:.0%} of gates inside (0, 1)"
            hard_inside += int(((g > 0) & (g < 1)).sum())
            hard_lo += int((g == 0).sum())
            hard_hi += int((g == 1).sum())
            hard_n += g.numel()
    if not hard_n:
        return ""
    assert hard_lo > 0 and hard_hi > 0, f"{case}: no hard-sigmoid gate clipped at 0 and at 1"
    assert hard_inside < hard_n
    return (f"hard-sigmoid gates: {hard_inside}/{hard_n} inside (0,1), {hard_lo} at 0, "
            f"{hard_hi} at 1")


def make_case(name: str, family: str, model: nn.Module, hw: int, n_images: int,
              description: str, wmeta_extra: dict | None = None) -> dict:
    """Randomises, calibrates and runs one model; returns what to write and print."""
    # One thread: multi-threaded reductions would make the calibration, and so the weights,
    # depend on the machine's core count.
    torch.set_num_threads(1)
    torch.manual_seed(zlib.crc32(name.encode()))
    randomise(model)
    model.eval()
    x = torch.randn(n_images, 3, hw, hw)
    calibrate(model, x)
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert all(v.dtype == torch.float32 or k.endswith("num_batches_tracked")
               for k, v in weights.items())

    logits, squeeze, gate = reference(model, x)
    ses = se_modules(model)
    paths = [n for n, _ in ses]
    assert list(gate) == paths and list(squeeze) == paths, "SE hooks did not fire in order"
    kinds = [gate_kind(se) for _, se in ses]
    assert torch.isfinite(logits).all(), f"{name}: non-finite logits"
    gate_note = check_gates(name, kinds, gate)

    expected = {"input": x, "logits": logits.float()}
    for p in paths:
        expected[f"squeeze.{p}"] = squeeze[p].float()
        expected[f"gate.{p}"] = gate[p].float()
    eps = bn_eps(model)
    num_params = sum(p.numel() for p in model.parameters())
    se_params = sum(p.numel() for _, se in ses for p in se.parameters())
    num_classes = logits.shape[1]
    meta = {
        "case": name,
        "layout": LAYOUT,
        "family": family,
        "se_modules": ",".join(paths),
        "gates": ",".join(kinds),
        "se_acts": ",".join(inner_kind(se) for _, se in ses),
        "num_params": str(num_params),
        "se_params": str(se_params),
        "num_classes": str(num_classes),
        "in_chans": "3",
        "bn_eps": f"{eps:g}",
        "hw": str(hw),
    }
    wmeta = {"case": name, "layout": LAYOUT, "family": family, "description": description,
             **(wmeta_extra or {})}
    se_list = [(p, se.fc1.in_channels, se.fc1.out_channels, kinds[i], inner_kind(se))
               for i, (p, se) in enumerate(ses)]
    return {"weights": weights, "wmeta": wmeta, "expected": expected, "meta": meta,
            "se": se_list, "gate_note": gate_note,
            "logit_absmax": logits.abs().max().item()}


def write_case(out_dir: str, r: dict) -> int:
    name = r["meta"]["case"]
    size = write_safetensors(os.path.join(out_dir, f"{name}.safetensors"), r["weights"],
                             r["wmeta"])
    size += write_safetensors(os.path.join(out_dir, f"{name}.expected.safetensors"),
                              r["expected"], r["meta"])
    return size


def report(r: dict, size: int) -> None:
    m = r["meta"]
    print(f"{m['case']}: {m['family']}, {int(m['num_params']):,} params, "
          f"{int(m['se_params']):,} in SE, {len(r['se'])} SE blocks, bn_eps {m['bn_eps']}, "
          f"input 3x{m['hw']}x{m['hw']}, {m['num_classes']} classes, max |logit| "
          f"{r['logit_absmax']:.3g}, {size:,} bytes")
    if r["gate_note"]:
        print(f"  {r['gate_note']}")
    for path, c, cr, kind, act in r["se"]:
        print(f"  {path:40} C {c:4}  reduced {cr:3}  {act}/{kind}")


def main_small() -> int:
    os.makedirs(DATA, exist_ok=True)
    total = 0
    for case in CASES:
        r = make_case(case["name"], case["family"], case["build"](), case["hw"], N_IMAGES,
                      case["description"], case.get("meta"))
        size = write_case(DATA, r)
        total += size
        report(r, size)
    print(f"total: {total:,} bytes in {DATA}")
    if total >= MAX_TOTAL_BYTES:
        print(f"error: zoo golden data exceeds {MAX_TOTAL_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


def full_case(name: str) -> tuple[str, str, int | None]:
    """FULL's entry for name, or one derived from the name (no parameter count to check)."""
    for case in FULL:
        if case[0] == name:
            return case
    for prefix, family in (("efficientnet_", "efficientnet"), ("mobilenet_v3", "mobilenetv3"),
                           ("regnet_y", "regnety")):
        if name.startswith(prefix):
            return name, family, None
    raise SystemExit(f"error: {name} is no torchvision model of the families sekit runs")


def main_full(out_dir: str, names: list[str]) -> int:
    import torchvision.models as tvm
    os.makedirs(out_dir, exist_ok=True)
    if os.path.realpath(out_dir) == os.path.realpath(DATA):
        print("error: --full does not write into the golden data directory", file=sys.stderr)
        return 2
    bad = 0
    for name, family, want in (full_case(n) for n in names) if names else FULL:
        model = getattr(tvm, name)(weights=None)
        r = make_case(name, family, model, FULL_HW, FULL_IMAGES,
                      f"torchvision {name} (full size) with seeded random weights")
        got = int(r["meta"]["num_params"])
        size = write_case(out_dir, r)
        report(r, size)
        if want is not None:
            status = "ok" if got == want else f"MISMATCH (want {want:,})"
            print(f"  parameter count {got:,}: {status}")
            bad += got != want
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true",
                    help="build torchvision's full-size models instead (needs --out)")
    ap.add_argument("--out", help="output directory for --full")
    ap.add_argument("names", nargs="*",
                    help="with --full: these torchvision models instead of the FULL list")
    args = ap.parse_args()
    if args.names and not args.full:
        ap.error("model names are only for --full")
    if args.full:
        if not args.out:
            ap.error("--full needs --out DIR")
        return main_full(args.out, args.names)
    if args.out:
        ap.error("--out is only for --full")
    return main_small()


if __name__ == "__main__":
    sys.exit(main())
