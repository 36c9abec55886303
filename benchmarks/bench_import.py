"""Start-up cost: importing bayesnq and asking the command line for help.

Times each command in a fresh subprocess (best of ``--repeat``, default 5, wall clock,
interpreter start included) and prints one table: seconds and the difference to
``python -c "import numpyro"``, the floor of anything that fits a model. Then the targets:

- ``bayesnq --help`` answers in at most 0.5 s (the parser imports no numerics);
- ``import bayesnq`` costs at most ``import numpyro`` + 0.3 s (the package namespace is
  lazy, so it is far below).

Usage: python benchmarks/bench_import.py [--repeat 5]. Exits with status 1 when a target
is missed (a command that fails misses it).
"""

import argparse
import math
import os
import shutil
import subprocess
import sys
import time

HELP_TARGET = 0.5  # seconds
IMPORT_MARGIN = 0.3  # seconds over import numpyro


def bayesnq_script() -> str:
    """The ``bayesnq`` console script of this interpreter's environment."""
    beside = os.path.join(os.path.dirname(sys.executable), "bayesnq")
    if os.path.isfile(beside):
        return beside
    found = shutil.which("bayesnq")
    if found is None:
        sys.exit("bench_import: no 'bayesnq' command; pip install -e . first")
    return found


def best_time(argv, repeat) -> float:
    """Least wall time of ``repeat`` runs of ``argv`` (each a fresh process); NaN if a run
    fails (its error output is shown)."""
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        run = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        times.append(time.perf_counter() - t)
        if run.returncode != 0:
            print(f"{argv!r} failed (status {run.returncode}):\n{run.stderr}", file=sys.stderr)
            return math.nan
    return min(times)


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--repeat", type=int, default=5, help="runs per command (best is kept)")
    args = p.parse_args()

    py = sys.executable
    cases = [
        ('python -c "pass"', [py, "-c", "pass"]),
        ('python -c "import numpyro"', [py, "-c", "import numpyro"]),
        ('python -c "import bayesnq"', [py, "-c", "import bayesnq"]),
        ('python -c "import bayesnq; bayesnq.fit"', [py, "-c", "import bayesnq; bayesnq.fit"]),
        ("bayesnq --help", [bayesnq_script(), "--help"]),
    ]
    best = {}
    for label, argv in cases:
        best[label] = best_time(argv, args.repeat)
    numpyro = best['python -c "import numpyro"']

    print(f"best of {args.repeat} fresh processes, {os.cpu_count()} CPU cores")
    print(f"{'command':<42}  {'seconds':>8}  {'- numpyro':>9}")
    for label, _ in cases:
        print(f"{label:<42}  {best[label]:>8.3f}  {best[label] - numpyro:>+9.3f}"
              if not math.isnan(best[label]) else f"{label:<42}  {'failed':>8}")

    help_s = best["bayesnq --help"]
    import_s = best['python -c "import bayesnq"']
    targets = [
        (f"bayesnq --help <= {HELP_TARGET} s", help_s <= HELP_TARGET, f"{help_s:.3f} s"),
        (f"import bayesnq <= import numpyro + {IMPORT_MARGIN} s",
         import_s <= numpyro + IMPORT_MARGIN, f"{import_s:.3f} s vs {numpyro + IMPORT_MARGIN:.3f} s"),
    ]
    print()
    for what, met, measured in targets:
        print(f"{'met   ' if met else 'MISSED'}  {what}  ({measured})")
    return 0 if all(met for _, met, _ in targets) else 1


if __name__ == "__main__":
    sys.exit(main())
