"""The tutorial notebooks: stored executed, in step with their source, and runnable.

``tools/make_notebooks.py`` is the one source of the notebooks' cells; the stored
``.ipynb`` files are its output, executed (``--execute``). The fast tier reads the stored
files only: every code cell ran, in order, without an error, and shows its figure; the
cells are those of the generator. The slow tier executes every notebook again.
"""

import importlib.util
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
PLOT_CALL = re.compile(r"(^|\.)plot(_\w+)?\(")


def generator():
    path = ROOT / "tools" / "make_notebooks.py"
    spec = importlib.util.spec_from_file_location("make_notebooks", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def check_outputs(nb):
    """No cell raised, and every cell that calls a plot function shows an image."""
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, [(e.get("ename"), e.get("evalue")) for e in errors]
    for c in nb.cells:
        if c.cell_type == "code" and any(PLOT_CALL.search(line.split("#")[0].strip())
                                         for line in c.source.splitlines()):
            images = [o for o in c.get("outputs", []) if "image/png" in o.get("data", {})]
            assert len(images) == 1, (c.source, len(images))


# lines of a set-up cell, which shows nothing when it runs: imports, magics, configuration
SETUP_LINE = re.compile(r"^(import \S|from \S+ import |%|bayesnq\.configure\(|pd\.set_option\()")


def is_setup(source):
    lines = [x.split("#")[0].strip() for x in source.splitlines()]
    return all(SETUP_LINE.match(x) for x in lines if x)


def check_executed(nb):
    """Every code cell ran, top to bottom in one kernel, and shows its outputs (a set-up
    cell of imports and configuration alone has none to show)."""
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert code
    assert [c.get("execution_count") for c in code] == list(range(1, len(code) + 1))
    empty = [c.source.splitlines()[0] for c in code
             if not c.get("outputs") and not is_setup(c.source)]
    assert not empty, f"code cells without outputs: {empty}"


def test_notebooks_are_the_generators():
    """The stored notebooks are exactly those tools/make_notebooks.py writes (cell by cell)."""
    made = generator().NOTEBOOKS
    assert sorted(made) == [p.stem for p in NOTEBOOKS]
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        stored = [(c.cell_type, c.source) for c in nb.cells]
        fresh = [("markdown", c[3:]) if c.startswith("md:") else ("code", c)
                 for c in made[path.stem]]
        assert stored == fresh, f"{path.name} differs from tools/make_notebooks.py; regenerate it"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_stored_notebook_is_executed(path):
    """Stored with outputs for every code cell, no error output, and the figures shown."""
    nb = nbformat.read(path, as_version=4)
    check_executed(nb)
    check_outputs(nb)


def test_check_executed_catches_a_cell_without_outputs():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("1 + 1", execution_count=1, outputs=[
        nbformat.v4.new_output("execute_result", {"text/plain": "2"}, execution_count=1)]),
        nbformat.v4.new_code_cell("x = 1")]
    assert is_setup("import numpy as np\n%matplotlib inline\nbayesnq.configure()  # cache")
    assert not is_setup("import numpy as np\nx = 1")
    with pytest.raises(AssertionError):
        check_executed(nb)
    nb.cells[1].execution_count = 2
    with pytest.raises(AssertionError, match="without outputs"):
        check_executed(nb)
    nb.cells[1].outputs = [nbformat.v4.new_output("error", ename="ValueError", evalue="x",
                                                  traceback=[])]
    check_executed(nb)
    with pytest.raises(AssertionError):
        check_outputs(nb)


@pytest.mark.slow
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.name)
def test_notebook_runs(path, tmp_path):
    nb = nbformat.read(path, as_version=4)
    for c in nb.cells:  # run from scratch, not from the stored outputs
        if c.cell_type == "code":
            c.outputs, c.execution_count = [], None
    client = NotebookClient(nb, timeout=1800, kernel_name="python3",
                            resources={"metadata": {"path": str(tmp_path)}})
    client.execute()
    check_executed(nb)
    check_outputs(nb)


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
