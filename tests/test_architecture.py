"""The package's layers: imports point one way, no private names cross subpackages.

The layers (docs/architecture.md), lowest first; a module may import its own layer and the
ones below it, never one above. Read from the source with ``ast``, so the check covers
imports inside functions too.
"""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "bayesnq"

LAYERS = [
    {"validation", "direction", "runtime", "arviz_compat", "jsonable", "sampler_defaults"},
    {"distributions"},
    {"data", "datasets"},
    {"modeling"},
    {"inference", "curves"},
    {"calibration", "landscape"},
    {"plots", "cli", "report"},
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}
# presentation inside a lower subpackage, loaded only when called: landscape.report writes
# the landscape's files and figure (the one upward edge, named here)
# Fit.report writes report.html: inference.result imports bayesnq.report inside the method
ALLOWED_UPWARD = {("landscape", "plots"), ("inference", "report")}
MAX_LINES = 600


def modules():
    return sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)


def unit(path: Path) -> str:
    """The top-level subpackage or module a file belongs to ('' for bayesnq/__init__)."""
    rel = path.relative_to(PACKAGE)
    return rel.parts[0].removesuffix(".py") if rel.parts[0] != "__init__.py" else ""


def imports(path: Path):
    """(target unit, imported names, line) for every import of bayesnq inside ``path``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            parts = node.module.split(".")
            if parts[0] != "bayesnq":
                continue
            if len(parts) > 1:
                yield parts[1], parts[2:], [a.name for a in node.names], node.lineno
            else:  # from bayesnq import x, y: each name is a unit or a public name
                for a in node.names:
                    yield a.name, [], [], node.lineno
        elif isinstance(node, ast.Import):
            for a in node.names:
                parts = a.name.split(".")
                if parts[0] == "bayesnq" and len(parts) > 1:
                    yield parts[1], parts[2:], [], node.lineno


def test_every_module_belongs_to_a_layer():
    units = {unit(p) for p in modules()} - {"", "__main__"}
    assert units <= set(RANK), sorted(units - set(RANK))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(PACKAGE)))
def test_imports_point_down_and_stay_public(path):
    here = unit(path)
    if here in ("", "__main__"):
        return
    for target, submodules, names, line in imports(path):
        if target not in RANK:
            continue  # a public name of the package (bayesnq.fit): resolved lazily
        assert RANK[target] <= RANK[here] or (here, target) in ALLOWED_UPWARD, (
            f"{path.relative_to(PACKAGE)}:{line} imports bayesnq.{target} from a lower layer")
        if target != here:
            private = [n for n in [*submodules, *names] if n.startswith("_")]
            assert not private, (f"{path.relative_to(PACKAGE)}:{line} uses the private "
                                 f"name(s) {private} of bayesnq.{target}")


def test_no_module_is_too_long():
    long = {str(p.relative_to(PACKAGE)): n for p in modules()
            if (n := len(p.read_text().splitlines())) > MAX_LINES}
    assert not long, long


def test_importing_bayesnq_loads_nothing_heavy():
    import subprocess
    import sys

    code = ("import sys, bayesnq; heavy = [m for m in ('jax', 'numpyro', 'numpy', 'arviz', "
            "'matplotlib', 'pandas', 'scipy') if m in sys.modules]; print(heavy)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True).stdout.strip()
    assert out == "[]", out
