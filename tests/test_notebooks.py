"""Every notebook runs top to bottom and shows its figures."""

import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
PLOT_CALL = re.compile(r"(^|\.)plot(_\w+)?\(")


def check_outputs(nb):
    """No cell raised, and every cell that calls a plot function shows an image."""
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    for c in nb.cells:
        if c.cell_type == "code" and any(PLOT_CALL.search(line.split("#")[0].strip())
                                         for line in c.source.splitlines()):
            images = [o for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
            assert len(images) == 1, (c.source, len(images))


# the notebooks that fit models run in the slow tier (the landscape one stays fast)
SLOW_NOTEBOOKS = ("01-quickstart.ipynb", "02-thresholds.ipynb", "03-calibration.ipynb")


@pytest.mark.parametrize("path", [pytest.param(p, marks=pytest.mark.slow)
                                  if p.name in SLOW_NOTEBOOKS else p for p in NOTEBOOKS],
                         ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=900, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    check_outputs(nb)
    assert NOTEBOOKS, "no notebooks found"


@pytest.mark.slow
def test_calibration_notebook_full(tmp_path, monkeypatch):
    """The full calibration studies of notebooks/03-calibration.ipynb (about 40 min on 2 cores).

    The executed notebook is written to ``$BAYESNQ_NOTEBOOK_OUT`` (default: the test's
    temporary folder), so its tables can be read afterwards.
    """
    import os

    monkeypatch.setenv("BAYESNQ_FULL_CALIBRATION", "1")
    path = Path(__file__).resolve().parents[1] / "notebooks" / "03-calibration.ipynb"
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=None, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()
    out = Path(os.environ.get("BAYESNQ_NOTEBOOK_OUT", tmp_path))
    out.mkdir(parents=True, exist_ok=True)
    nbformat.write(nb, out / path.name)
    check_outputs(nb)
    texts = [o.get("data", {}).get("text/plain", "") for c in nb.cells
             if c.cell_type == "code" for o in c.get("outputs", [])]
    assert any("mean_rank_fraction" in t for t in texts), "the SBC table is missing"
    assert any("failure" in t for t in texts), "the coverage table is missing"
