"""open_recording: a sekit recording (docs/record-format.md) as one labelled xarray.Dataset."""

import numpy as np


def _text(v):
    if isinstance(v, bytes):
        return v.decode("utf-8", "replace")
    if isinstance(v, np.ndarray) and v.dtype.kind in "OS":
        return [_text(x) for x in v.tolist()]
    if isinstance(v, np.generic):
        return v.item()
    return v


def _strings(ds):
    return np.array([_text(x) for x in ds[()].tolist()], dtype=object)


def _class_names(f):
    # format 1 keeps the names in /class_names (its /class scale holds 0..K-1); format 2 makes
    # the label scale itself hold them
    for name in ("class_names", "label"):
        if name in f and f[name].dtype.kind in "OS":
            return _strings(f[name])
    k = f["logits"].shape[1]
    return np.array([str(i) for i in range(k)], dtype=object)


def open_recording(path):
    """The recording at path as an xarray.Dataset, the same for format_version 1 and 2.

    Dimensions: sample (rows, in recording order), label (the model's classes, coordinate = class
    names, so ds.sel(label="Bag") works) and one channel_<block> per SE block. Per-sample
    coordinates: true_label and predicted_label (names), true_label_index and
    predicted_label_index, sample_index (the image's index in its split) and, for image folders,
    path. Variables: logits (sample, label), excitation_<block> and, when recorded,
    squeeze_<block> (sample, channel_<block>), with the block's attributes; the file's root
    attributes are the Dataset's.
    """
    import h5py
    import xarray as xr

    with h5py.File(path, "r") as f:
        version = int(f.attrs.get("format_version", 0))
        if version not in (1, 2):
            raise ValueError(f"{path}: recording format_version {version}: expected 1 or 2")
        names = _class_names(f)
        labels = f["labels"][()].astype(np.int64)
        preds = f["predictions"][()].astype(np.int64)
        n = labels.shape[0]
        coords = {
            "sample": np.arange(n, dtype=np.int64),
            "label": names,
            "label_index": ("label", np.arange(names.shape[0], dtype=np.int64)),
            "true_label": ("sample", names[labels]),
            "true_label_index": ("sample", labels),
            "predicted_label": ("sample", names[preds]),
            "predicted_label_index": ("sample", preds),
            "sample_index": ("sample", f["sample_index"][()].astype(np.int64)),
        }
        if "class_synsets" in f:
            coords["synset"] = ("label", _strings(f["class_synsets"]))
        if "paths" in f:
            coords["path"] = ("sample", _strings(f["paths"]))
        data = {"logits": (("sample", "label"), f["logits"][()])}
        for group in ("excitation", "squeeze"):
            if group not in f:
                continue
            for block, d in f[group].items():
                dim = f"channel_{block}"
                coords.setdefault(dim, np.arange(d.shape[1], dtype=np.int64))
                attrs = {
                    k: _text(v)
                    for k, v in d.attrs.items()
                    if k not in ("DIMENSION_LIST", "REFERENCE_LIST", "CLASS", "NAME")
                }
                data[f"{group}_{block}"] = xr.Variable(("sample", dim), d[()], attrs)
        attrs = {k: _text(v) for k, v in f.attrs.items()}
    return xr.Dataset(data, coords=coords, attrs=attrs)
