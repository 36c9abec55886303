"""Landscape diagnostics for random-search results.

Fitness-landscape analysis (Huang & Li, arXiv 2311.14014) adapted from full grids to the
scattered output of random search, and linked to the noisy-quadratic (NQ) tail fit.

Conventions
-----------
* **Coordinates.** Every hyperparameter is mapped to ``[0, 1]`` by the CDF of the distribution
  it was sampled from (:func:`encode`), so random-search samples are roughly uniform on the unit
  cube and Euclidean distances are comparable across hyperparameters.
* **Orientation.** Internally every measure works on the *oriented* score ``g = y`` when
  maximizing and ``g = -y`` when minimizing (:mod:`bayesnq.direction`), so larger ``g`` is
  always better. Correlations (FDC, NDC) are therefore negative on a "good" landscape in both
  directions; Hessian eigenvalues of a peak are negative in both directions.
* **Graph.** ``N_k(i)`` are the ``k`` nearest neighbours of run ``i`` in the encoded space
  (Euclidean, KD-tree, ``i`` itself excluded). Local optima and steepest ascent use the
  directed neighbour lists; components, assortativity and the correlogram use the symmetrised,
  de-duplicated edge set.
* **Baselines.** Graph counts mean little on their own: the same counts are computed for
  scores permuted over the same graph ("permutation") and for a simulated single-peak
  landscape evaluated at the same configurations ("single-peak": the concave part of a fitted
  local quadratic around the best run plus Gaussian noise, see :class:`SinglePeak`).
* **Randomness.** Every random step draws from ``numpy.random.default_rng([seed, stream])``
  with a fixed stream number per part, so results do not depend on call order or global state.

Modules, each using only the ones before it: ``checks`` and ``numerics`` (argument checks,
small statistics), ``encoding``, ``graph``, ``quadratic``, ``nulls``, ``measures``,
``fidelity`` (similarity and the low-fidelity profile), ``results``, ``analysis``
(:func:`analyze`), ``interpret`` (the measures in words, and the tail fit's gamma beside the
local quadratic) and ``report`` (file writing; the figure is
:func:`bayesnq.plots.plot_landscape`).
"""

from bayesnq.landscape.analysis import analyze
from bayesnq.landscape.encoding import encode
from bayesnq.landscape.fidelity import Similarity, fidelity_profile, similarity
from bayesnq.landscape.graph import KNNGraph, knn_graph
from bayesnq.landscape.interpret import compare_gamma, interpret
from bayesnq.landscape.measures import (Basins, Components, LocalOptima, Neutrality,
                                        assortativity, basins, correlogram, fdc, local_optima,
                                        neutrality, superlevel_components)
from bayesnq.landscape.nulls import Baseline, SinglePeak, null_distribution, single_peak
from bayesnq.landscape.quadratic import QuadraticFit, default_quadratic_size, local_quadratic
from bayesnq.landscape.report import plot_landscape, report
from bayesnq.landscape.results import LandscapeResult, Row, SubsetResult

__all__ = [
    "Baseline",
    "Basins",
    "Components",
    "KNNGraph",
    "LandscapeResult",
    "LocalOptima",
    "Neutrality",
    "QuadraticFit",
    "Row",
    "Similarity",
    "SinglePeak",
    "SubsetResult",
    "analyze",
    "assortativity",
    "basins",
    "compare_gamma",
    "correlogram",
    "default_quadratic_size",
    "encode",
    "fdc",
    "fidelity_profile",
    "interpret",
    "knn_graph",
    "local_optima",
    "local_quadratic",
    "neutrality",
    "null_distribution",
    "plot_landscape",
    "report",
    "similarity",
    "single_peak",
    "superlevel_components",
]
