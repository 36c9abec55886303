"""The regime check (issue 26): the rule picked on the landscape bank, in Fit.check."""

import math
import warnings

import jax
import numpy as np
import pytest

import bayesnq
from bayesnq.distributions import NoisyQuadratic
from bayesnq.inference.regime import (REGIME_BOUND_GAP, REGIME_MIN_TAIL, REGIME_PARETO_K,
                                      REGIME_PIT_P,
                                      bound_gap, regime_check, regime_flags,
                                      regime_line)

TRUTH = dict(alpha=0.2, beta=0.8, gamma=2.0, sigma=0.01)


def test_bound_gap_is_the_gap_in_tail_widths_both_directions():
    y = np.array([0.1, 0.5, 0.7, 0.9])
    # best 0.9, tau 0.6: width 0.3; bound 1.0: gap 0.1 / 0.3
    assert math.isclose(bound_gap(y, 0.6, 1.0, False), 0.1 / 0.3)
    # the mirror image (a loss bounded below by 0) gives the same gap
    assert math.isclose(bound_gap(1 - y, 0.4, 0.0, True), 0.1 / 0.3)
    assert bound_gap(y, 0.6, 0.9, False) == 0.0  # the best run at the bound
    assert math.isnan(bound_gap(y, 0.6, None, False))
    assert math.isnan(bound_gap(y, 0.6, np.inf, False))
    assert math.isnan(bound_gap(y, 0.95, 1.0, False))  # no run beyond tau


def test_regime_flags_each_signal_at_its_cut():
    assert regime_flags(0.5, 0.3, 1.0) == []
    assert regime_flags(math.nan, math.nan, math.nan) == []
    assert regime_flags(None, None, None) == []
    just_in = regime_flags(REGIME_PIT_P * 0.99, REGIME_PARETO_K + 0.01, REGIME_BOUND_GAP * 0.99)
    assert len(just_in) == 3
    assert "LOO-PIT" in just_in[0] and "Pareto k" in just_in[1] and "bound" in just_in[2]
    assert regime_flags(REGIME_PIT_P, REGIME_PARETO_K, REGIME_BOUND_GAP) == []
    # 4 tail runs: the LOO-PIT is not judged, the small tail is what the check says
    small = regime_flags(1e-9, 0.1, 1.0, n_tail=4)
    assert len(small) == 1 and "only 4 runs" in small[0] and "too few" in small[0]
    assert regime_flags(0.5, 0.3, 1.0, n_tail=REGIME_MIN_TAIL) == []
    assert "too few" in regime_flags(0.5, 0.3, 1.0, n_tail=REGIME_MIN_TAIL - 1)[0]


def test_excess_ties_discounts_the_lattice_and_keeps_atoms():
    from bayesnq.inference.regime import excess_ties, tied_share

    assert tied_share([1.0, 1.0, 2.0, 3.0]) == 0.25 and tied_share([]) == 0.0
    rng = np.random.default_rng(0)
    y = rng.normal(0.9, 0.002, 600)
    assert excess_ties(y) == 0.0 and excess_ties(y[:1]) == 0.0
    # a dense lattice (DeBERTaV3-like: about 10 cells per noise sd): many ties, all rounding
    h = 1e-4
    on = np.round(y / h) * h
    observed = 1 - np.unique(on).size / on.size
    assert observed > 0.5 and excess_ties(on, h) < 0.03
    # the same lattice at 1e9 units, and mirrored (a loss): the same excess
    assert excess_ties(on * 1e9, h * 1e9) == pytest.approx(excess_ties(on, h), abs=1e-9)
    assert excess_ties(-on, h) == pytest.approx(excess_ties(on, h), abs=1e-9)
    # atoms: a fifth of the runs repeat four scores; rounding to a fine lattice explains none
    atoms = np.concatenate([y[:480], np.repeat(y[:4], 30)])
    fine = np.round(atoms / 1e-7) * 1e-7
    assert excess_ties(fine, 1e-7) == pytest.approx(1 - np.unique(fine).size / fine.size,
                                                    abs=0.01)
    assert excess_ties(atoms) == pytest.approx(1 - np.unique(atoms).size / atoms.size)


def test_regime_flags_ties_beyond_the_lattice_not_rounding():
    from bayesnq.inference import Fit
    from bayesnq.inference.regime import REGIME_TIED
    from bayesnq.modeling import TailData

    assert regime_flags(0.5, 0.3, 1.0, tied=REGIME_TIED * 0.99) == []
    assert "tie" in regime_flags(0.5, 0.3, 1.0, tied=REGIME_TIED)[0]
    y, tau = _search(5, n=400)

    def check(scores, resolution):
        data = TailData.build(scores, tau, minimize=False, bounds=(0.0, 1.0),
                              resolution=resolution)
        f = Fit(scores=None, minimize=False, threshold=tau, gamma_mode="continuous",
                n_hyperparameters=None, bounds=(0.0, 1.0), idata=_posterior_near(TRUTH, 1.0),
                data=data)
        return regime_check(f)

    lattice = np.round(y, 3)  # accuracy on 1,000 examples: ties by rounding only
    tail = lattice[lattice > tau]
    assert 1 - np.unique(tail).size / tail.size > REGIME_TIED
    for res in (None, 1e-3):  # the lattice detected in the tail, or given
        r = check(lattice, res)
        assert r["tied"] < REGIME_TIED and not any("tie" in f for f in r["flags"]), r
    atoms = y.copy()
    beyond = np.flatnonzero(y > tau)
    atoms[beyond[::3]] = atoms[beyond[0]]  # a third of the tail on one score
    r = check(atoms, None)
    assert r["tied"] >= REGIME_TIED and any("tie" in f for f in r["flags"])
    assert "resolution=1/N" in r["message"]
    assert "ties beyond the lattice" in regime_line(r)
    assert f"{r['n_tail']} runs beyond the threshold" in regime_line(r) and r["n_tail"] >= 20


def _search(seed, n=80, tail_share=0.5):
    d = NoisyQuadratic(**TRUTH)
    tau = float(d.icdf(1 - tail_share))
    y = np.array(d.sample(jax.random.PRNGKey(seed), (n,)), dtype=float)
    return y, tau


def _fit(y, tau, bounds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        f = bayesnq.fit(y, threshold=tau, bounds=bounds, num_chains=1, num_warmup=100,
                        num_samples=100, seed=0, progress_bar=False, check=False)
    return f


def _regime_warnings(f):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        problems = f.check()
    texts = [str(w.message) for w in caught
             if issubclass(w.category, bayesnq.DiagnosticsWarning)
             and str(w.message).startswith("regime check")]
    return texts, problems


def _posterior_near(truth, bound, seed=0, chains=2, draws=500):
    """A Fit whose posterior is independent draws close to ``truth`` (no NUTS: fast tier).

    Every check of :meth:`Fit.check` reads only the draws, the tail data and the sampler's
    divergences, so this stands in for a fit that recovered the truth.
    """
    import arviz as az

    rng = np.random.default_rng(seed)
    shape = (chains, draws)
    rel = {"beta": 0.001}  # the tail's top runs are sensitive to beta: keep it tight
    post = {k: truth[k] * np.exp(rel.get(k, 0.02) * rng.standard_normal(shape))
            for k in truth}
    post["beta"] = np.minimum(post["beta"], bound) if bound is not None else post["beta"]
    post["tail_mass"] = np.full(shape, 0.5)
    idata = az.from_dict(posterior=post,
                         sample_stats={"diverging": np.zeros(shape, dtype=bool)})
    return idata


def _fake_fit(y, tau, bounds, truth=TRUTH):
    from bayesnq.inference import Fit
    from bayesnq.modeling import TailData

    data = TailData.build(y, tau, minimize=False, bounds=bounds)
    idata = _posterior_near(truth, bounds[1])
    return Fit(scores=None, minimize=False, threshold=tau, gamma_mode="continuous",
               n_hyperparameters=None, bounds=bounds, idata=idata, data=data)


@pytest.fixture(scope="module")
def fake_fits():
    """A well-specified search and the same search clipped at a bound, stand-in posteriors."""
    y, tau = _search(3, n=200)
    ok = _fake_fit(y, tau, (0.0, 1.0))
    cap = float(np.quantile(y, 0.9))  # the best tenth of the runs piles up at the bound
    bad = _fake_fit(np.minimum(y, cap), tau, (0.0, cap), dict(TRUTH, beta=cap))
    return ok, bad


def test_fit_check_warns_on_a_search_against_its_bound_not_on_a_well_specified_one(fake_fits):
    """Fast tier: the posterior stands in (draws near the truth), the search is real."""
    ok, bad = fake_fits
    _assert_passes(ok)
    assert regime_check(ok)["message"] == ""
    texts, problems = _regime_warnings(ok)
    assert problems == [], problems
    _assert_flagged_at_its_bound(bad)


def test_report_and_cli_line_show_the_regime_check(fake_fits):
    from bayesnq.report.page import _regime

    ok, bad = fake_fits
    assert regime_line(regime_check(ok)).endswith(": passed")
    assert "FLAGGED" in regime_line(regime_check(bad))
    assert "bound gap 0 tail widths" in regime_line(regime_check(bad))
    good_html, bad_html = _regime(ok), _regime(bad)
    assert "regime check" in good_html and 'class="ok"' in good_html
    assert 'class="warn"' in bad_html and "the scores pile up against the bound" in bad_html
    assert 'class="warn"' not in good_html


@pytest.mark.slow  # two NUTS fits (8 minutes on the loaded 2-core machine)
def test_well_specified_search_passes_and_a_search_against_its_bound_warns():
    y, tau = _search(3)
    ok = _fit(y, tau, (0.0, 1.0))  # a noisy-quadratic search, its bound far from the best
    _assert_passes(ok)

    # the same search with its best runs clipped at a bound they pile up against
    cap = float(np.quantile(y, 0.9))
    clipped = np.minimum(y, cap)
    _assert_flagged_at_its_bound(_fit(clipped, tau, (0.0, cap)))


def _assert_passes(fit):
    r = regime_check(fit)
    assert not r["flagged"], r
    assert r["bound_gap"] > REGIME_BOUND_GAP
    texts, problems = _regime_warnings(fit)
    assert texts == [] and not any(p.startswith("regime check") for p in problems)


def _assert_flagged_at_its_bound(fit):
    r = regime_check(fit)
    assert r["flagged"] and r["bound_gap"] == 0.0
    texts, problems = _regime_warnings(fit)
    assert len(texts) == 1, texts
    assert "bound" in texts[0] and "log" in texts[0] and "try" in texts[0]
    assert any(p.startswith("regime check") and "bound" in p for p in problems)
