"""The noisy quadratic distribution and its numerics.

Modules, each importing only the ones above it:

* ``util``: small numerical helpers (``log_ndtr``, the log-gamma ratio);
* ``quadrature``: the quadrature rules (tanh–sinh, Gauss–Legendre, panels);
* ``integrals``: the distribution's integrals by quadrature over a window, with their
  derivatives;
* ``small_noise``: one output point by point at any noise, the rescale below
  ``s = 1e-60`` and the noiseless limit;
* ``tables``: Chebyshev tables for many points of one parameter set;
* ``standardized``: the log-density and log-probabilities of the standardized variable,
  and how each batch is evaluated;
* ``order_statistics``: the expected best of ``n`` draws;
* ``noisy_quadratic``: :class:`NoisyQuadratic` and :class:`Quadratic`.

The numerics are described in ``docs/numerics.md``.
"""

import numpyro

# The log-space numerics (tails 40 noise sds out, probabilities far below 1e-300, 1e-12
# relative accuracy) need float64. This is the one place the package turns it on: every
# module that computes with the distribution imports this package first.
numpyro.enable_x64()

from bayesnq.distributions.noisy_quadratic import NoisyQuadratic, Quadratic  # noqa: E402

__all__ = ["NoisyQuadratic", "Quadratic"]
