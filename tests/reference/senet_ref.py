"""PyTorch reference SE-ResNet (Hu et al., "Squeeze-and-Excitation Networks", 2018) for sekit.

One configurable network that reproduces, name for name, the state_dict of the three projects
whose weights sekit loads, so golden data written from it exercises the same tensor names the C
loader meets in real files:

  timm       timm/models/resnet.py (seresnet*, seresnext*): conv1/bn1 stem, SE as se.fc1/fc2
             (1x1 Conv2d with bias, width timm make_divisible(C/16, 8)), stride on the 3x3.
  legacy     Cadene pretrained-models / timm senet.py (legacy_*): layer0.conv1/bn1 stem with a
             ceil-mode max-pool, SE as se_module.fc1/fc2 (1x1 Conv2d with bias, C // reduction),
             SE-ResNet bottlenecks stride the first 1x1 (Caffe), SE-ResNeXt ones the 3x3,
             classifier last_linear.
  moskomule  senet.pytorch: torchvision names, SE as se.fc.0/se.fc.2 (Linear, no bias,
             C // reduction), stride on the 3x3; with downsample="channels" and the small stem
             it is that project's CIFAR network.

timm's ResNet options and SENet-154 (timm resnet.py and senet.py, Cadene's senet.py):
  stem_deep     (c0, c1): three 3x3 convs c0, c1, stem_width (/2, /1, /1) instead of the 7x7;
                timm names them conv1.0 / conv1.3 / conv1.6 with BNs conv1.1 / conv1.4 / bn1
                (deep: c0 = c1 = stem_width / 2; tiered: c0 = 3 * (c1 // 4)), legacy
                layer0.conv1-3 / bn1-3 (SENet-154: 64, 64, 128)
  avg_down      projections as AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
                (an Identity at stride 1) + 1x1 conv + BN: downsample.0 / .1 / .2
  aa            timm's aa_layer=nn.AvgPool2d: the stem pool is AvgPool2d(2), and a stride-2
                bottleneck runs its 3x3 at stride 1 followed by AvgPool2d(2)
  reduce_first  a bottleneck's first 1x1 has width // reduce_first outputs (SENet-154: 2)
  down_kernel   kernel of the strided projections (SENet-154: 3, padding 1); timm and Cadene
                keep 1x1 for layer1's stride-1 projection

Block forward (paper Fig. 3): branch = convs + BN (ReLU between them, none after the last);
z = mean of branch over H, W; s = sigmoid(fc2(relu(fc1(z)))); out = relu(branch * s + shortcut).
One exception, kept because real weights were trained with it: timm's legacy basic block
(SEResNetBlock, legacy_seresnet18/34) applies a ReLU to the branch before the SE block.
Every SE module keeps its last z and s as .squeeze and .gate, both [N, C].
"""
from __future__ import annotations

from collections import OrderedDict

import torch
import torch.nn.functional as F
from torch import nn

LAYOUTS = ("timm", "legacy", "moskomule")
STEMS = ("imagenet", "caffe", "small")

DEFAULTS = {
    "layout": "timm",
    "stem": None,  # layout default: caffe for legacy, imagenet otherwise
    "block": "bottleneck",  # or "basic"
    "stride_on": None,  # "1x1" | "3x3"; default: 1x1 for legacy SE-ResNet bottlenecks
    "blocks": (3, 4, 6, 3),
    "planes": None,  # default 64, 128, 256, ... per stage
    "stem_width": 64,
    "groups": 1,
    "base_width": 64,
    "reduction": 16,
    "downsample": "standard",  # projection when stride != 1 or channels change; "channels":
    # only when channels change (moskomule CIFAR)
    "in_chans": 3,
    "num_classes": 1000,
    "stem_deep": None,  # (c0, c1): a deep stem, see the module docstring
    "avg_down": False,
    "aa": False,
    "reduce_first": 1,
    "down_kernel": 1,
}


def make_divisible(v: float, divisor: int = 8, min_value: int | None = None,
                   round_limit: float = 0.9) -> int:
    """timm.layers.make_divisible: v rounded to a multiple of divisor, at least min_value, and
    bumped up one divisor when that lands below round_limit * v."""
    min_value = min_value or divisor
    new_v = max(min_value, int(v + divisor / 2) // divisor * divisor)
    if new_v < round_limit * v:
        new_v += divisor
    return new_v


def se_reduced(layout: str, channels: int, reduction: int) -> int:
    """Width of the SE bottleneck (Cr) as each project computes it."""
    if layout == "timm":
        # timm's SEModule passes round_limit=0., so the 10% bump never applies there.
        return make_divisible(channels * (1.0 / reduction), 8, round_limit=0.0)
    return channels // reduction


def resolve_config(cfg: dict) -> dict:
    """cfg with defaults filled in and checked; the result is what SENet and the golden data
    metadata describe."""
    unknown = set(cfg) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"unknown config keys: {sorted(unknown)}")
    c = {**DEFAULTS, **cfg}
    if c["layout"] not in LAYOUTS:
        raise ValueError(f"layout must be one of {LAYOUTS}")
    if c["block"] not in ("basic", "bottleneck"):
        raise ValueError("block must be basic or bottleneck")
    if c["stem"] is None:
        c["stem"] = "caffe" if c["layout"] == "legacy" else "imagenet"
    if c["stem"] not in STEMS:
        raise ValueError(f"stem must be one of {STEMS}")
    c["blocks"] = tuple(c["blocks"])
    if c["planes"] is None:
        c["planes"] = tuple(64 << i for i in range(len(c["blocks"])))
    c["planes"] = tuple(c["planes"])
    if len(c["planes"]) != len(c["blocks"]) or not c["blocks"]:
        raise ValueError("planes and blocks need one entry per stage")
    if c["block"] == "basic":
        if c["groups"] != 1 or c["base_width"] != 64:
            raise ValueError("basic blocks have no groups or base_width")
        if c["stride_on"] not in (None, "3x3"):
            raise ValueError("a basic block's stride is on its first 3x3")
        c["stride_on"] = "3x3"
    elif c["stride_on"] is None:
        c["stride_on"] = "1x1" if c["layout"] == "legacy" and c["groups"] == 1 else "3x3"
    if c["stride_on"] not in ("1x1", "3x3"):
        raise ValueError("stride_on must be 1x1 or 3x3")
    if c["downsample"] not in ("standard", "channels"):
        raise ValueError("downsample must be standard or channels")
    if c["stem_deep"] is not None:
        c["stem_deep"] = tuple(c["stem_deep"])
        if len(c["stem_deep"]) != 2 or c["stem"] == "small":
            raise ValueError("stem_deep is (c0, c1) and replaces a 7x7 stem")
    if (c["aa"] or c["reduce_first"] != 1) and c["block"] != "bottleneck":
        raise ValueError("aa and reduce_first are bottleneck options")
    if c["aa"] and c["stride_on"] != "3x3":
        raise ValueError("aa moves the 3x3's stride")
    return c


def option_meta(c: dict) -> dict:
    """Golden-file metadata for the options beyond the first cases' (stem_deep, avg_down, aa,
    reduce_first, down_kernel), only where used, so the files of those cases stay unchanged."""
    meta = {}
    if c["stem_deep"]:
        meta["stem_deep"] = "%d,%d,%d" % (*c["stem_deep"], c["stem_width"])
    for key in ("avg_down", "aa"):
        if c[key]:
            meta[key] = "1"
    for key in ("reduce_first", "down_kernel"):
        if c[key] != 1:
            meta[key] = str(c[key])
    return meta


def layout_traits(c: dict) -> dict:
    """Properties fixed by the layout rather than chosen: SE parameter form and naming."""
    legacy, mosko = c["layout"] == "legacy", c["layout"] == "moskomule"
    return {
        "se_bias": not mosko,
        "se_linear": mosko,
        "se_attr": "se_module" if legacy else "se",
        "relu_before_se": legacy and c["block"] == "basic",
    }


def conv(cin: int, cout: int, k: int, stride: int = 1, groups: int = 1) -> nn.Conv2d:
    return nn.Conv2d(cin, cout, k, stride=stride, padding=k // 2, groups=groups, bias=False)


class SqueezeExcite(nn.Module):
    """The SE block. The linear form (moskomule) keeps its FCs in an nn.Sequential so they are
    named fc.0 / fc.2 (moskomule's Sequential ends in a Sigmoid too, which has no parameters and
    so no name); the conv form (timm, legacy) names them fc1 / fc2."""

    def __init__(self, channels: int, reduced: int, bias: bool, linear: bool):
        super().__init__()
        self.linear = linear
        if linear:
            self.fc = nn.Sequential(nn.Linear(channels, reduced, bias=bias), nn.ReLU(),
                                    nn.Linear(reduced, channels, bias=bias))
        else:
            self.fc1 = nn.Conv2d(channels, reduced, 1, bias=bias)
            self.fc2 = nn.Conv2d(reduced, channels, 1, bias=bias)
        self.squeeze: torch.Tensor | None = None
        self.gate: torch.Tensor | None = None

    @property
    def fcs(self) -> tuple[nn.Module, nn.Module]:
        return (self.fc[0], self.fc[2]) if self.linear else (self.fc1, self.fc2)

    def excitation_logits(self, z: torch.Tensor) -> torch.Tensor:
        """fc2(relu(fc1(z))) for z [N, C]: the gate before its sigmoid."""
        if self.linear:
            return self.fc(z)
        return self.fc2(F.relu(self.fc1(z[:, :, None, None]))).flatten(1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        z = x.mean((2, 3))
        s = torch.sigmoid(self.excitation_logits(z))
        self.squeeze, self.gate = z, s
        return x * s[:, :, None, None]


class Block(nn.Module):
    """A residual block with SE; attribute names follow the layout."""

    def __init__(self, c: dict, cin: int, planes: int, stride: int):
        super().__init__()
        t = layout_traits(c)
        self.relu_before_se = t["relu_before_se"]
        self.bottleneck = c["block"] == "bottleneck"
        self.aa = None
        if self.bottleneck:
            out = planes * 4
            width = int(planes * c["base_width"] / 64) * c["groups"]
            first = width // c["reduce_first"]
            s1, s2 = (stride, 1) if c["stride_on"] == "1x1" else (1, stride)
            if c["aa"] and s2 == 2:
                self.aa, s2 = nn.AvgPool2d(2), 1
            self.conv1 = conv(cin, first, 1, s1)
            self.bn1 = nn.BatchNorm2d(first)
            self.conv2 = conv(first, width, 3, s2, c["groups"])
            self.bn2 = nn.BatchNorm2d(width)
            self.conv3 = conv(width, out, 1)
            self.bn3 = nn.BatchNorm2d(out)
        else:
            out = planes
            self.conv1 = conv(cin, out, 3, stride)
            self.bn1 = nn.BatchNorm2d(out)
            self.conv2 = conv(out, out, 3)
            self.bn2 = nn.BatchNorm2d(out)
        self.se_attr = t["se_attr"]
        setattr(self, self.se_attr, SqueezeExcite(
            out, se_reduced(c["layout"], out, c["reduction"]), t["se_bias"], t["se_linear"]))
        if c["downsample"] == "channels":
            if cin == out and stride != 1:
                raise ValueError("downsample='channels' cannot stride an identity shortcut")
            project = cin != out
        else:
            project = stride != 1 or cin != out
        if not project:
            self.downsample = None
        elif c["avg_down"]:
            pool = (nn.AvgPool2d(2, stride, ceil_mode=True, count_include_pad=False)
                    if stride != 1 else nn.Identity())
            self.downsample = nn.Sequential(pool, conv(cin, out, 1), nn.BatchNorm2d(out))
        else:
            k = c["down_kernel"] if stride != 1 else 1
            self.downsample = nn.Sequential(conv(cin, out, k, stride), nn.BatchNorm2d(out))
        self.out_channels = out

    @property
    def se_layer(self) -> SqueezeExcite:
        return getattr(self, self.se_attr)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = F.relu(self.bn1(self.conv1(x)))
        if self.bottleneck:
            y = F.relu(self.bn2(self.conv2(y)))
            if self.aa is not None:
                y = self.aa(y)
            y = self.bn3(self.conv3(y))
        else:
            y = self.bn2(self.conv2(y))
        if self.relu_before_se:
            y = F.relu(y)
        shortcut = x if self.downsample is None else self.downsample(x)
        return F.relu(self.se_layer(y) + shortcut)


class SENet(nn.Module):
    def __init__(self, cfg: dict):
        super().__init__()
        c = self.cfg = resolve_config(cfg)
        self.legacy = c["layout"] == "legacy"
        small = c["stem"] == "small"
        sw = c["stem_width"]
        if c["stem_deep"]:
            c0, c1 = c["stem_deep"]
            convs = [conv(c["in_chans"], c0, 3, 2), conv(c0, c1, 3), conv(c1, sw, 3)]
            bns = [nn.BatchNorm2d(c0), nn.BatchNorm2d(c1), nn.BatchNorm2d(sw)]
        else:
            convs = [conv(c["in_chans"], sw, 3 if small else 7, 1 if small else 2)]
            bns = [nn.BatchNorm2d(sw)]
        if self.legacy:
            mods = []
            for i, (cv, bn) in enumerate(zip(convs, bns)):
                mods += [(f"conv{i + 1}", cv), (f"bn{i + 1}", bn), (f"relu{i + 1}", nn.ReLU())]
            self.layer0 = nn.Sequential(OrderedDict(mods))
        elif c["stem_deep"]:
            # timm: conv1 = Sequential(conv, bn, act, conv, bn, act, conv), then bn1
            self.conv1 = nn.Sequential(convs[0], bns[0], nn.ReLU(), convs[1], bns[1], nn.ReLU(),
                                       convs[2])
            self.bn1 = bns[2]
        else:
            self.conv1, self.bn1 = convs[0], bns[0]
        if c["aa"]:
            self.pool = nn.AvgPool2d(2)
        elif c["stem"] == "imagenet":
            self.pool = nn.MaxPool2d(3, 2, padding=1)
        elif c["stem"] == "caffe":
            self.pool = nn.MaxPool2d(3, 2, ceil_mode=True)
        else:
            self.pool = None

        cin = c["stem_width"]
        self.stage_names = []
        for i, (n, planes) in enumerate(zip(c["blocks"], c["planes"])):
            blocks = []
            for b in range(n):
                blocks.append(Block(c, cin, planes, 2 if i > 0 and b == 0 else 1))
                cin = blocks[-1].out_channels
            self.stage_names.append(f"layer{i + 1}")
            setattr(self, self.stage_names[-1], nn.Sequential(*blocks))
        head = nn.Linear(cin, c["num_classes"])
        if self.legacy:
            self.last_linear = head
        else:
            self.fc = head

    def se_blocks(self) -> list[tuple[str, SqueezeExcite]]:
        """(SE_<stage>_<block>, module) in network order; layer1 is stage 2 as in the paper."""
        out = []
        for s, name in enumerate(self.stage_names):
            for b, block in enumerate(getattr(self, name)):
                out.append((f"SE_{s + 2}_{b + 1}", block.se_layer))
        return out

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.layer0(x) if self.legacy else F.relu(self.bn1(self.conv1(x)))
        if self.pool is not None:
            x = self.pool(x)
        for name in self.stage_names:
            x = getattr(self, name)(x)
        x = x.mean((2, 3))
        return self.last_linear(x) if self.legacy else self.fc(x)


def seresnet50(num_classes: int = 1000) -> SENet:
    """timm's seresnet50."""
    return SENet({"layout": "timm", "block": "bottleneck", "blocks": (3, 4, 6, 3),
                  "planes": (64, 128, 256, 512), "num_classes": num_classes})


def self_check() -> None:
    m = seresnet50()
    n = sum(p.numel() for p in m.parameters())
    assert n == 28_088_024, n
    keys = m.state_dict().keys()
    for k in ("conv1.weight", "bn1.num_batches_tracked", "layer1.0.se.fc1.bias",
              "layer4.0.downsample.1.running_var", "layer4.2.conv3.weight", "fc.weight"):
        assert k in keys, k
    m.eval()
    with torch.no_grad():
        logits = m(torch.randn(2, 3, 64, 64))
    assert logits.shape == (2, 1000)
    for name, se in m.se_blocks():
        assert se.gate.shape == se.squeeze.shape == (2, se.gate.shape[1]), name
    print(f"seresnet50: {n:,} parameters, {len(m.se_blocks())} SE blocks: ok")


if __name__ == "__main__":
    self_check()
