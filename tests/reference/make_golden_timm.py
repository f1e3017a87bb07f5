#!/usr/bin/python3
"""Write golden test data for timm's own SE networks (EfficientNet, MobileNetV3, RegNetY).

Run by hand, from the repository root, with Debian's Python (torch 1.13), pointing --timm at a
directory that holds timm's source (the `timm` package; it is not part of sekit and not
installed: extract it from a checkout, e.g. `git archive HEAD | tar -x -C /tmp/timm-src`):

    /usr/bin/python3 tests/reference/make_golden_timm.py --timm /tmp/timm-src
                                                        # the small cases -> data/
    /usr/bin/python3 tests/reference/make_golden_timm.py --timm /tmp/timm-src --full DIR
                                                        # full-size models -> DIR/<name>/

The companion of make_golden_zoo.py (torchvision's classes), with the same conventions, and
reusing its helpers (imported as a module; gate checks, file writing, constants). Every network
is built by timm's own classes and builder: timm.models.efficientnet.EfficientNet and
timm.models.mobilenetv3.MobileNetV3 from short custom arch_def strings decoded by
timm.models._efficientnet_builder.decode_arch_def, and timm.models.regnet.RegNet from a small
RegNetCfg, so tensor names, squeeze widths, activations, padding and BatchNorm eps are
upstream's by construction. --full builds the named timm models (timm.create_model(name,
pretrained=False)) at their real size.

For every small case it writes into data/

  <case>.safetensors           the model's complete state_dict() under timm's names (F32, plus
                               the 0-d I64 BatchNorm num_batches_tracked buffers)
  <case>.expected.safetensors  F32 input, logits, and for every SE module (timm's
                               _efficientnet_blocks.SqueezeExcite or layers.SEModule), keyed by
                               its path in model.named_modules(): squeeze.<path> [N, C] (spatial
                               mean of the SE input) and gate.<path> [N, C] (output of its
                               `gate` module)

and with --full DIR, for each model, DIR/<name>/model.safetensors, DIR/<name>/config.json
({"architecture": "<name>"}, as timm's hub folders have it) and DIR/<name>/expected.safetensors.

Values are as exact as the format allows: weights and inputs are float32 draws; the forward
pass runs in float64 (on a deep copy made .double()) from those values in eval mode, so the
only rounding in the expected tensors is the final cast to float32. The run is deterministic
(one thread, fixed seeds): a second run rewrites byte-identical files.
"""
from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import zlib
from functools import partial

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import torch  # noqa: E402
from torch import nn  # noqa: E402

import make_golden_zoo as zoo  # noqa: E402  (also puts tools/ on sys.path)
from pth2safetensors import write_safetensors  # noqa: E402

DEFAULT_TIMM = "/tmp/timm-src"
LAYOUT = "timm"
MAX_TOTAL_BYTES = 7_000_000
N_IMAGES = zoo.N_IMAGES
GATE_LOGIT_STD = zoo.GATE_LOGIT_STD
RESIDUAL_RATIO = zoo.RESIDUAL_RATIO

# Filled by load_timm(): timm's modules, imported from the --timm directory.
T: dict = {}


def load_timm(path: str) -> None:
    if not os.path.isdir(os.path.join(path, "timm")):
        sys.exit(f"error: no timm package in {path} (pass --timm DIR, the directory holding "
                 "timm's source)")
    sys.path.insert(0, path)
    import timm
    from timm.layers import Conv2dSame, SEModule, get_act_layer
    from timm.layers.activations import Sigmoid as TimmSigmoid
    from timm.layers.padding import get_same_padding
    from timm.models import _efficientnet_blocks as eb
    from timm.models import _efficientnet_builder as ebuild
    from timm.models import (byobnet, efficientnet, ghostnet, hardcorenas, mobilenetv3, regnet,
                             rexnet)
    T.update(timm=timm, Conv2dSame=Conv2dSame, SEModule=SEModule, get_act_layer=get_act_layer,
             TimmSigmoid=TimmSigmoid, get_same_padding=get_same_padding, eb=eb, ebuild=ebuild,
             efficientnet=efficientnet, mobilenetv3=mobilenetv3, regnet=regnet,
             hardcorenas=hardcorenas, rexnet=rexnet, byobnet=byobnet, ghostnet=ghostnet)


# ------------------------------------------------------------------------------------------
# The small networks

EFF_ARCH = [
    ["ds_r1_k3_s1_e1_c16_se0.25"],   # DepthwiseSeparableConv 24->16 with SE (rd round(24/4) = 6)
    ["ir_r2_k3_s2_e6_c24_se0.25"],   # 16->96->24, then 24->144->24 with the residual add
    ["ir_r1_k5_s2_e4_c32_se0.25"],   # kernel 5
    ["ir_r1_k5_s2_e4_c40_se0.25"],
]
EFF_EVEN_ARCH = [
    ["ds_r1_k3_s1_e1_c16_se0.25"],
    ["ir_r2_k5_s2_e4_c24_se0.25"],   # kernel 5, stride 2 on an even size: 'same' pads (1, 2)
    ["ir_r1_k3_s2_e4_c32_se0.25"],
    ["ir_r1_k5_s2_e4_c40_se0.25"],
]
MNV3_ARCH = [
    ["ds_r1_k3_s1_e1_c16_se0.25_nre"],                           # DS 16->16 SE, ReLU, residual
    ["ir_r1_k3_s2_e4_c24_nre"],                                  # ReLU, no SE
    ["ir_r1_k5_s2_e3_c40_se0.25", "ir_r1_k5_s1_e3_c40_se0.25"],  # hard swish + SE, residual
    ["ir_r1_k3_s2_e3_c48_se0.25"],                               # hard swish + SE
    ["cn_r1_k1_s1_c96"],                                         # ConvBnAct 1x1, hard swish
]


def _efficientnet(arch, tf: bool, num_classes: int, stem: int, head: int) -> nn.Module:
    """As timm's _gen_efficientnet (tf=False) or its tf_efficientnet_* entry points (tf=True:
    pad_type 'same', bn_eps BN_EPS_TF_DEFAULT) build it, with a custom arch_def."""
    ebuild = T["ebuild"]
    bn_args = {"eps": ebuild.BN_EPS_TF_DEFAULT} if tf else {}
    return T["efficientnet"].EfficientNet(
        block_args=ebuild.decode_arch_def(arch),
        num_classes=num_classes,
        num_features=ebuild.round_channels(head),
        stem_size=stem,
        round_chs_fn=ebuild.round_channels,
        pad_type="same" if tf else "",
        act_layer=T["get_act_layer"]("swish"),
        norm_layer=partial(nn.BatchNorm2d, **bn_args),
        # se_layer None: the class's own default, _efficientnet_blocks.SqueezeExcite
        # (block act inside = SiLU, sigmoid gate); the builder's se_from_exp False
    )


def _mobilenetv3() -> nn.Module:
    """As timm's _gen_mobilenet_v3 builds mobilenetv3_large/small_*, with a custom arch_def."""
    ebuild, eb = T["ebuild"], T["eb"]
    se_layer = partial(eb.SqueezeExcite, gate_layer="hard_sigmoid", force_act_layer=nn.ReLU,
                       rd_round_fn=ebuild.round_channels)
    return T["mobilenetv3"].MobileNetV3(
        block_args=ebuild.decode_arch_def(MNV3_ARCH),
        num_classes=6,
        num_features=128,
        stem_size=16,
        round_chs_fn=ebuild.round_channels,
        norm_layer=partial(nn.BatchNorm2d),          # resolve_bn_args({}): eps 1e-5
        act_layer=T["get_act_layer"]("hard_swish"),
        se_layer=se_layer,
        # se_from_exp True and head_bias True: the class defaults, as in _gen_mobilenet_v3
    )


def _regnety() -> nn.Module:
    regnet = T["regnet"]
    # widths 16 + 16 i (i < 5) quantised on powers of 1.5: 16, 32, 56, 56, 80 -> four stages
    # (timm's RegNet asserts exactly four) of depths 1, 1, 2, 1; group size 8.
    cfg = regnet.RegNetCfg(depth=5, w0=16, wa=16.0, wm=1.5, group_size=8, se_ratio=0.25,
                           stem_width=16)
    return regnet.RegNet(cfg, num_classes=5)


def _narrowed(name: str, multiplier: float, num_features: int, num_classes: int) -> nn.Module:
    """timm model `name` as its entry point builds it (its arch_def, activations, SE layer,
    head, BatchNorm and padding), with every width scaled by `multiplier` through timm's own
    round_channels and a narrower head: the entry point's keyword arguments to its model class
    are captured, changed there only, and the class built from them."""
    got = {}

    class Captured(Exception):
        pass

    def capture(*args, **kwargs):
        cls = args[0] if args and isinstance(args[0], type) else None
        got.update(kwargs, _cls=cls)
        raise Captured

    def capture_effnet(*args, **kwargs):
        got["_effnet"] = True
        capture(*args, **kwargs)

    fns = ("_create_effnet", "_create_mnv3", "build_model_with_cfg")
    mods = [T["efficientnet"], T["mobilenetv3"], T["hardcorenas"]]
    saved = [(m, f, getattr(m, f)) for m in mods for f in fns if hasattr(m, f)]
    entry = T["timm"].models.model_entrypoint(name)
    for m, f, _ in saved:
        setattr(m, f, capture_effnet if f == "_create_effnet" else capture)
    try:
        entry(pretrained=False)
    except Captured:
        pass
    finally:
        for m, f, fn in saved:
            setattr(m, f, fn)
    assert got, f"{name}: its entry point built no model through a known class"
    effnet, cls = got.pop("_effnet", False), got.pop("_cls", None)
    cls = T["efficientnet"].EfficientNet if effnet else cls or T["mobilenetv3"].MobileNetV3
    for k in ("pretrained_strict", "kwargs_filter", "features_only", "pretrained_cfg",
              "pretrained_cfg_overlay"):
        got.pop(k, None)
    round_fn = got.get("round_chs_fn")
    keywords = dict(round_fn.keywords) if isinstance(round_fn, partial) else {}
    keywords["multiplier"] = multiplier
    got["round_chs_fn"] = partial(T["ebuild"].round_channels, **keywords)
    got["num_features"] = num_features
    got["num_classes"] = num_classes
    return cls(**got)


# timm's EfficientNet-builder models whose blocks' facts (strides, activations, residuals,
# SE activation and gate) sekit takes from its own copy of their arch_def: each built by its
# entry point, narrowed, and claimed by name in __metadata__ sekit.arch.
NARROWED = [
    ("semnasnet_100", "efficientnet", 0.1, 48, 5, 40),
    ("lcnet_100", "mobilenetv3", 0.1, 48, 4, 40),
    ("fbnetv3_b", "mobilenetv3", 0.1, 48, 6, 36),
    ("hardcorenas_a", "mobilenetv3", 0.1, 48, 3, 38),
    # MixNet: split depthwise kernels (3 to 11) and split 1x1 convs; the TF port pads 'same'
    ("mixnet_s", "efficientnet", 0.1, 48, 5, 39),
    ("tf_mixnet_s", "efficientnet", 0.1, 48, 5, 36),
]

def _rexnet() -> nn.Module:
    """timm's RexNet class as its rexnet_* entry points build it, at width 0.1: 16 blocks, SE
    with BatchNorm on blocks 4-16, partial residuals wherever a stride-1 block widens."""
    return T["rexnet"].RexNet(width_mult=0.1, num_classes=5)


def _ghostnet() -> nn.Module:
    """timm's GhostNet (v1) with the cfgs its ghostnet_* entry points build, at width 0.1."""
    gh = T["ghostnet"]
    got = {}

    class Captured(Exception):
        pass

    def capture(*args, **kwargs):
        got.update(kwargs)
        raise Captured

    saved = gh.build_model_with_cfg
    gh.build_model_with_cfg = capture
    try:
        gh.ghostnet_100(pretrained=False)
    except Captured:
        pass
    finally:
        gh.build_model_with_cfg = saved
    return gh.GhostNet(cfgs=got["cfgs"], width=0.1, num_classes=5)


def _byobnet(pool: str, groups: int, final: int) -> nn.Module:
    """timm's ByobNet as seresnet33ts (pool '', grouped 0: plain 3x3, a final 1x1 conv) or
    seresnext26ts (max-pool, group size 32, no final conv) are built, narrowed: tiered stem,
    SiLU, SE (attn_layer 'se') on every bottleneck's middle conv."""
    byob = T["byobnet"]
    cfg = byob.ByoModelCfg(
        blocks=(byob.ByoBlockCfg(type="bottle", d=1, c=32, s=1, gs=groups, br=0.25),
                byob.ByoBlockCfg(type="bottle", d=2, c=64, s=2, gs=groups, br=0.25),
                byob.ByoBlockCfg(type="bottle", d=1, c=96, s=2, gs=groups, br=0.25)),
        stem_chs=32, stem_type="tiered", stem_pool=pool, num_features=final, act_layer="silu",
        attn_layer="se")
    return byob.ByobNet(cfg, num_classes=5)


CASES = [
    {"name": "timm_efficientnet_small", "family": "efficientnet", "hw": 37, "padding": "symmetric",
     "build": lambda: _efficientnet(EFF_ARCH, False, 7, 24, 128),
     # efficientnet_* and tf_efficientnet_* have the same tensor names: the file says which
     "meta": {"sekit.padding": "symmetric", "sekit.bn_eps": "1e-05"},
     "config": "stem 24; ds k3 s1 24->16 SE; ir e6 k3 s2 16->24 x2; ir e4 k5 s2 24->32; "
               "ir e4 k5 s2 32->40; head 128; SiLU; pad_type ''; BN eps 1e-5",
     "description": "timm EfficientNet (custom arch_def ds_r1_k3_s1_e1_c16_se0.25, "
                    "ir_r2_k3_s2_e6_c24_se0.25, ir_r1_k5_s2_e4_c32_se0.25, "
                    "ir_r1_k5_s2_e4_c40_se0.25), symmetric padding, BN eps 1e-5"},
    {"name": "timm_tf_efficientnet_small", "family": "efficientnet", "hw": 36, "padding": "same",
     "build": lambda: _efficientnet(EFF_ARCH, True, 7, 24, 128),
     "meta": {"sekit.padding": "same", "sekit.bn_eps": "0.001"},
     "config": "as timm_efficientnet_small with pad_type 'same' (Conv2dSame on the stride-2 "
               "convs) and BN eps 1e-3",
     "description": "timm EfficientNet as tf_efficientnet_* builds it (pad_type 'same', "
                    "BN eps 1e-3), same arch_def as timm_efficientnet_small"},
    {"name": "timm_tf_efficientnet_even", "family": "efficientnet", "hw": 32, "padding": "same",
     "build": lambda: _efficientnet(EFF_EVEN_ARCH, True, 4, 16, 96),
     "meta": {"sekit.padding": "same", "sekit.bn_eps": "0.001"},
     "config": "stem 16; ds k3 s1 16->16 SE (residual); ir e4 k5 s2 16->24 x2; ir e4 k3 s2 "
               "24->32; ir e4 k5 s2 32->40; head 96; pad_type 'same', BN eps 1e-3; every "
               "stride-2 conv sees an even size",
     "description": "timm EfficientNet as tf_efficientnet_* builds it (pad_type 'same', "
                    "BN eps 1e-3), custom arch_def ds_r1_k3_s1_e1_c16_se0.25, "
                    "ir_r2_k5_s2_e4_c24_se0.25, ir_r1_k3_s2_e4_c32_se0.25, "
                    "ir_r1_k5_s2_e4_c40_se0.25, even sizes only"},
    {"name": "timm_mobilenetv3_small", "family": "mobilenetv3", "hw": 35, "padding": "symmetric",
     "build": _mobilenetv3,
     # strides and activations never show in the weights of a custom config; and
     # mobilenetv3_* and tf_mobilenetv3_* (pad_type 'same', eps 1e-3) have the same names
     "meta": {"sekit.padding": "symmetric", "sekit.bn_eps": "1e-05"},
     "meta_blocks": True,
     "config": "stem 16 (hard swish); ds k3 s1 16->16 SE ReLU (residual); ir e4 k3 s2 16->24 "
               "ReLU; ir e3 k5 s2 24->40 SE HS; ir e3 k5 s1 40->40 SE HS (residual); ir e3 k3 "
               "s2 40->48 SE HS; cn k1 48->96 HS; pool, conv_head 96->128 (bias), HS, "
               "classifier; BN eps 1e-5",
     "description": "timm MobileNetV3 (custom arch_def ds_r1_k3_s1_e1_c16_se0.25_nre, "
                    "ir_r1_k3_s2_e4_c24_nre, ir_r1_k5_s2_e3_c40_se0.25 + "
                    "ir_r1_k5_s1_e3_c40_se0.25, ir_r1_k3_s2_e3_c48_se0.25, cn_r1_k1_s1_c96), "
                    "hard-sigmoid gates, BN eps 1e-5"},
    {"name": "timm_regnety_small", "family": "regnety", "hw": 36, "padding": "symmetric",
     "build": _regnety,
     "config": "RegNetCfg depth 5, w0 16, wa 16, wm 1.5, group_size 8, se_ratio 0.25, "
               "stem 16 -> widths 16, 32, 56, 80, depths 1, 1, 2, 1",
     "description": "timm RegNetY (small custom RegNetCfg), Bottleneck blocks, BN eps 1e-5"},
]

CASES += [
    {"name": "timm_ghostnet_narrow", "family": "ghostnet", "hw": 40, "padding": "symmetric",
     "build": _ghostnet,
     "config": "GhostNet v1 with ghostnet_100's cfgs at width 0.1: 16 ghost bottlenecks, SE "
               "(hard sigmoid) on 7, final ConvBnAct 96, conv_head 1280",
     "description": "timm GhostNet (v1) with its entry point's cfgs at width 0.1"},
    {"name": "timm_seresnet33ts_narrow", "family": "byobnet", "hw": 40, "padding": "symmetric",
     "build": partial(_byobnet, "", 0, 128),
     # narrowed, it is no seresnet33ts: the metadata says the stem instead of a claim
     "meta": {"sekit.stem_pool": "conv"},
     "config": "ByobNet as seresnet33ts: tiered stem 12-16-32, its third conv strided (no "
               "pool), bottlenecks 32 / 64 x2 / 96 (bottle ratio 0.25), SE, final conv 128",
     "description": "timm ByobNet built as seresnet33ts is (stem_pool '', final conv), narrowed; "
                    "its stem said by __metadata__ sekit.stem_pool"},
    {"name": "timm_seresnext26ts_narrow", "family": "byobnet", "hw": 40, "padding": "symmetric",
     "build": partial(_byobnet, "maxpool", 4, 0),
     "meta": {"sekit.stem_pool": "maxpool"},
     "config": "ByobNet as seresnext26ts: tiered stem 12-16-32 and a 3x3/2 max-pool, grouped "
               "bottlenecks (group size 4) 32 / 64 x2 / 96, SE, no final conv",
     "description": "timm ByobNet built as seresnext26ts is (max-pool stem, grouped), narrowed; "
                    "its stem said by __metadata__ sekit.stem_pool"},
    {"name": "timm_rexnet_narrow", "family": "rexnet", "hw": 36, "padding": "symmetric",
     "build": _rexnet,
     "config": "RexNet(width_mult=0.25): stem 32, 16 LinearBottlenecks (widths 16 .. 56), "
               "SE ratio 1/12 with BatchNorm, head conv 320; BN eps 1e-5",
     "description": "timm ReXNet (the RexNet class at width 0.1), SE with BatchNorm, ReLU6 "
                    "after the SE, partial residuals"},
]
CASES += [
    {"name": f"timm_{name}_narrow", "family": family, "hw": hw,
     "padding": "same" if name.startswith("tf_") else "symmetric",
     "build": partial(_narrowed, name, mult, feats, classes),
     "meta": {"sekit.arch": name},
     "config": f"timm's {name} (its entry point's arch_def and layers), widths x{mult} by "
               f"round_channels, head {feats}, {classes} classes",
     "description": f"timm {name} as its entry point builds it, widths x{mult}, claimed by "
                    "__metadata__ sekit.arch"}
    for name, family, mult, feats, classes, hw in NARROWED
]

# --full: timm's own full-size models, with their known parameter counts.
FULL = [
    ("efficientnet_b0", "efficientnet", "symmetric", 5_288_548),
    ("tf_efficientnet_b0", "efficientnet", "same", 5_288_548),
    ("mobilenetv3_large_100", "mobilenetv3", "symmetric", 5_483_032),
    ("regnety_016", "regnety", "symmetric", 11_202_430),
    ("semnasnet_100", "efficientnet", "symmetric", 3_887_038),
    ("mnasnet_small", "efficientnet", "symmetric", 2_030_264),
    ("lcnet_100", "mobilenetv3", "symmetric", 2_953_800),
    ("fbnetv3_b", "mobilenetv3", "symmetric", 8_598_464),
    ("hardcorenas_a", "mobilenetv3", "symmetric", 5_260_232),
    ("mixnet_s", "efficientnet", "symmetric", 4_134_606),
    ("tf_mixnet_s", "efficientnet", "same", 4_134_606),
    ("mobilenetv3_small_100", "mobilenetv3", "symmetric", 2_542_856),
    ("rexnet_100", "rexnet", "symmetric", 4_796_873),
    ("rexnetr_150", "rexnet", "symmetric", 9_782_256),
    ("seresnet33ts", "byobnet", "symmetric", 19_779_200),
    ("seresnext26ts", "byobnet", "symmetric", 10_388_064),
    ("ghostnet_100", "ghostnet", "symmetric", 5_182_508),
]
FULL_HW = 224
FULL_IMAGES = 1


# ------------------------------------------------------------------------------------------
# timm's SE modules and blocks

def _is_se(m: nn.Module) -> bool:
    return isinstance(m, (T["eb"].SqueezeExcite, T["SEModule"]))


def se_modules(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every timm SE module, in named_modules() (= network) order."""
    return [(n, m) for n, m in model.named_modules() if _is_se(m)]


def se_fcs(se: nn.Module) -> tuple[nn.Conv2d, nn.Conv2d]:
    if isinstance(se, T["eb"].SqueezeExcite):
        return se.conv_reduce, se.conv_expand
    assert not se.add_maxpool, "SEModule without its max-pool variant only"
    return se.fc1, se.fc2


def se_bn(se: nn.Module) -> nn.Module:
    """The BatchNorm after the first FC: ReXNet's SEModule(norm_layer=BatchNorm2d), else
    Identity."""
    return se.bn if isinstance(se, T["SEModule"]) else nn.Identity()


def se_act(se: nn.Module) -> nn.Module:
    return se.act1 if isinstance(se, T["eb"].SqueezeExcite) else se.act


def pre_gate(se: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The SE's values before its gate, computed as its forward does."""
    reduce, expand = se_fcs(se)
    return expand(se_act(se)(se_bn(se)(reduce(x.mean((2, 3), keepdim=True)))))


def gate_kind(se: nn.Module) -> str:
    if isinstance(se.gate, nn.Hardsigmoid):
        return "hardsigmoid"
    assert isinstance(se.gate, (nn.Sigmoid, T["TimmSigmoid"])), type(se.gate)
    return "sigmoid"


ACTS = {nn.ReLU: "relu", nn.SiLU: "silu", nn.Hardswish: "hardswish"}


def act_name(m: nn.Module) -> str:
    return ACTS[type(m)]


def blocks(model: nn.Module) -> list[tuple[str, nn.Module]]:
    """Every block, in network order: blocks.<s>.<i> (EfficientNet, MobileNetV3) or s<k>.b<j>
    (RegNet)."""
    eb, regnet = T["eb"], T["regnet"]
    kinds = (eb.DepthwiseSeparableConv, eb.InvertedResidual, eb.ConvBnAct, regnet.Bottleneck,
             T["rexnet"].LinearBottleneck, T["byobnet"].BottleneckBlock,
             T["ghostnet"].GhostBottleneck)
    # GhostNet's last stage is one ConvBnAct, which sekit runs as the head conv
    ghost = isinstance(model, T["ghostnet"].GhostNet)
    return [(n, m) for n, m in model.named_modules()
            if isinstance(m, kinds) and not (ghost and isinstance(m, eb.ConvBnAct))]


def block_stride_act(b: nn.Module) -> tuple[int, str]:
    eb = T["eb"]
    if isinstance(b, (eb.DepthwiseSeparableConv, eb.InvertedResidual)):
        conv, act = b.conv_dw, b.bn1.act
    elif isinstance(b, eb.ConvBnAct):
        conv, act = b.conv, b.bn1.act
    elif isinstance(b, T["ghostnet"].GhostBottleneck):
        conv = b.conv_dw if b.conv_dw is not None else b.ghost1.primary_conv[0]
        act = b.ghost1.primary_conv[2]
    elif isinstance(b, T["byobnet"].BottleneckBlock):
        conv, act = b.conv2_kxk.conv, b.conv1_1x1.bn.act
        assert type(b.act) is type(act) and type(b.conv2_kxk.bn.act) is type(act)
    elif isinstance(b, T["rexnet"].LinearBottleneck):
        # the expansion's SiLU names the block; ReLU6 after the depthwise conv is ReXNet's own
        conv = b.conv_dw.conv
        act = b.conv_exp.bn.act if b.conv_exp is not None else nn.SiLU()
        assert isinstance(b.act_dw, nn.ReLU6) and isinstance(b.conv_dw.bn.act, nn.Identity)
    else:
        conv, act = b.conv2.conv, b.conv1.bn.act
        assert type(b.act3) is type(act) and type(b.conv2.bn.act) is type(act)
    if isinstance(conv, nn.ModuleDict):  # MixNet's MixedConv2d: its splits share the stride
        strides = {c.stride for c in conv.values()}
        assert len(strides) == 1, strides
        conv = next(iter(conv.values()))
    assert conv.stride[0] == conv.stride[1] and conv.dilation == (1, 1)
    return conv.stride[0], act_name(act)


def _residual_blocks(model: nn.Module) -> list[tuple[nn.Module, nn.BatchNorm2d, nn.Module]]:
    """(block, last BatchNorm of its residual branch, projection shortcut or None) for every
    block with an add whose branch ends in a BatchNorm (no activation after it)."""
    eb, regnet = T["eb"], T["regnet"]
    out = []
    for _, b in blocks(model):
        if isinstance(b, eb.DepthwiseSeparableConv) and b.has_skip:
            out.append((b, b.bn2, None))
        elif isinstance(b, eb.InvertedResidual) and b.has_skip:
            out.append((b, b.bn3, None))
        elif isinstance(b, regnet.Bottleneck):
            assert b.downsample is not None
            proj = None if isinstance(b.downsample, nn.Identity) else b.downsample
            out.append((b, b.conv3.bn, proj))
        elif isinstance(b, eb.ConvBnAct):
            assert not b.has_skip, "ConvBnAct with skip: branch ends in an activation"
        elif isinstance(b, T["ghostnet"].GhostBottleneck):
            # the branch ends in ghost2's concatenation of two BatchNorms' outputs, the second
            # fed by the first: no one BatchNorm sets its scale, so it is left as drawn
            continue
        elif isinstance(b, T["byobnet"].BottleneckBlock):
            proj = None if isinstance(b.shortcut, nn.Identity) else b.shortcut
            out.append((b, b.conv3_1x1.bn, proj))
        elif isinstance(b, T["rexnet"].LinearBottleneck) and b.use_shortcut:
            out.append((b, b.conv_pwl.bn, None))
    for _, bn, _ in out:
        assert isinstance(bn.act, nn.Identity) and isinstance(bn.drop, nn.Identity)
    return out


# ------------------------------------------------------------------------------------------
# Values (as make_golden_zoo.randomise / calibrate / reference, for timm's modules)

def randomise(model: nn.Module) -> None:
    """make_golden_zoo.randomise with timm's SE FCs and MobileNetV3's conv_head bias."""
    zoo.randomise(model, {id(fc) for _, se in se_modules(model) for fc in se_fcs(se)},
                  conv_bias=True)


@torch.no_grad()
def calibrate(model: nn.Module, x: torch.Tensor) -> None:
    """One float32 forward pass on x that, in network order, (1) scales every residual
    branch's last BatchNorm (weight and bias) so the branch has RESIDUAL_RATIO times the spread
    of its shortcut, and (2) scales every SE block's second FC (weight and bias) so its
    pre-gate values have standard deviation GATE_LOGIT_STD[gate kind]; as
    make_golden_zoo.calibrate. timm's RegNet Bottleneck runs its projection shortcut after the
    branch, so the block's pre-hook computes the shortcut itself."""
    hooks = []
    seen: dict[int, float] = {}

    def se_pre(se, inp):
        logits = pre_gate(se, inp[0])
        k = GATE_LOGIT_STD[gate_kind(se)] / logits.std().item()
        fc2 = se_fcs(se)[1]
        fc2.weight.mul_(k)
        fc2.bias.mul_(k)

    def block_pre(proj, block, inp):
        short = inp[0] if proj is None else proj(inp[0])
        seen[id(block)] = short.std().item()

    def bn_out(block, bn, inp, out):
        k = RESIDUAL_RATIO * seen.pop(id(block)) / out.std().item()
        bn.weight.mul_(k)
        bn.bias.mul_(k)
        return out * k

    for _, se in se_modules(model):
        hooks.append(se.register_forward_pre_hook(se_pre))
    for block, bn, proj in _residual_blocks(model):
        hooks.append(block.register_forward_pre_hook(partial(block_pre, proj)))
        hooks.append(bn.register_forward_hook(partial(bn_out, block)))
    model(x)
    for h in hooks:
        h.remove()
    assert not seen, "a residual branch's BatchNorm did not run"


@torch.no_grad()
def reference(model: nn.Module, x: torch.Tensor):
    """float64 forward pass of a deep copy; returns logits, per SE path squeeze and gate, and
    the (top, bottom, left, right) padding each Conv2dSame applied."""
    m64 = copy.deepcopy(model).double().eval()
    squeeze, gate, pads, hooks = {}, {}, {}, []
    gsp = T["get_same_padding"]
    for name, se in se_modules(m64):
        hooks.append(se.register_forward_hook(
            lambda m, i, o, n=name: squeeze.__setitem__(n, i[0].mean((2, 3)))))
        hooks.append(se.gate.register_forward_hook(
            lambda m, i, o, n=name: gate.__setitem__(n, o.flatten(1).clone())))
    for name, m in m64.named_modules():
        if isinstance(m, T["Conv2dSame"]):
            def same_pad(m, i, o, n=name):
                h, w = i[0].shape[-2:]
                ph = gsp(h, m.kernel_size[0], m.stride[0], m.dilation[0])
                pw = gsp(w, m.kernel_size[1], m.stride[1], m.dilation[1])
                pads[n] = (h, m.kernel_size[0], m.stride[0],
                           (ph // 2, ph - ph // 2, pw // 2, pw - pw // 2))
            hooks.append(m.register_forward_hook(same_pad))
    logits = m64(x.double())
    for h in hooks:
        h.remove()
    return logits, squeeze, gate, pads


def check_padding(model: nn.Module, padding: str) -> None:
    """'same': Conv2dSame exactly where timm's get_padding_value finds no static padding
    (stride > 1 or even kernel), static (k - 1) // 2 elsewhere; 'symmetric': no Conv2dSame,
    padding ((s - 1) + (k - 1)) // 2 everywhere."""
    n_same = 0
    for name, m in model.named_modules():
        if not isinstance(m, nn.Conv2d):
            continue
        k, s = m.kernel_size[0], m.stride[0]
        if isinstance(m, T["Conv2dSame"]):
            assert padding == "same" and (s > 1 or k % 2 == 0), name
            assert m.padding == (0, 0), name
            n_same += 1
        else:
            want = (k - 1) // 2 if padding == "same" else ((s - 1) + (k - 1)) // 2
            assert m.padding == (want, want), (name, m.padding, want)
            assert padding == "symmetric" or (s == 1 and k % 2 == 1), name
    assert (n_same > 0) == (padding == "same"), f"{n_same} Conv2dSame with padding {padding}"


def make_case(name: str, family: str, model: nn.Module, hw: int, n_images: int,
              description: str, padding: str, wmeta_extra: dict | None = None,
              meta_blocks: bool = False) -> dict:
    """Randomises, calibrates and runs one model; returns what to write and print (as
    make_golden_zoo.make_case, plus per-block strides and activations and the padding)."""
    torch.set_num_threads(1)
    torch.manual_seed(zlib.crc32(name.encode()))
    check_padding(model, padding)
    randomise(model)
    model.eval()
    x = torch.randn(n_images, 3, hw, hw)
    calibrate(model, x)
    weights = {k: v.detach().clone() for k, v in model.state_dict().items()}
    assert all(v.dtype == torch.float32 or k.endswith("num_batches_tracked")
               for k, v in weights.items())

    logits, squeeze, gate, pads = reference(model, x)
    ses = se_modules(model)
    paths = [n for n, _ in ses]
    assert list(gate) == paths and list(squeeze) == paths, "SE hooks did not fire in order"
    kinds = [gate_kind(se) for _, se in ses]
    assert torch.isfinite(logits).all(), f"{name}: non-finite logits"
    gate_note = zoo.check_gates(name, kinds, gate)

    blks = blocks(model)
    strides_acts = [block_stride_act(b) for _, b in blks]
    block_strides = ",".join(str(s) for s, _ in strides_acts)
    block_acts = ",".join(a for _, a in strides_acts)

    expected = {"input": x, "logits": logits.float()}
    for p in paths:
        expected[f"squeeze.{p}"] = squeeze[p].float()
        expected[f"gate.{p}"] = gate[p].float()
    eps = zoo.bn_eps(model)
    num_params = sum(p.numel() for p in model.parameters())
    se_params = sum(p.numel() for _, se in ses for p in se.parameters())
    meta = {
        "case": name,
        "layout": LAYOUT,
        "family": family,
        "se_modules": ",".join(paths),
        "gates": ",".join(kinds),
        "se_acts": ",".join(act_name(se_act(se)) for _, se in ses),
        "num_params": str(num_params),
        "se_params": str(se_params),
        "num_classes": str(logits.shape[1]),
        "in_chans": "3",
        "bn_eps": f"{eps:g}",
        "hw": str(hw),
        "block_strides": block_strides,
        "block_acts": block_acts,
        "padding": padding,
    }
    wmeta = {"case": name, "layout": LAYOUT, "family": family, "description": description,
             **(wmeta_extra or {})}
    if meta_blocks:
        wmeta["sekit.block_strides"] = block_strides
        wmeta["sekit.block_acts"] = block_acts
    se_list = [(p, se_fcs(se)[0].in_channels, se_fcs(se)[0].out_channels, kinds[i],
                act_name(se_act(se))) for i, (p, se) in enumerate(ses)]
    return {"weights": weights, "wmeta": wmeta, "expected": expected, "meta": meta,
            "se": se_list, "gate_note": gate_note, "logit_absmax": logits.abs().max().item(),
            "blocks": [(n, s, a) for (n, _), (s, a) in zip(blks, strides_acts)], "pads": pads}


def report(r: dict, size: int) -> None:
    zoo.report(r, size)
    m = r["meta"]
    print(f"  padding {m['padding']}; blocks (stride, act): "
          + ", ".join(f"{n} {s} {a}" for n, s, a in r["blocks"]))
    for n, (h, k, s, p) in r["pads"].items():
        print(f"  Conv2dSame {n}: k{k} s{s} on {h}x{h}: pad top/bottom/left/right {p}")


def main_small(out_dir: str) -> int:
    os.makedirs(out_dir, exist_ok=True)
    total = 0
    for case in CASES:
        r = make_case(case["name"], case["family"], case["build"](), case["hw"], N_IMAGES,
                      case["description"], case["padding"], case.get("meta"),
                      case.get("meta_blocks", False))
        size = zoo.write_case(out_dir, r)
        total += size
        report(r, size)
    print(f"total: {total:,} bytes in {out_dir}")
    if total >= MAX_TOTAL_BYTES:
        print(f"error: timm golden data exceeds {MAX_TOTAL_BYTES:,} bytes", file=sys.stderr)
        return 1
    return 0


# the family a timm model name belongs to (the golden metadata's), by its prefix
FAMILIES = [("tf_", None), ("efficientnet", "efficientnet"), ("tinynet", "efficientnet"),
            ("mixnet", "efficientnet"), ("semnasnet", "efficientnet"), ("mnasnet", "efficientnet"),
            ("mobilenetv3", "mobilenetv3"), ("lcnet", "mobilenetv3"), ("fbnetv3", "mobilenetv3"),
            ("hardcorenas", "mobilenetv3"), ("regnety", "regnety"), ("rexnet", "rexnet"),
            ("ghostnet", "ghostnet"), ("seresnet33ts", "byobnet"), ("seresnext26ts", "byobnet")]


def full_case(name: str) -> tuple[str, str, str, int | None]:
    """FULL's entry for name, or one derived from the name (no parameter count to check)."""
    for case in FULL:
        if case[0] == name:
            return case
    bare = name[3:] if name.startswith("tf_") else name
    family = next((f for prefix, f in FAMILIES[1:] if bare.startswith(prefix)), None)
    if family is None:
        raise SystemExit(f"error: {name} is no timm model of the families sekit runs")
    return name, family, "same" if name.startswith("tf_") else "symmetric", None


def main_full(out_dir: str, names: list[str]) -> int:
    if os.path.realpath(out_dir) == os.path.realpath(zoo.DATA):
        print("error: --full does not write into the golden data directory", file=sys.stderr)
        return 2
    bad = 0
    for name, family, padding, want in (full_case(n) for n in names) if names else FULL:
        model = T["timm"].create_model(name, pretrained=False)
        r = make_case(name, family, model, FULL_HW, FULL_IMAGES,
                      f"timm {name} (full size) with seeded random weights", padding)
        d = os.path.join(out_dir, name)
        os.makedirs(d, exist_ok=True)
        size = write_safetensors(os.path.join(d, "model.safetensors"), r["weights"], r["wmeta"])
        size += write_safetensors(os.path.join(d, "expected.safetensors"), r["expected"],
                                  r["meta"])
        with open(os.path.join(d, "config.json"), "w") as f:
            f.write(json.dumps({"architecture": name}) + "\n")
        report(r, size)
        got = int(r["meta"]["num_params"])
        if want is not None:
            status = "ok" if got == want else f"MISMATCH (want {want:,})"
            print(f"  parameter count {got:,}: {status}")
            bad += got != want
    return 1 if bad else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--timm", default=DEFAULT_TIMM,
                    help=f"directory holding timm's source (default {DEFAULT_TIMM})")
    ap.add_argument("--full", metavar="DIR",
                    help="build timm's full-size models into DIR/<name>/ instead")
    ap.add_argument("names", nargs="*",
                    help="with --full: these timm models instead of the FULL list")
    ap.add_argument("--out", metavar="DIR", default=zoo.DATA,
                    help="output directory for the small cases (default: the golden data)")
    args = ap.parse_args()
    load_timm(args.timm)
    if args.names and not args.full:
        ap.error("model names are only for --full")
    if args.full:
        return main_full(args.full, args.names)
    return main_small(args.out)


if __name__ == "__main__":
    sys.exit(main())
