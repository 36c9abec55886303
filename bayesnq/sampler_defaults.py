"""How long NUTS runs when the caller does not say: one home for the fit's and the CLI's
defaults.

Standard library only, so that the command line's parser (``bayesnq fit --help``) states
them without loading JAX. :func:`bayesnq.inference.default_num_samples` applies the
draw-count rule; :mod:`bayesnq.cli.specs` and :mod:`bayesnq.cli.parser` show it.
"""

from __future__ import annotations

__all__ = ["NUM_CHAINS", "NUM_WARMUP", "NUM_SAMPLES", "RESOLUTION_NUM_SAMPLES", "SEED"]

NUM_CHAINS = 4  # chains per fit
NUM_WARMUP = 1000  # warm-up iterations per chain
SEED = 0
NUM_SAMPLES = 1000  # draws per chain
#: ... and for scores known to a resolution (tied scores). With 1,000 draws r-hat went
#: over 1.01 in 3 of 24 fits of a 48-run search with 3 ties at the top (at most 1.0129, no
#: divergences: r-hat is random at that ESS); with 2,000, 1 of 63 fits of such small tied
#: searches (31 searches, both directions: sigma 1.0113 once, the others at most 1.0076;
#: 2026-12-07, docs/ties.md). Fewer fits go over, not none. It costs about 1.5x the
#: sampling.
RESOLUTION_NUM_SAMPLES = 2000
