r"""Command line: ``bayesnq fit``, ``thresholds``, ``landscape`` and ``calibrate``.

``bayesnq fit [DATA]`` fits the noisy quadratic tail of a random search with NUTS, prints
the posterior summary and the median tuning curve at :math:`n = 1, 2, 4, \dots` up to 100
times the number of runs, and writes into ``--out`` (default ``results/<name>``):
``summary.csv``, ``summary.json``, ``posterior.nc``, ``tuning_curve.csv`` and the plots of
:func:`bayesnq.plots.save_all` (and the marker ``bayesnq-run.json``). ``bayesnq fit --threshold auto`` infers the threshold.

``bayesnq thresholds [DATA]`` fits the tail at each candidate threshold
(:func:`bayesnq.compare_thresholds`), prints the table ranked by PSIS-LOO and writes
``thresholds.csv``, ``tuning_curve.csv`` (stacking-weighted), ``parameter_stability.png``
and ``tuning_curve.png``.

``bayesnq landscape [DATA]`` writes the landscape diagnostics of the runs
(:func:`bayesnq.landscape.report`) and prints what they mean, with the gamma of the tail fit
named by ``--fit PATH`` (or fitted here with ``--fit same``) beside the geometry; ``bayesnq calibrate sbc`` and ``bayesnq calibrate
coverage DATA`` run the calibration studies of :mod:`bayesnq.calibration`.

``DATA`` is one of

* a spec file ``*.toml`` (see ``models/README.md``): keys ``data``, ``score``, ``curve``,
  ``minimize``, ``threshold``, ``n_hyperparameters``, ``bounds``, ``gamma``, ``chains``,
  ``warmup``, ``samples``, ``seed``, ``name``, ``out``, ``floor``, ``search_space`` (a
  table), ``study``, ``objective``, ``pruned``; command-line flags override them;
* a bundled dataset name (``deberta-v3``, ``alexnet``; see :mod:`bayesnq.datasets`), where
  ``--score`` picks the metric (``accuracy`` or ``error``, default from the direction);
* a data file read by :func:`bayesnq.data.load_scores` (``--score`` names the column,
  ``--curve`` a learning-curve path);
* an Optuna storage URL, ``sqlite:///study.db`` (``--study NAME``, ``--objective K``,
  ``--pruned worst|drop|intermediate``;
  :func:`bayesnq.data.optuna_study.load_study`).

``--search-space NAME=KIND:LOW:HIGH ...`` declares the search space (else the spec's, the
study's, or one inferred from the values, printed with the summary).

Without ``DATA``: ``models/deberta-v3.toml`` if it exists in the working directory, else
the bundled DeBERTaV3 accuracy scores with the paper's settings (maximize, threshold 0.89,
5 hyperparameters, bounds [0, 1]).

Every command prepares its output folder before computing: created, checked writable and
claimed with ``bayesnq-run.json`` (the dataset's source and a digest of its scores); a
folder holding another dataset's results is refused unless ``--overwrite`` (see
:func:`bayesnq.cli.outputs.prepare_out_dir`). For a data file the default folder's name
ends with a digest of the file's path, so two files both named ``runs.csv`` do not share
one. ``calibrate sbc`` refuses DATA and the options of ``calibrate coverage`` (and
``coverage`` those of ``sbc``) rather than ignoring them.

User errors (a missing file, a bad value, an output folder that cannot be written) print
``bayesnq: error: ...`` to stderr and exit with status 2, without a traceback.

The package, in the order a command runs: :mod:`~bayesnq.cli.parser` (the options; standard
library only, so that ``bayesnq --help`` answers at once), :mod:`~bayesnq.cli.specs` (spec
files and the merged :class:`Settings`), :mod:`~bayesnq.cli.inputs` (the scores a command
names), :mod:`~bayesnq.cli.commands` (the four commands) and :mod:`~bayesnq.cli.outputs`
(output folders, printed tables, files).
"""

from __future__ import annotations

import sys

from bayesnq.cli.inputs import load_data
from bayesnq.cli.parser import build_parser
from bayesnq.cli.specs import Settings, UserError, load_spec, resolve_settings

__all__ = ["main", "build_parser", "load_spec", "resolve_settings", "load_data", "Settings",
           "UserError"]


def main(argv=None) -> int:
    """Entry point of the ``bayesnq`` command.

    Parses the arguments, sets up JAX for the process (:func:`bayesnq.configure`: a host
    device per parallel chain and the compilation cache) and runs the command.

    Parameters
    ----------
    argv : list of str, optional
        Arguments without the program name; default ``sys.argv[1:]``.

    Returns
    -------
    int
        0 on success, 2 for a user error (reported as ``bayesnq: error: ...`` on stderr).
        Invalid options exit through argparse (status 2, usage message).
    """
    parser = build_parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        parser.error(_unrecognized(sys.argv[1:] if argv is None else list(argv), extra))
    from bayesnq.cli.commands import COMMANDS
    from bayesnq.runtime import configure

    configure(host_devices="auto", compilation_cache="auto")
    try:
        return COMMANDS[args.command](args)
    except (ValueError, OSError) as exc:
        message = str(exc) or type(exc).__name__
        if isinstance(exc, OSError) and not isinstance(exc, FileNotFoundError) and exc.filename:
            message = f"{exc.strerror or exc}: {exc.filename}"
        print(f"bayesnq: error: {message}", file=sys.stderr)
        return 2


def _unrecognized(argv: list, extra: list) -> str:
    """argparse's "unrecognized arguments", or, when they follow ``--bounds LO HI``, that
    ``--bounds`` takes two values (``--bounds 0 1 2`` would otherwise blame ``2`` alone)."""
    for i, token in enumerate(argv):
        if token == "--bounds":
            values = []
            for value in argv[i + 1:]:
                if value.startswith("--"):
                    break
                values.append(value)
            if len(values) > 2 and values[2] == extra[0]:
                return (f"argument --bounds: expected 2 values LO HI, got {len(values)}: "
                        f"--bounds {' '.join(values)}")
    return f"unrecognized arguments: {' '.join(extra)}"
