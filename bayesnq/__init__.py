"""bayesnq: Bayesian analysis of hyperparameter random search.

The noisy quadratic distribution, tail fits with NUTS, posterior-predictive tuning curves.
Importing bayesnq turns on float64 in JAX (``numpyro.enable_x64()``): the log-space
numerics need it.
"""

import numpyro as _numpyro

_numpyro.enable_x64()

from bayesnq.distribution import NoisyQuadratic, Quadratic  # noqa: E402

__version__ = "0.1.0"
__all__ = ["NoisyQuadratic", "Quadratic", "__version__"]
