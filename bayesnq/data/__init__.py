"""Random-search scores: the :class:`Scores` object, loading them, checking a tail.

A random search evaluates ``n`` hyperparameter configurations drawn independently from a
search space and records one score per run. This package turns result files, columns or
arrays into a :class:`Scores` object holding those scores in search order, the direction
of optimisation, which runs failed, and a sentence saying how the scores were extracted.

Score extraction follows the rules of Lourie, He & Cho (COLM 2025):

* when a run has a learning curve, its score is the **best value over the curve** (early
  stopping): :math:`y_i = \\max_t v_{i,t}` when maximising, :math:`y_i = \\min_t v_{i,t}`
  when minimising, over the finite values (:func:`reduce_curves`);
* a run with no finite value (an empty curve, a diverged run) is *failed* and gets the
  metric's **worst score** (accuracy 0, error 1, loss :math:`+\\infty`), so it lands in
  the bottom of the distribution rather than disappearing.

Modules: ``scores`` (:class:`Scores`, :func:`as_scores`), ``readers`` (files and objects
into values, columns or records), ``columns`` (typing columns, picking the score column),
``learning_curves`` (curve paths, :func:`reduce_curves`), ``configs`` (which fields are
the configuration: nested objects, ``config.*``/``params_*`` columns, plain columns),
``search_space`` (declared, checked, inferred and printed search spaces), ``load``
(:func:`load_scores`, :func:`attach_search_space` and the worst-score rule),
``optuna_study`` (an Optuna study or storage URL; optuna imported when called), ``tail``
(:func:`check_tail`, threshold suggestions).
This package imports only numpy and the ``validation`` and ``direction`` modules.
"""

from __future__ import annotations

from bayesnq.data.learning_curves import reduce_curves
from bayesnq.data.load import attach_search_space, load_scores
from bayesnq.data.scores import Scores, as_scores
from bayesnq.data.tail import check_tail

__all__ = ["Scores", "as_scores", "load_scores", "check_tail", "reduce_curves",
           "attach_search_space"]
