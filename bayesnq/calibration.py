"""Calibration studies (public name of :mod:`bayesnq.studies`).

``bayesnq.calibration.sbc`` (simulation-based calibration) and
``bayesnq.calibration.coverage`` (coverage of the credible bands on subsamples of real
data); see :mod:`bayesnq.studies` for the methods.
"""

from bayesnq import studies as _studies
from bayesnq.studies import *  # noqa: F401,F403  (the public names of bayesnq.studies)

__all__ = list(_studies.__all__)
