"""Smoke run of bayesnq on whatever ArviZ the interpreter has (0.23 on 3.11, 1.x on 3.12+).

A small fit of bundled data, its summary, PSIS-LOO, LOO-PIT, a tuning curve, a threshold
comparison, the diagnostic plots and a netCDF round trip, every ArviZ call going through
:mod:`bayesnq.arviz_compat`. Exits non-zero on the first error. Run from anywhere:
``python .ci/smoke.py`` (``.ci/smoke-py312`` runs it in a fresh Python 3.12 venv).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import warnings

os.environ.setdefault("MPLBACKEND", "Agg")

import numpy as np  # noqa: E402

START = time.perf_counter()


def step(name, func):
    t0 = time.perf_counter()
    out = func()
    print(f"[smoke] {name}: ok ({time.perf_counter() - t0:.1f} s)", flush=True)
    return out


def main() -> int:
    import bayesnq
    from bayesnq import arviz_compat

    print(f"[smoke] python {sys.version.split()[0]}, arviz {arviz_compat.ARVIZ_VERSION} "
          f"({'1.x' if arviz_compat.ARVIZ_1 else '0.x'} API), bayesnq from "
          f"{os.path.dirname(bayesnq.__file__)}", flush=True)
    bayesnq.configure()
    scores = bayesnq.datasets.load("deberta-v3")

    def do_fit():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # short chains: convergence warnings expected
            return bayesnq.fit(scores, threshold=0.89, num_chains=2, num_warmup=200,
                               num_samples=200, progress_bar=False)

    f = step("fit (2 chains x 200 + 200)", do_fit)
    idata = f.idata
    assert isinstance(idata, arviz_compat.InferenceData), type(idata)
    for group in ("posterior", "sample_stats", "log_likelihood", "observed_data",
                  "posterior_predictive"):
        assert hasattr(idata, group), f"idata lacks {group}"
    assert idata.posterior.sizes["chain"] == 2 and idata.posterior.sizes["draw"] == 200

    diag = step("diagnostics (rhat, ess)", f.diagnostics)
    assert all(np.isfinite(v) for v in diag["r_hat"].values()), diag
    assert all(v > 0 for v in diag["ess_bulk"].values()), diag

    table = step("Fit.summary", f.summary)
    print(table.to_string())

    def do_loo():
        res = arviz_compat.loo(idata, pointwise=True)
        n = idata.log_likelihood["y"].shape[-1]
        assert np.isfinite(res.elpd_loo) and np.isfinite(res.se) and np.isfinite(res.p_loo)
        assert np.shape(res.loo_i) == (n,) and np.shape(res.pareto_k) == (n,)
        w = arviz_compat.waic(idata, pointwise=True)
        assert np.isfinite(w.elpd_waic) and np.isfinite(w.se)
        return res

    res = step("arviz_compat.loo / waic", do_loo)
    print(f"[smoke]   elpd_loo {res.elpd_loo:.2f} (se {res.se:.2f}), p_loo {res.p_loo:.2f}, "
          f"max k {float(np.max(res.pareto_k)):.2f}")

    pit = step("Fit.loo_pit", f.loo_pit)
    assert pit["n"] > 0 and np.all((pit["pit"] >= 0) & (pit["pit"] <= 1)), pit
    print(f"[smoke]   LOO-PIT KS p = {pit['ks_p_value']:.3f}, max k {pit['pareto_k_max']:.2f}")

    curve = step("Fit.tuning_curve", lambda: f.tuning_curve(np.array([1, 4, 16, 64])))
    print(curve if not hasattr(curve, "to_string") else curve.to_string())

    def do_compare():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return bayesnq.compare_thresholds(scores, [0.904, 0.905], num_chains=2,
                                              num_warmup=50, num_samples=50,
                                              progress=False)

    cmp = step("compare_thresholds (2 candidates)", do_compare)
    table = cmp.table() if callable(cmp.table) else cmp.table
    assert len(table) == 2, table
    print(table.to_string())

    def do_compat_extras():
        # the wrappers the fit does not exercise on every data set
        rng = np.random.default_rng(0)
        small = arviz_compat.from_dict(
            posterior={"a": rng.normal(size=(2, 50))},
            log_likelihood={"y": rng.normal(size=(2, 50, 5)) - 1},
            observed_data={"y": rng.normal(size=5)}, coords={"run": np.arange(5)},
            dims={"y": ["run"]})
        arviz_compat.add_group(small, "posterior_predictive", {"y": rng.normal(size=(2, 50, 3))},
                               coords={"replicate_run": np.arange(3)},
                               dims={"y": ["replicate_run"]})
        assert small.posterior_predictive["y"].dims == ("chain", "draw", "replicate_run")
        lw, k = arviz_compat.psislw(rng.normal(size=(5, 100)))
        assert lw.shape == (5, 100) and k.shape == (5,)
        assert np.allclose(np.log(np.exp(lw).sum(-1)), 0.0)
        s = arviz_compat.summary(idata, var_names=["alpha", "beta"])
        assert {"mean", "sd", "hdi_5%", "hdi_95%", "ess_bulk", "r_hat"} <= set(s.columns), s

    step("arviz_compat add_group / psislw / summary", do_compat_extras)

    def do_plots():
        import matplotlib.pyplot as plt
        from scipy import stats

        from bayesnq import plots

        for fn in (plots.plot_trace, plots.plot_rank, plots.plot_posterior_pairs):
            plt.close(fn(f))
        fig, ax = plt.subplots()
        arviz_compat.plot_ecdf(np.random.default_rng(0).uniform(size=30),
                               cdf=stats.uniform(0, 1).cdf, difference=True,
                               confidence_bands=True, ci_prob=0.95, ax=ax,
                               rvs=stats.uniform(0, 1).rvs, random_state=0)
        plt.close(fig)

    step("plots (trace, rank, pairs, ecdf)", do_plots)

    def do_netcdf():
        with tempfile.TemporaryDirectory() as tmp:
            path = os.path.join(tmp, "posterior.nc")
            idata.to_netcdf(path)  # as ``bayesnq fit`` writes it
            back = arviz_compat.from_netcdf(path)
            for k in ("alpha", "beta", "gamma", "sigma"):
                np.testing.assert_array_equal(np.asarray(back.posterior[k]),
                                              np.asarray(idata.posterior[k]))
            np.testing.assert_array_equal(np.asarray(back.log_likelihood["y"]),
                                          np.asarray(idata.log_likelihood["y"]))
            path2 = arviz_compat.to_netcdf(back, os.path.join(tmp, "again.nc"))
            again = arviz_compat.from_netcdf(path2)
            assert set(again.children if arviz_compat.ARVIZ_1 else again.groups()) >= {
                "posterior", "log_likelihood"}

    step("netCDF write / read", do_netcdf)
    print(f"[smoke] all ok in {time.perf_counter() - START:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
