#!/usr/bin/python3
"""Check every architecture sekit knows by name against the upstream model code (run by hand).

For each name `sekit info --list` prints, this builds the upstream model of that name and
compares PyTorch's parameter count, sum(p.numel() for p in model.parameters()), with the count
`sekit info --arch NAME --json` gives for the architecture sekit builds by that name. The
parameter count covers every convolution, BatchNorm, SE and classifier tensor, so a width, a
depth, an SE reduction or a head that differs from upstream shows. Names of the timm layout
(and the legacy_* ports) are built by timm on the meta device (no memory for the weights),
the torchvision ones by torchvision. `timm/NAME` is timm's NAME where torchvision has a model
of the same name. The upstream code is not part of sekit: pass the directory that holds the
`timm` package (pytorch-image-models, aa4b5850 runs on Debian's PyTorch 1.13):

    /usr/bin/python3 tests/reference/check_presets.py --sekit build/sekit --timm DIR

It prints one line per name and exits non-zero when any count differs.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys


def upstream_count(name: str, layout: str, timm, torchvision) -> int | None:
    """PyTorch's parameter count of upstream model `name`, or None when no upstream builds it."""
    if layout == "torchvision":
        model = getattr(torchvision.models, name)()
    elif layout in ("timm", "legacy"):
        bare = name[5:] if name.startswith("timm/") else name
        if bare not in timm.list_models():
            return None
        model = timm.create_model(bare, device="meta")
    else:
        return None
    return sum(p.numel() for p in model.parameters())


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sekit", default="build/sekit", help="the sekit executable")
    ap.add_argument("--timm", required=True, help="directory holding the timm package")
    ap.add_argument("names", nargs="*", help="only these names (default: every one)")
    args = ap.parse_args()
    sys.path.insert(0, args.timm)
    import timm  # noqa: E402
    import torchvision  # noqa: E402

    listed = subprocess.run([args.sekit, "info", "--list"], check=True, capture_output=True,
                            text=True).stdout.split("\n")
    rows = [line.split() for line in listed if line.strip()]
    failed = checked = 0
    for name, *rest in rows:
        layout = rest[-1]
        if args.names and name not in args.names:
            continue
        want = upstream_count(name, layout, timm, torchvision)
        if want is None:
            print(f"{name:28s} {layout:12s} no upstream code here builds it")
            continue
        info = json.loads(subprocess.run([args.sekit, "info", "--arch", name, "--json"],
                                         check=True, capture_output=True, text=True).stdout)
        got = info["total_params"]
        checked += 1
        status = "ok" if got == want else "DIFFERS"
        failed += got != want
        print(f"{name:28s} {layout:12s} upstream {want:>14,d} sekit {got:>14,d} {status}",
              flush=True)
    print(f"{checked} names checked, {failed} differ")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
