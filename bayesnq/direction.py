r"""The one direction flip: minimize-form searches written in the maximize form.

Everything inside bayesnq computes in the *maximize orientation*: better scores are
larger and the tail of interest lies above the threshold. A minimize-form search is
mapped there by negating its scores, :math:`y \mapsto -y`, which maps
:math:`Q_{\min}(\alpha, \beta, \gamma, \sigma)` onto :math:`Q_{\max}(-\beta, -\alpha,
\gamma, \sigma)`: the ends swap as well as change sign. The map is its own inverse, so
the same functions bring results back to the user's units.

These helpers work on floats, numpy arrays and JAX arrays alike (they only multiply and
compare), and every module that needs the flip calls them rather than writing it again.
"""

from __future__ import annotations

__all__ = ["sign", "orient", "to_user", "orient_ends", "user_ends", "beyond", "best_name",
           "other_name"]


def sign(minimize: bool) -> float:
    """``-1.0`` for a minimize-form search, ``+1.0`` otherwise."""
    return -1.0 if minimize else 1.0


def orient(x, minimize: bool):
    """Scores (or a threshold, or a bound) in the maximize orientation."""
    return -x if minimize else x


to_user = orient  # the flip is its own inverse: oriented values back to the user's units


def orient_ends(alpha, beta, minimize: bool):
    r"""The support's ends :math:`(\alpha, \beta)` in the maximize orientation.

    For a minimize-form search the ends swap and change sign: :math:`(-\beta, -\alpha)`.
    """
    return (-beta, -alpha) if minimize else (alpha, beta)


user_ends = orient_ends  # likewise its own inverse


def beyond(y, threshold, minimize: bool):
    """True where a score lies beyond the threshold, in the tail (strictly better)."""
    return y < threshold if minimize else y > threshold


def best_name(minimize: bool) -> str:
    """Name of the parameter that is the best possible expected score."""
    return "alpha" if minimize else "beta"


def other_name(minimize: bool) -> str:
    """Name of the parameter at the other (worst) end of the quadratic's support."""
    return "beta" if minimize else "alpha"


def bound_ends(bounds, minimize: bool):
    """The metric's bounds ``(low, high)`` (user units) as ``(worst, best)``: the bound on
    the worst score (a floor on the quadratic part's worst end) and the one on the best
    (a ceiling on the best expected score); None where ``bounds`` is None."""
    low, high = (None, None) if bounds is None else bounds
    return (high, low) if minimize else (low, high)
