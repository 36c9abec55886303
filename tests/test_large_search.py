"""Large searches in bounded memory and one compiled pointwise kernel (issue 25).

Fast tier: a search of 20,000 runs fitted with a tiny sampler holds no (draws x runs)
array; its PSIS-LOO from distinct columns with counts equals ArviZ's on the per-run
columns; the per-draw, per-point kernel agrees with the distribution evaluated directly;
the report embeds figures already drawn instead of drawing them again.
"""

import base64
import importlib
import warnings

import numpy as np
import pytest

import bayesnq
from bayesnq import arviz_compat
from bayesnq.curves.pointwise import CHUNK, flat_logs, outer_logs
from bayesnq.distributions import NoisyQuadratic
from bayesnq.inference.persist import load_fit

fit_module = importlib.import_module("bayesnq.inference.fit")  # the module, not fit()

N_RUNS = 20_000


def large_scores(n=N_RUNS, seed=0):
    """Accuracies of a large search on a lattice of 1e-3 (a few hundred distinct values)."""
    rng = np.random.default_rng(seed)
    y = 0.9 - 0.2 * rng.random(n) ** (2 / 3) + 0.003 * rng.standard_normal(n)
    return np.round(y, 3)


def quiet_fit(scores, **kwargs):
    settings = dict(bounds=(0, 1), num_chains=1, num_warmup=40, num_samples=40, seed=1,
                    progress_bar=False, check=False)
    settings.update(kwargs)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return bayesnq.fit(scores, **settings)


@pytest.fixture(scope="module")
def large():
    y = large_scores()
    return quiet_fit(y, threshold=float(np.quantile(y, 0.8)))


def arrays_of(fit):
    """Every numpy array the fit object holds (idata groups, compact columns, data)."""
    out = []
    for ds in arviz_compat.group_datasets(fit.idata).values():
        out += [np.asarray(v) for v in ds.data_vars.values()]
    out += [np.asarray(v) for v in (fit.log_likelihood_distinct or {}).values()]
    out += [np.asarray(getattr(fit.data, k)) for k in ("tail", "index_tail", "index_below")]
    return out


def test_large_search_holds_no_per_run_per_draw_array(large, tmp_path):
    fit = large
    draws = fit.idata.posterior.sizes["chain"] * fit.idata.posterior.sizes["draw"]
    assert fit.data.n == N_RUNS > fit_module.MAX_PER_RUN_RUNS
    groups = arviz_compat.group_datasets(fit.idata)
    assert "log_likelihood" not in groups and "posterior_predictive" not in groups
    biggest = max(a.size for a in arrays_of(fit))
    assert biggest < draws * N_RUNS / 10, biggest
    compact = fit.log_likelihood_distinct
    k = compact["y"].shape[-1]
    assert k == fit.data.n_distinct + 1 and compact["count"].sum() == N_RUNS
    # materialized on request, one column per run, each run's own term
    ll = fit.pointwise_log_likelihood()
    assert ll.shape == (1, 40, N_RUNS) and np.all(np.isfinite(ll))
    below = fit.data.index_below[0]
    np.testing.assert_array_equal(ll[..., below], compact["y"][..., -1])
    # saved and loaded, it stays compact
    path = fit.save(tmp_path / "large.nc")
    back = load_fit(path)
    assert back.log_likelihood_distinct is not None
    np.testing.assert_array_equal(back.log_likelihood_distinct["y"], compact["y"])
    np.testing.assert_array_equal(back.log_likelihood_distinct["column"], compact["column"])
    assert back.summary().loc["beta", "value"] == fit.summary().loc["beta", "value"]


def test_compact_loo_equals_arviz_on_the_runs(large):
    """PSIS-LOO from distinct columns with counts is ArviZ's PSIS-LOO on the run columns
    (20,000 of them, materialized here only)."""
    fit = large
    y = fit.scores.values
    assert fit.log_likelihood_distinct is not None
    expanded = arviz_compat.from_dict(
        posterior={k: np.asarray(fit.idata.posterior[k]) for k in ("beta", "gamma")},
        log_likelihood={"y": fit.pointwise_log_likelihood()})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        full = arviz_compat.loo(expanded, pointwise=True)
        compact = fit.loo()
    assert compact["n_data_points"] == y.size
    np.testing.assert_allclose(compact["elpd_loo"], float(full["elpd_loo"]), rtol=1e-12)
    np.testing.assert_allclose(compact["p_loo"], float(full["p_loo"]), rtol=1e-9)
    np.testing.assert_allclose(compact["se"], float(full["se"]), rtol=1e-9)


@pytest.mark.parametrize("minimize", [False, True])
def test_outer_logs_agree_with_the_distribution(minimize):
    rng = np.random.default_rng(7)
    s, m = 131, 127  # more than one chunk, the last one padded
    assert CHUNK < s * m < 2 * CHUNK
    alpha = rng.uniform(0.0, 0.5, s)
    beta = alpha + rng.uniform(0.1, 1.0, s)
    gamma = rng.uniform(0.5, 6.0, s)
    sigma = rng.uniform(1e-4, 0.05, s)
    y = np.linspace(-0.1, 1.6, m)
    lp, lc, ls = outer_logs(alpha, beta, gamma, sigma, y, minimize=minimize)
    d = NoisyQuadratic(alpha[:, None], beta[:, None], gamma[:, None], sigma[:, None],
                       minimize=minimize)
    want = [np.asarray(x) for x in (d.log_prob(y), d.log_cdf(y), d.log_sf(y))]
    for got, ref in zip((lp, lc, ls), want):
        assert got.shape == (s, m)
        np.testing.assert_allclose(got, ref, rtol=1e-12, atol=1e-12)
    # point by point: each draw at its own point (the diagonal of the outer product)
    flat = flat_logs(alpha[:m], beta[:m], gamma[:m], sigma[:m], y, minimize=minimize)
    for got, ref in zip(flat, want):
        np.testing.assert_allclose(got, np.diagonal(ref[:m]), rtol=1e-12, atol=1e-12)


def test_report_embeds_figures_already_drawn(large):
    from bayesnq.report import render_report

    fit = large
    png = b"\x89PNG\r\n\x1a\nnot-a-real-figure"
    page = render_report(fit, figures=("pairs",), images={"pairs": png})
    assert base64.b64encode(png).decode() in page
    with pytest.raises(ValueError, match="images"):
        render_report(fit, figures=("pairs",), images={"pairs": 3})
