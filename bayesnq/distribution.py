"""The noisy quadratic distribution: moved to :mod:`bayesnq.distributions`."""

# TRANSITION: removed when every import points at bayesnq.distributions
from bayesnq.distributions import NoisyQuadratic, Quadratic  # noqa: F401
