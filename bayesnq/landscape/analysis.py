r"""The analysis driver: every landscape diagnostic on all runs and on non-failed runs.

:func:`analyze` encodes the configurations, builds one kNN graph per subset of runs, fits
the local quadratic, draws the null baselines and collects everything into a
:class:`~bayesnq.landscape.LandscapeResult`. Failed runs (non-finite scores, a given mask,
scores at or beyond a floor) are kept with the worst finite score in "all" and dropped in
"non-failed".
"""

from __future__ import annotations

import math

import numpy as np

from bayesnq.data import Scores, attach_search_space
from bayesnq.direction import orient, to_user
from bayesnq.jsonable import jsonable
from bayesnq.landscape import numerics as nx
from bayesnq.landscape.checks import check_points, check_sequence
from bayesnq.landscape.encoding import describe_encoding, encode
from bayesnq.landscape.fidelity import check_curves, fidelity_profile
from bayesnq.landscape.graph import from_neighbors, nearest
from bayesnq.landscape.measures import correlogram, fdc, graph_statistics, ndc
from bayesnq.landscape.nulls import Baseline, null_distribution, single_peak
from bayesnq.landscape.quadratic import default_quadratic_size, local_quadratic
from bayesnq.landscape.results import LandscapeResult, Row, SubsetResult
from bayesnq.validation import (check_array, check_int, check_level, check_minimize,
                                check_real, fail)

__all__ = ["analyze"]


def analyze(data, configs=None, search_space=None, *, minimize=None, failed=None, floor=None,
            learning_curves=None, k=10, k_band=(5, 20), q=0.1, m_top=10, sigma=None,
            eps=(1.0, 2.0), margin=2.0, m=None, n_permutations=None, n_simulations=None,
            n_bootstrap=None, level=0.95, seed=0):
    r"""Run every landscape diagnostic, on all runs and on non-failed runs.

    Parameters
    ----------
    data : Scores or array_like of shape (n,)
        A ``bayesnq.data.Scores`` (configs, search space, direction, failed mask and learning
        curves are taken from it) or plain scores. A ``Scores`` without a search space gets
        one inferred from its hyperparameters' values
        (:func:`bayesnq.data.attach_search_space`; ``settings["search_space_source"]`` says
        how).
    configs : array_like of shape (n, d) or mapping, optional
        With plain scores: configurations. Without ``search_space`` they must already be
        encoded coordinates in [0, 1].
    search_space : mapping, optional
        See :func:`encode`. With a ``Scores``, replaces its own (checked against its
        configurations by :func:`bayesnq.data.search_space.check_search_space`).
    minimize : bool, optional
        Default: the Scores' direction, else False.
    failed : array_like of bool, optional
        Runs that failed. Non-finite scores always count as failed.
    floor : float, optional
        Runs scoring at or beyond this floor (``<=`` when maximizing, ``>=`` when minimizing)
        also count as failed, e.g. diverged runs at chance accuracy.
    learning_curves : sequence of (m_i, 2) arrays, optional
        For :func:`fidelity_profile`.
    k : int, default 10
    k_band : sequence of int, default (5, 20)
        Further ``k`` at which local optima and components are reported.
    q : float, default 0.1
        Top fraction for components, funnel fraction and top-set overlaps.
    m_top : int, default 10
        Top set size for the FDC centroid and the quadratic centre.
    sigma : float, optional
        Evaluation noise sd. Default: residual sd of the local quadratic on non-failed runs
        (``settings["sigma_source"]`` says which).
    eps : sequence of float, default (1, 2)
        Neutrality thresholds in units of sigma.
    margin : float, default 2
        Second local-optimum count with this margin in units of sigma.
    m : int, optional
        Runs in the local quadratic (default :func:`default_quadratic_size`).
    n_permutations, n_simulations, n_bootstrap : int, optional
        Replicates; default 200, 100, 300 up to 5,000 runs (bootstrap: up to m = 2,000), then
        shrinking in proportion so the cost stays about constant (at least 20).
    level : float, default 0.95
        Level of all baseline and bootstrap intervals.
    seed : int, default 0

    Returns
    -------
    LandscapeResult
    """
    name, y, configs, search_space, minimize, failed, learning_curves, space_source = \
        _resolve_data(data, configs, search_space, minimize, failed, learning_curves)
    n = y.size
    if n == 0:
        raise ValueError("data must hold at least one score, got 0")
    if search_space is None:
        u = check_points("configs", configs)
        if ((u < 0) | (u > 1)).any():
            raise fail("configs", "encoded coordinates in [0, 1] when search_space is None",
                       configs)
        names = tuple(f"x{j}" for j in range(u.shape[1]))
        encoding = {nm: "given in [0, 1]" for nm in names}
    else:
        u, names = encode(configs, search_space)
        encoding = {nm: describe_encoding(nm, search_space[nm]) for nm in names}
    if u.shape[0] != n:
        raise ValueError(f"configs must have one row per score ({n}), got {u.shape[0]} rows")
    k = check_int("k", k, minimum=1)
    k_band = tuple(check_int("k_band", kb, minimum=1) for kb in
                   check_sequence("k_band", k_band, "a sequence of integers"))
    q = check_level("q", q)
    m_top = check_int("m_top", m_top, minimum=1)
    margin = check_real("margin", margin, low=0.0)
    eps = tuple(check_real("eps", e, low=0.0) for e in
                check_sequence("eps", eps, "a sequence of numbers"))
    level = check_level("level", level)
    seed = check_int("seed", seed, minimum=0)

    finite = np.isfinite(y)
    if not finite.any():
        raise ValueError(f"data must hold at least one finite score, got none of {n}")
    bad, floor = _failed_runs(y, finite, failed, floor, minimize)
    # Non-finite scores become the worst finite score, so "all" keeps every run.
    worst = to_user(np.nanmin(orient(y, minimize)), minimize)
    y_all = np.where(finite, y, worst)
    g_all = orient(y_all, minimize)

    ok_index = np.flatnonzero(~bad)
    k_max = max((k, *k_band))
    min_runs = k_max + 2
    if n < min_runs:
        raise ValueError(f"k={k_max} needs at least {min_runs} runs, got {n}")
    subsets_index = {"all": np.arange(n)}
    if not bad.any():
        subsets_note = "no failed runs: 'non-failed' is the same as 'all'"
    elif ok_index.size < min_runs:
        subsets_note = (f"only {ok_index.size} non-failed runs, too few for k: "
                        "'non-failed' omitted")
    else:
        subsets_index["non-failed"] = ok_index
        subsets_note = f"{ok_index.size} non-failed of {n} runs"

    # Curvature and noise of the single-peak baseline come from the quadratic on the runs that
    # did not fail: failed runs at a floor would flatten it.
    base_n = subsets_index.get("non-failed", subsets_index["all"]).size
    d = u.shape[1]
    m_base = default_quadratic_size(base_n, d) if m is None else check_int("m", m, minimum=1)
    n_boot = (check_int("n_bootstrap", n_bootstrap, minimum=1) if n_bootstrap is not None
              else 300 if m_base <= 2000 else max(20, int(300 * 2000 / m_base)))
    p = (d + 1) * (d + 2) // 2
    # One neighbour query per subset at the largest k; smaller k are prefixes of it.
    neighbours = {key: nearest(u[index], k_max) for key, index in subsets_index.items()}
    graphs = {key: from_neighbors(u[index], g_all[index], minimize, nb[:, :k], dist[:, :k])
              for (key, index), (nb, dist) in zip(subsets_index.items(), neighbours.values())}
    quadratics = {}
    for key, index in subsets_index.items():
        mm = default_quadratic_size(index.size, d) if m is None else min(m, index.size)
        quadratics[key] = (local_quadratic(u[index], g_all[index], m=mm, n_top=m_top,
                                           n_bootstrap=n_boot, level=level, seed=seed,
                                           names=names, graph=graphs[key])
                           if mm > p else None)
    base_fit = quadratics.get("non-failed", quadratics["all"])
    if sigma is None:
        if base_fit is None:
            raise fail("sigma", f"given: too few runs ({base_n}) to estimate it from a "
                       f"quadratic in d={d}", sigma)
        sigma_value, sigma_source = base_fit.sigma, "residual sd of the local quadratic"
    else:
        sigma_value = check_real("sigma", sigma, low=0.0, low_open=True)
        sigma_source = "given"
    hessian = base_fit.hessian if base_fit is not None else np.zeros((d, d))

    settings = {
        "k": k, "k_band": list(k_band), "q": q, "m_top": m_top, "margin_sigma": margin,
        "eps_sigma": list(eps), "sigma": sigma_value, "sigma_source": sigma_source,
        "minimize": minimize, "orientation": "g = -y (minimize)" if minimize else "g = y",
        "encoding": encoding, "distance": "Euclidean in encoded coordinates",
        "failed_convention": (
            "failed = non-finite score | given failed mask"
            + (f" | score {'>=' if minimize else '<='} floor {floor}" if floor is not None else "")
            + "; 'all' keeps failed runs, non-finite scores replaced by the worst finite score"
            + f" ({worst}); 'non-failed' drops them and rebuilds the kNN graph"),
        "floor": floor, "subsets": subsets_note, "seed": seed, "level": level,
        "search_space_source": space_source,
        "quadratic": f"m nearest runs to the centroid of the top {m_top} runs on the best run's "
                     f"top-q component; single-peak curvature from "
                     f"the {'non-failed' if 'non-failed' in subsets_index else 'all'}-run fit",
    }
    subsets = {}
    rows = []
    for key, index in subsets_index.items():
        n_sub = index.size
        perm_n = _auto_count(n_permutations, "n_permutations", 200, n_sub)
        sim_n = _auto_count(n_simulations, "n_simulations", 100, n_sub)
        settings.setdefault("n_permutations", {})[key] = perm_n
        settings.setdefault("n_simulations", {})[key] = sim_n
        sub, sub_rows = _analyze_subset(
            key, index, u[index], g_all[index], minimize, k=k, k_band=k_band, q=q,
            m_top=m_top, sigma=sigma_value, eps=eps, margin=margin, hessian=hessian,
            quadratic=quadratics[key], graph=graphs[key], nearest=neighbours[key],
            n_permutations=perm_n,
            n_simulations=sim_n, level=level, seed=seed)
        subsets[key] = sub
        rows.extend(sub_rows)
    if not bad.any():
        subsets["non-failed"] = subsets["all"]
    settings["n_bootstrap"] = n_boot

    fidelity = None
    if learning_curves is not None:
        curves = check_curves(learning_curves)
        if len(curves) != n:
            raise ValueError(f"learning_curves must hold {n} curves (one per run), "
                             f"got {len(curves)}")
        fidelity = {}
        for key, index in subsets_index.items():
            prof = fidelity_profile([curves[i] for i in index], minimize=minimize, top=q)
            fidelity[key] = prof
            for j, f in enumerate(prof["fraction"]):
                for meas in ("spearman", "kendall", "shake_up", "top_iou", "regret"):
                    rows.append(Row(key, f"fidelity@{f:g} {meas}", float(prof[meas][j]), "",
                                    math.nan, math.nan, math.nan))
        if not bad.any():
            fidelity["non-failed"] = fidelity["all"]
    return LandscapeResult(name=name, names=names, settings=jsonable(settings),
                           subsets=subsets, failed=bad, y=y_all, fidelity=fidelity, _rows=rows)


def _analyze_subset(key, index, u, g, minimize, *, k, k_band, q, m_top, sigma, eps, margin,
                    hessian, quadratic, graph, nearest, n_permutations, n_simulations, level, seed):
    n = g.size
    n_top = nx.n_top(n, q)
    surrogate = single_peak(u, g, hessian=hessian, sigma=sigma)
    gaps = {"": 0.0, f"_margin{margin:g}sigma": margin * sigma}
    eps_abs = {f"@{e:g}sigma": e * sigma for e in eps}
    measures = {"n_runs": float(n)}
    baselines = {}
    arrays = None
    for kk in (k, *[kb for kb in k_band if kb != k]):
        if kk >= n:
            continue
        gr = (graph if kk == k
              else from_neighbors(u, g, minimize, nearest[0][:, :kk], nearest[1][:, :kk]))
        suffix = "" if kk == k else f"@k={kk}"
        if kk == k:
            observed, arrays = graph_statistics(gr, n_top=n_top, gaps=gaps, eps=eps_abs,
                                                full=True)
            stat = _graph_statistics_fn(n_top, gaps, eps_abs)
        else:
            observed = {
                name: v for name, v in graph_statistics(gr, n_top=n_top, gaps=gaps,
                                                        eps={}).items()
                if name in ("local_optima", "components")}
            stat = _graph_statistics_fn(n_top, gaps, {}, keep=("local_optima", "components"))
        perm = null_distribution(gr, stat, n=n_permutations, seed=seed)
        sim = null_distribution(gr, stat, kind="single-peak", n=n_simulations,
                                surrogate=surrogate, seed=seed)
        for name, value in observed.items():
            measures[name + suffix] = value
            baselines[name + suffix] = {
                "permutation": Baseline.from_draws(perm[name], level),
                "single-peak": Baseline.from_draws(sim[name], level)}

    best = int(np.argmax(g))
    dist_best = nx.distance_to(u, u[best])
    measures["fdc_best"] = fdc(u, g, reference="best")
    measures["fdc_top"] = fdc(u, g, reference="top", m=m_top)
    sizes = np.bincount(arrays["attractor"], minlength=n)
    measures["n_attractors"] = float(np.count_nonzero(sizes))
    measures["largest_basin"] = float(sizes.max() / n)
    measures["best_basin"] = float(sizes[best] / n)
    for lab, nu_i in arrays["neutrality"].items():
        measures[f"ndc{lab}"] = ndc(graph, nu_i)
    corr = correlogram(u, g, seed=seed)

    rows = []
    for name, value in measures.items():
        if name in baselines:
            for bname, b in baselines[name].items():
                rows.append(Row(key, name, value, bname, b.mean, b.low, b.high))
        else:
            rows.append(Row(key, name, value, "", math.nan, math.nan, math.nan))
    if quadratic is not None:
        qf = quadratic
        for name, value in (("quadratic_m", qf.m), ("quadratic_radius", qf.radius),
                            ("quadratic_r2", qf.r2), ("quadratic_sigma", qf.sigma)):
            rows.append(Row(key, name, float(value), "", math.nan, math.nan, math.nan))
        rows.append(Row(key, "participation_ratio", qf.participation_ratio, "bootstrap",
                        math.nan, *qf.participation_interval))
        rows.append(Row(key, "participation_ratio_abs", qf.participation_ratio_abs, "",
                        math.nan, math.nan, math.nan))
        rows.append(Row(key, "n_curved_10pct", float(qf.n_curved), "bootstrap", math.nan,
                        *qf.n_curved_interval))
        rows.append(Row(key, "n_significant_negative", float(qf.n_significant), "", math.nan,
                        math.nan, math.nan))
        for j, lam in enumerate(qf.eigenvalues):
            lead = qf.names[int(np.abs(qf.eigenvectors[:, j]).argmax())]
            rows.append(Row(key, f"eigenvalue_{j + 1} ({lead})", float(lam), "bootstrap",
                            math.nan, *map(float, qf.eigenvalue_interval[j])))
    for lo, hi, rho in zip(corr["edges"][:-1], corr["edges"][1:], corr["rho"]):
        rows.append(Row(key, f"correlogram[{lo:.3f},{hi:.3f}]", float(rho), "", math.nan,
                        math.nan, math.nan))
    sub = SubsetResult(name=key, index=index, graph=graph, measures=measures,
                       baselines=baselines, is_optimum=arrays["gap"] > 0,
                       distance_to_best=dist_best, attractor=arrays["attractor"],
                       quadratic=quadratic, correlogram=corr, surrogate=surrogate)
    return sub, rows


def _graph_statistics_fn(n_top, gaps, eps, keep=None):
    """The statistic the null models redraw: :func:`graph_statistics`, some keys kept."""
    def statistic(gr):
        out = graph_statistics(gr, n_top=n_top, gaps=gaps, eps=eps)
        return out if keep is None else {name: out[name] for name in keep}
    return statistic


def _auto_count(value, name, base, n):
    """Replicate count: ``base`` up to 5,000 runs, then shrinking as 1/n (at least 20)."""
    if value is not None:
        return check_int(name, value, minimum=1)
    return base if n <= 5000 else max(20, int(base * 5000 / n))


def _resolve_data(data, configs, search_space, minimize, failed, learning_curves):
    """Unpack a ``Scores``-like object or plain arrays."""
    name = "scores"
    space_source = "given" if search_space is not None else "none (encoded coordinates given)"
    if hasattr(data, "values") and hasattr(data, "minimize"):
        if configs is not None:
            raise fail("configs", "None when data is a Scores object (it carries its own)",
                       configs)
        y = np.asarray(data.values, dtype=float)
        name = str(getattr(data, "name", None) or name)
        if isinstance(data, Scores) and data.configs:
            data = attach_search_space(data, search_space)  # given, held, else inferred
            if data.search_space is None:
                raise ValueError(
                    f"search_space: the Scores {name!r} has none and none could be inferred "
                    f"({data.space_rule}); give one, e.g. search_space={{'lr': {{'kind': "
                    "'log-uniform', 'low': 1e-5, 'high': 1e-1}}")
            search_space, space_source = data.search_space, data.space_rule or "held"
        elif search_space is None:
            search_space, space_source = getattr(data, "search_space", None), "held by the data"
        configs = getattr(data, "configs", None)
        if minimize is None:
            minimize = bool(data.minimize)
        if failed is None:
            failed = getattr(data, "failed", None)
        if learning_curves is None:
            learning_curves = getattr(data, "learning_curves", None)
        if configs is None:
            raise ValueError(f"the Scores object {name!r} carries no configs; landscape "
                             "analysis needs configurations (load a file with one column or "
                             "field per hyperparameter)")
    else:
        y = check_array("data", data, ndim=1)
        if configs is None:
            raise fail("configs", "given when data is a plain score array", configs)
    minimize = check_minimize(minimize, default=False)
    return name, y, configs, search_space, minimize, failed, learning_curves, space_source


def _failed_runs(y, finite, failed, floor, minimize):
    """Mask of failed runs (non-finite, given, or at or beyond ``floor``) and the checked floor.

    A run is at or beyond the floor when its oriented score is at most the oriented floor:
    ``y <= floor`` when maximizing, ``y >= floor`` when minimizing.
    """
    n = y.size
    bad = ~finite
    if failed is not None:
        given = np.asarray(failed)
        if given.dtype != bool or given.shape != (n,):
            raise ValueError(f"failed must be a boolean array of shape ({n},), got failed of "
                             f"dtype {given.dtype} and shape {given.shape}")
        bad = bad | given
    if floor is not None:
        floor = check_real("floor", floor)
        bad = bad | (orient(y, minimize) <= orient(floor, minimize)) & finite
    return bad, floor
