"""report.html (bayesnq.report, Fit.report, bayesnq fit): self-contained, escaped, and
rendered by a real headless browser (Chromium from the distribution's packages; the
browser tests skip, saying why, where it is not installed: .ci/run installs it)."""

from __future__ import annotations

import base64
import html
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

import bayesnq  # noqa: E402
from bayesnq.data import Scores  # noqa: E402
from bayesnq.report import markup  # noqa: E402

CHROMIUM = next((p for p in (shutil.which(n) for n in ("chromium", "chromium-browser")) if p),
                None)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium; .ci/run "
                             "installs it where apt-get exists)")
NAME = 'runs <b>&amp; "quoted"</b>'  # a dataset name that must be escaped
FIGURES = 5

# written into a copy of the page: after load, how many images the browser decoded
IMAGE_CHECK = """<script>
window.addEventListener('load', function () {
  var all = Array.prototype.slice.call(document.images);
  var ok = all.filter(function (i) { return i.complete && i.naturalWidth > 0; });
  var p = document.createElement('p'); p.id = 'image-check';
  p.textContent = 'images ' + all.length + ' decoded ' + ok.length;
  document.body.appendChild(p);
});
</script>"""


def small_fit():
    """A cheap real fit: 60 noisy-quadratic scores, 1 chain x (100 + 100)."""
    import jax

    d = bayesnq.NoisyQuadratic(0.5, 0.9, 2.0, 0.01)
    values = np.asarray(d.sample(jax.random.PRNGKey(3), (60,)))
    scores = Scores(values, minimize=False, name=NAME, bounds=(0.0, 1.0))
    return bayesnq.fit(scores, threshold=float(np.quantile(values, 0.5)), num_chains=1,
                       num_warmup=100, num_samples=100, progress_bar=False, check=False)


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    fit = small_fit()
    path = fit.report(tmp_path_factory.mktemp("report") / "report.html", source="synthetic <x>")
    return fit, Path(path)


def beta_numbers(fit, ci=0.9):
    """The headline's beta median and interval, formatted as the page formats them."""
    lo, med, hi = np.quantile(fit.draws()["beta"], [(1 - ci) / 2, 0.5, (1 + ci) / 2])
    return [markup.number(x, 4) for x in (med, lo, hi)]


def chromium(*args, timeout=240):
    profile = tempfile.mkdtemp(prefix="bayesnq-chromium-")
    try:
        return subprocess.run(
            [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
             "--no-first-run", "--disable-background-networking", "--disable-component-update",
             "--disable-sync", f"--user-data-dir={profile}", *args],
            capture_output=True, text=True, timeout=timeout)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def rendered_text(dom: str) -> str:
    """The visible text of a dumped DOM: tags, styles and scripts out, entities decoded."""
    dom = re.sub(r"<(style|script)\b.*?</\1>", " ", dom, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", dom)).split())


def check_in_browser(page: Path, tmp: Path, expected: list[str], min_ink: float = 0.02):
    """Render ``page`` in Chromium: its text holds ``expected``, every image is decoded
    and the screenshot is not blank (more than ``min_ink`` of its pixels not white).
    Returns the screenshot's path."""
    probe = tmp / "probe.html"
    probe.write_text(page.read_text(encoding="utf-8").replace("</body>", IMAGE_CHECK + "</body>"),
                     encoding="utf-8")
    out = chromium("--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw",
                   "--dump-dom", probe.resolve().as_uri())
    assert out.returncode == 0, out.stderr[-2000:]
    text = rendered_text(out.stdout)
    for item in expected:
        assert item in text, (item, text[:2000])
    found = re.search(r"images (\d+) decoded (\d+)", text)
    assert found, text[-2000:]
    assert int(found.group(1)) == FIGURES and found.group(2) == found.group(1), found.group(0)

    shot = tmp / "screenshot.png"
    out = chromium(f"--screenshot={shot}", "--window-size=1200,3000", "--hide-scrollbars",
                   "--virtual-time-budget=20000", "--run-all-compositor-stages-before-draw",
                   page.resolve().as_uri())
    assert out.returncode == 0 and shot.is_file(), out.stderr[-2000:]
    import matplotlib.image

    pixels = matplotlib.image.imread(shot)[..., :3]
    assert pixels.shape[:2] == (3000, 1200)
    ink = (pixels.min(axis=-1) < 0.8).mean()  # share of pixels that are not (near) white
    assert ink > min_ink and pixels.std() > 0.02, (ink, pixels.std())
    return shot


# ----------------------------------------------------------------------------- tests
# The fast tier: the markup and the browser check on a page without a fit. The report of a
# fit is slow-marked: the small fit and the report's compiled curves took 339 s under a
# load average of 18 on the 2-core machine (2026-12-05), far past a fast test's budget.


def test_markup_escapes_and_formats():
    assert markup.text('<a href="x">&</a>') == "&lt;a href=&quot;x&quot;&gt;&amp;&lt;/a&gt;"
    assert markup.number(0.123456789) == "0.123457"
    assert markup.number(float("inf")) == "never" and markup.number(float("nan")) == ""
    assert markup.number(25360.0) == "25,360" and markup.number(7) == "7"
    cell = markup.table(["a", "b<"], [["row<1>", 1.5, "x&y"]])
    assert "<th>b&lt;</th>" in cell and "<th>row&lt;1&gt;</th>" in cell
    assert '<td class="num">1.5</td>' in cell and '<td class="text">x&amp;y</td>' in cell
    fig = markup.figure(b"\x89PNG-bytes", alt='a "b"', caption="c <d>")
    assert 'alt="a &quot;b&quot;"' in fig and "c &lt;d&gt;" in fig
    assert base64.b64encode(b"\x89PNG-bytes").decode() in fig


def test_a_page_renders_in_headless_chromium(tmp_path):
    """The browser check itself, on a small page of markup (no fit): text and an image."""
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it "
                    "where apt-get exists)")
    import io

    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4, 3))
    ax.plot([0, 1], [0, 1], lw=8)
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=80)
    plt.close(fig)
    body = markup.section("s", "A <section>", markup.table(["n", "value"], [["beta", 0.90549]])
                          + "".join(markup.figure(buf.getvalue(), "line", "a line")
                                    for _ in range(FIGURES)))
    page = tmp_path / "page.html"
    page.write_text(markup.page("title & more", "sub", body), encoding="utf-8")
    check_in_browser(page, tmp_path, ["title & more", "A <section>", "beta 0.90549"],
                     min_ink=0.003)


@pytest.mark.slow
def test_report_is_self_contained_and_escaped(report):
    fit, path = report
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    # nothing from elsewhere: no http(s) resource, no src/href but embedded data
    assert not re.search(r"""(src|href)\s*=\s*["'](?!data:|#)""", page)
    assert "http://" not in page and "https://" not in page
    images = re.findall(r'<img src="data:image/png;base64,([^"]+)"', page)
    assert len(images) == FIGURES
    assert all(base64.b64decode(b)[:8] == b"\x89PNG\r\n\x1a\n" for b in images)
    # every text escaped: the dataset name and the source never appear raw
    assert NAME not in page and "<x>" not in page
    assert html.escape(NAME, quote=True) in page and "synthetic &lt;x&gt;" in page
    med, lo, hi = beta_numbers(fit)
    assert f"<b>{med}</b>" in page and f"[{lo}, {hi}]" in page
    for section in ("summary", "more-runs", "fresh", "figures", "diagnostics", "settings",
                    "provenance"):
        assert f'<section id="{section}">' in page
    assert f'bayesnq version</th><td class="text">{bayesnq.__version__}</td>' in page
    assert "LOO-PIT" in page and "r-hat" in page and "divergent" in page


@pytest.mark.slow
def test_report_refuses_bad_arguments_before_work(report, tmp_path):
    fit, _ = report
    with pytest.raises(ValueError, match=r"figures must be names among .* got figures=\['x'\]"):
        fit.report(tmp_path / "r.html", figures=("x",))
    with pytest.raises(ValueError, match=r"path must be in an existing folder"):
        fit.report(tmp_path / "missing" / "r.html")
    with pytest.raises(ValueError, match=r"m must be"):
        fit.report(tmp_path / "r.html", m=0)


@pytest.mark.slow
@needs_chromium
def test_report_renders_in_headless_chromium(report, tmp_path):
    fit, path = report
    med, lo, hi = beta_numbers(fit)
    best = markup.number(float(np.max(fit.scores.values)), 6)
    check_in_browser(path, tmp_path, [
        f"beta = {med}", f"[{lo}, {hi}]", f"Best run made: {best}", "more runs beat the best run",
        "Diagnostics: can the fit be trusted?", NAME,
    ])


@pytest.mark.slow
@needs_chromium
def test_cli_fit_writes_a_report_of_deberta_that_renders(tmp_path):
    """The main job's data (DeBERTaV3, threshold 0.89), a shorter chain: bayesnq fit writes
    report.html beside its other files, and Chromium shows its numbers and figures."""
    out = tmp_path / "out"
    run = subprocess.run(
        [sys.executable, "-m", "bayesnq", "fit", "deberta-v3", "--threshold", "0.89",
         "--chains", "2", "--warmup", "300", "--samples", "300", "--no-progress",
         "--out", str(out)], capture_output=True, text=True, timeout=1500)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "report.html" in run.stdout
    page = out / "report.html"
    fit = bayesnq.load_fit(out / "posterior.nc")
    med, lo, hi = beta_numbers(fit)
    best = markup.number(float(np.max(fit.scores.values)), 6)  # 0.90759
    check_in_browser(page, tmp_path, [f"beta = {med}", f"[{lo}, {hi}]", f"Best run made: {best}",
                                      "P(100 more runs beat the best run by more than 0.001)",
                                      "bundled dataset deberta-v3"])
