"""Convert the opda tuning results into the compact files bundled with bayesnq.

Reads the JSON Lines files from the shared data folder (by default
``../shared/data`` next to the repository root) and writes, into
``bayesnq/datasets/``:

``alexnet.npz``, ``deberta-v3.npz``, ``convnext.npz``
    Compressed NumPy archives, one per dataset. The conversion is lossless:
    every field of every JSON record is kept, and the builder checks that the
    records rebuilt from the archive equal the source records exactly.
``LICENSE``
    The CC BY-SA 4.0 notices of the source datasets, verbatim.
``ATTRIBUTION.md``
    Source, authors, citation and a statement of what was changed.
``alexnet.README.md``, ``deberta.README.md``, ``convnext.README.md``
    The source datasets' README files, verbatim.

Archive layout
--------------
Runs are stored column-wise. A per-run field ``f`` is the array ``run.f``
(length ``n``, in search order). Learning curves are ragged, so their points
are concatenated: the points of run ``i`` are
``curve.<field>[curve_offsets[i]:curve_offsets[i + 1]]``. ``meta`` is a 0-d
string array holding JSON with the field order, the source and the licence.

Usage::

    python tools/build_datasets.py [--src DIR] [--out DIR]
"""

from __future__ import annotations

import argparse
import io
import json
import shutil
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SRC = ROOT.parent / "shared" / "data"
DEFAULT_OUT = ROOT / "bayesnq" / "datasets"
FORMAT = "bayesnq-dataset-1"

# Per-run and per-point dtypes (ConvNeXt shares AlexNet's search space and record
# layout, so it is converted by the same functions). The AlexNet metrics were measured in float32
# and printed as the float64 of a float32, so float32 storage is exact; the
# builder's round-trip check enforces this.
ALEXNET_RUN = {
    "iteration": np.int32,
    "nan_train_loss": np.bool_,
    "epochs": np.int32,
    "batch_size": np.int32,
    "lr": np.float64,
    "lr_peak_epoch": np.int32,
    "momentum": np.float64,
    "weight_decay": np.float64,
    "label_smoothing": np.float64,
}
ALEXNET_POINT = {
    "time": np.float64,
    "epoch": np.int32,
    "top_1": np.float32,
    "top_5": np.float32,
    "train_loss": np.float32,
}
DEBERTA_RUN = {
    "iteration": np.int32,
    "num_train_epochs": np.int32,
    "train_batch_size": np.int32,
    "total_model_steps": np.int32,
    "learning_rate": np.float64,
    "warmup_steps": np.int32,
    "cls_drop_out": np.float64,
}
DEBERTA_SPLITS = ("matched", "mismatched")

SOURCE_URL = "https://github.com/nicholaslourie/opda"


def read_jsonl(path: Path) -> list[dict]:
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _column(records: list[dict], key: str, dtype) -> np.ndarray:
    values = [r[key] for r in records]
    arr = np.array(values, dtype=dtype)
    if not all(type(v)(a) == v for v, a in zip(values, arr.tolist())):
        raise ValueError(f"field {key!r} does not fit {np.dtype(dtype)} exactly")
    return arr


def _check_fields(records: list[dict], expected: list[str], what: str) -> None:
    for i, r in enumerate(records):
        if list(r) != expected:
            raise ValueError(f"{what} record {i}: fields {list(r)}, expected {expected}")


def convert_alexnet(records: list[dict]) -> dict[str, np.ndarray]:
    _check_fields(records, [*ALEXNET_RUN, "learning_curve"], "alexnet")
    arrays = {f"run.{k}": _column(records, k, t) for k, t in ALEXNET_RUN.items()}
    points = [p for r in records for p in r["learning_curve"]]
    for j, p in enumerate(points):
        if list(p) != list(ALEXNET_POINT):
            raise ValueError(f"alexnet curve point {j}: fields {list(p)}")
    for k, t in ALEXNET_POINT.items():
        arrays[f"curve.{k}"] = _column(points, k, t)
    lengths = [len(r["learning_curve"]) for r in records]
    arrays["curve_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return arrays


def convert_deberta(records: list[dict]) -> dict[str, np.ndarray]:
    _check_fields(records, [*DEBERTA_RUN, "learning_curves"], "deberta")
    arrays = {f"run.{k}": _column(records, k, t) for k, t in DEBERTA_RUN.items()}
    steps, lengths = [], []
    values = {s: [] for s in DEBERTA_SPLITS}
    for i, r in enumerate(records):
        curves = r["learning_curves"]
        if list(curves) != list(DEBERTA_SPLITS):
            raise ValueError(f"deberta record {i}: curves {list(curves)}")
        run_steps = [p[0] for p in curves["matched"]]
        for s in DEBERTA_SPLITS:
            if [p[0] for p in curves[s]] != run_steps:
                raise ValueError(f"deberta record {i}: {s} steps differ from matched")
            values[s].extend(p[1] for p in curves[s])
        steps.extend(run_steps)
        lengths.append(len(run_steps))
    arrays["curve.step"] = np.array(steps, dtype=np.int32)
    for s in DEBERTA_SPLITS:
        arrays[f"curve.{s}"] = np.array(values[s], dtype=np.float64)
    arrays["curve_offsets"] = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return arrays


def rebuild_alexnet(arrays: dict[str, np.ndarray]) -> list[dict]:
    """Rebuild the source JSON records from the archive arrays."""
    off = arrays["curve_offsets"]
    records = []
    for i in range(len(off) - 1):
        r = {k: arrays[f"run.{k}"][i].item() for k in ALEXNET_RUN}
        r["learning_curve"] = [
            {k: float(arrays[f"curve.{k}"][j]) if k != "epoch" else int(arrays["curve.epoch"][j])
             for k in ALEXNET_POINT}
            for j in range(off[i], off[i + 1])
        ]
        records.append(r)
    return records


def rebuild_deberta(arrays: dict[str, np.ndarray]) -> list[dict]:
    """Rebuild the source JSON records from the archive arrays."""
    off = arrays["curve_offsets"]
    records = []
    for i in range(len(off) - 1):
        r = {k: arrays[f"run.{k}"][i].item() for k in DEBERTA_RUN}
        sl = slice(off[i], off[i + 1])
        r["learning_curves"] = {
            s: [[int(a), float(b)] for a, b in zip(arrays["curve.step"][sl], arrays[f"curve.{s}"][sl])]
            for s in DEBERTA_SPLITS
        }
        records.append(r)
    return records


def _exactly_equal(a, b) -> bool:
    """Deep equality that also requires equal types (so 1 != 1.0 != True)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_exactly_equal(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_exactly_equal(x, y) for x, y in zip(a, b))
    return a == b


def write_archive(path: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    buf = io.BytesIO()
    np.savez_compressed(buf, meta=np.array(json.dumps(meta, indent=1)), **arrays)
    path.write_bytes(buf.getvalue())


def read_archive(path: Path) -> tuple[dict[str, np.ndarray], dict]:
    with np.load(path, allow_pickle=False) as z:
        arrays = {k: z[k] for k in z.files if k != "meta"}
        meta = json.loads(str(z["meta"]))
    return arrays, meta


ATTRIBUTION = """\
# Bundled datasets: attribution and licence

The files in this folder other than `__init__.py` are data, not code. They are
**licensed under CC BY-SA 4.0** (<https://creativecommons.org/licenses/by-sa/4.0/>),
not under the MIT licence of bayesnq's code. The original licence notices are
in `LICENSE`, and the original README files are kept as `alexnet.README.md`,
`deberta.README.md` and `convnext.README.md`.

## Sources

All three datasets were created by **Nicholas Lourie** and are published with the
*Optimal Design Analysis* project, `opda` (<https://github.com/nicholaslourie/opda>).

| file here | source file | source licence notice |
|---|---|---|
| `alexnet.npz` | `alexnet_tuning.results.jsonl` (AlexNet on ImageNet, 512 random-search runs) | AlexNet Hyperparameter Tuning Data © 2025 by Nicholas Lourie, CC BY-SA 4.0 |
| `deberta-v3.npz` | `deberta-v3-base_tuning.results.jsonl` (DeBERTaV3-base on MultiNLI, 1,024 random-search runs) | DeBERTa Hyperparameter Tuning Data © 2023 by Nicholas Lourie, CC BY-SA 4.0 |
| `convnext.npz` | `convnext-tiny_tuning.results.jsonl` (ConvNeXt-tiny on ImageNet, 512 random-search runs, the search space of AlexNet) | ConvNeXt Hyperparameter Tuning Data © 2025 by Nicholas Lourie, CC BY-SA 4.0 |

The DeBERTa data were introduced in the paper below; its authors ask that uses
of the data cite it:

    Nicholas Lourie, Kyunghyun Cho and He He. "Show Your Work with Confidence:
    Confidence Bands for Tuning Curves". arXiv:2311.09480, 2023.

    @misc{lourie2023work,
        title={Show Your Work with Confidence: Confidence Bands for Tuning Curves},
        author={Nicholas Lourie and Kyunghyun Cho and He He},
        year={2023},
        eprint={2311.09480},
        archivePrefix={arXiv},
        primaryClass={cs.CL}
    }

The AlexNet and DeBERTaV3 datasets (and ConvNeXt, for the shared value of gamma) are
analysed in Nicholas Lourie, He He and Kyunghyun Cho,
"Hyperparameter Loss Surfaces Are Simple Near their Optima" (arXiv:2510.02721,
COLM 2025), whose analysis bayesnq follows.

## Changes made

- **Format conversion only.** Each JSON Lines file was converted, by
  `tools/build_datasets.py`, into one compressed NumPy archive (`.npz`). Every
  field of every record is kept (per-run fields as `run.<field>`, learning-curve
  points concatenated as `curve.<field>` with `curve_offsets` marking where each
  run starts). The builder checks that the records rebuilt from each archive
  equal the source records exactly.
- AlexNet's and ConvNeXt's `top_1`, `top_5` and `train_loss` are stored as float32; the source
  values are float32 measurements printed in float64, so this is exact.
- DeBERTaV3's `matched` and `mismatched` curves share their step column.
- Only the DeBERTaV3 file is bundled; the source's `deberta-base` file is not.
- Derived quantities (scores, `warmup_proportion`, `lr_peak_proportion`, error
  = 1 − accuracy) are computed when `bayesnq.datasets.load` is called; they are
  not stored in the archives.

Under the ShareAlike term, these converted files are distributed under the same
licence, CC BY-SA 4.0.
"""


def build(src: Path, out: Path) -> dict[str, int]:
    out.mkdir(parents=True, exist_ok=True)
    jobs = [
        ("alexnet", src / "alexnet" / "alexnet_tuning.results.jsonl",
         convert_alexnet, rebuild_alexnet, "AlexNet on ImageNet"),
        ("deberta-v3", src / "deberta" / "deberta-v3-base_tuning.results.jsonl",
         convert_deberta, rebuild_deberta, "DeBERTaV3-base on MultiNLI"),
        ("convnext", src / "convnext" / "convnext-tiny_tuning.results.jsonl",
         convert_alexnet, rebuild_alexnet, "ConvNeXt-tiny on ImageNet"),
    ]
    # ConvNeXt came later: a source folder without it builds the other two
    jobs = [j for j in jobs if j[0] != "convnext" or j[1].exists()]
    notices = []
    sizes = {}
    for name, path, convert, rebuild, title in jobs:
        records = read_jsonl(path)
        arrays = convert(records)
        notice = (path.parent / "LICENSE").read_text(encoding="utf-8").strip()
        notices.append(notice)
        meta = {
            "format": FORMAT,
            "name": name,
            "title": f"{title}: random hyperparameter search",
            "n_runs": len(records),
            "source_file": path.name,
            "source_url": SOURCE_URL,
            "creator": "Nicholas Lourie",
            "license": "CC BY-SA 4.0 (https://creativecommons.org/licenses/by-sa/4.0/)",
            "license_notice": notice,
            "changes": "format conversion (JSON Lines to compressed npz); no values changed",
            "run_fields": [k.removeprefix("run.") for k in arrays if k.startswith("run.")],
            "curve_fields": [k.removeprefix("curve.") for k in arrays if k.startswith("curve.")],
        }
        target = out / f"{name}.npz"
        write_archive(target, arrays, meta)
        back, _ = read_archive(target)
        if not _exactly_equal(rebuild(back), records):
            raise RuntimeError(f"{target}: round trip does not reproduce {path}")
        sizes[target.name] = target.stat().st_size

    (out / "LICENSE").write_text(
        f"The data files in this folder ({', '.join(sizes)}) are converted\n"
        "copies of the datasets below, licensed under CC BY-SA 4.0; see ATTRIBUTION.md.\n"
        "Full licence text: https://creativecommons.org/licenses/by-sa/4.0/legalcode\n\n"
        + "\n\n".join(notices) + "\n",
        encoding="utf-8",
    )
    (out / "ATTRIBUTION.md").write_text(ATTRIBUTION, encoding="utf-8")
    shutil.copyfile(src / "alexnet" / "README.md", out / "alexnet.README.md")
    shutil.copyfile(src / "deberta" / "README.md", out / "deberta.README.md")
    if "convnext.npz" in sizes:
        shutil.copyfile(src / "convnext" / "README.md", out / "convnext.README.md")
    return sizes


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--src", type=Path, default=DEFAULT_SRC, help="shared data folder")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder")
    args = parser.parse_args(argv)
    for fname, size in build(args.src, args.out).items():
        print(f"{args.out / fname}: {size / 1024:.0f} KiB (round trip exact)")


if __name__ == "__main__":
    main()
