"""The one source of the tutorial notebooks in ``notebooks/``.

Each notebook is a list of cells below (``md:`` starts a markdown cell). Run

    .venv/bin/python tools/make_notebooks.py            # write the cells, no outputs
    .venv/bin/python tools/make_notebooks.py --execute  # write and execute in place
    .venv/bin/python tools/make_notebooks.py --keep-outputs  # prose edits, stored outputs kept

``--execute`` runs every notebook with nbclient in a temporary working folder (the files the
notebooks write, such as ``my_search.csv`` and ``report.html``, stay there) and stores it
with its outputs and figures; ``--only 01-quickstart`` limits to some notebooks. Edit the
cells here, not the ``.ipynb`` files: the notebooks are regenerated from this file.
"""

import argparse
import sys
import tempfile
import time
from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parents[1] / "notebooks"

SETUP = ("import numpy as np\nimport pandas as pd\n%matplotlib inline\nimport bayesnq\n"
         "bayesnq.configure()  # chains in parallel on the CPU cores, compilation cache\n"
         "from bayesnq import plots\n\n"
         "pd.set_option('display.max_colwidth', 100)  # the summary's meaning column in full\n")


def notebook(cells):
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.cells = [nbf.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbf.v4.new_code_cell(c)
                for c in cells]
    return nb


QUICKSTART = [
    "md:# Quick start: from your own CSV to a shared report\n\n"
    "You ran a random search over hyperparameters and kept one score per run. bayesnq fits the "
    "*noisy quadratic* distribution to the best runs (the tail beyond a threshold) and answers "
    "the questions you have at that point:\n\n"
    "* what is the best score this search space can give, noise excluded (**beta**), and how "
    "does it relate to the best run you have?\n"
    "* how many hyperparameters effectively matter (**gamma**), and how noisy is one run "
    "(**sigma**)?\n"
    "* **should I run more?** the chance that 100 more runs beat the best run by 0.1 point;\n"
    "* can the fit be trusted, and how do I share it?\n\n"
    "The data: DeBERTaV3-base on MultiNLI, 1,024 random-search runs, bundled with bayesnq "
    "(from the opda project by Nicholas Lourie; CC BY-SA 4.0, see "
    "`bayesnq/datasets/ATTRIBUTION.md`). We first write it to a CSV as you would hold your "
    "own runs.",
    SETUP,
    "md:## 1. Your runs as a CSV\n\n"
    "One row per run, in the order they were made: a text run id, the score and the "
    "hyperparameters. Here we write such a file from the bundled dataset; with your own "
    "search, start from your file.",
    "deberta = bayesnq.datasets.load('deberta-v3')\n"
    "runs = pd.DataFrame({'run_id': [f'run{i:04d}' for i in range(len(deberta.values))],\n"
    "                     'accuracy': deberta.values,\n"
    "                     'learning_rate': deberta.configs['learning_rate'],\n"
    "                     'train_batch_size': deberta.configs['train_batch_size']})\n"
    "runs.to_csv('my_search.csv', index=False)\n"
    "runs.head()",
    "md:## 2. Fit\n\n"
    "`score=` names the score column (the file has several numeric columns; the text "
    "`run_id` is ignored). Higher accuracy is better, the default (`minimize=True` for a loss "
    "or an error rate).\n\n"
    "The **threshold** says where the tail begins: runs better than it enter through the "
    "noisy quadratic density, the others only through their count (they are censored). The "
    "DeBERTaV3 paper fitted the tail above 0.89 accuracy; if you do not know yours, use "
    "`threshold='auto'` (notebook 02 shows how to choose and compare thresholds).\n\n"
    "The sampler settings here (2 chains x 500 warmup + 500 draws) keep the notebook quick; "
    "the defaults are 4 chains x 1000 + 1000.",
    "df = pd.read_csv('my_search.csv')\n"
    "fit = bayesnq.fit(df, score='accuracy', threshold=0.89,\n"
    "                  num_chains=2, num_warmup=500, num_samples=500, progress_bar=False)\n"
    "fit",
    "md:## 3. The summary\n\n"
    "One row per variable, with what it means in words. `value` is the number to quote; "
    "`lower`/`upper` the credible interval at the level stated in the caption (90% "
    "everywhere in bayesnq). `r_hat` near 1 and a large `ess` say the sampler converged.",
    "table = fit.summary()\nprint(table.attrs['caption'])\ntable",
    "md:## 4. beta is not the best run\n\n"
    "**beta** is the best *expected* score of a configuration, noise excluded: if you "
    "retrained the best configuration many times, its scores would average around beta. "
    "The best run you observed is a single noisy draw, usually a lucky one, so it can lie "
    "*above* beta. `p_beats_best_run` is P(beta > best run): near 0 means the best run "
    "owes part of its score to noise.",
    "table.loc[['beta', 'best_run', 'p_beats_best_run'], ['value', 'lower', 'upper', 'meaning']]",
    "md:## 5. The tuning curve of a fresh search\n\n"
    "The median best score of a *fresh* search of n runs, with its 90% band; beta's band and "
    "the best run are marked, and the part beyond the number of runs you made is "
    "extrapolation. The empirical curve of your runs should lie inside the band where they "
    "overlap.",
    "plots.plot_tuning_curve(fit, empirical=deberta.values);",
    "md:## 6. Should I run more?\n\n"
    "The question is about more runs *on top of* the 1,024 made, not a fresh search. "
    "`fit.more_runs(m, delta)` gives P(the best of m more runs beats the current best by "
    "delta), the expected gain, and how many more runs reach 50/80/95% chance. "
    "0.1 point of accuracy is `delta=0.001`.",
    "more = fit.more_runs(m=100, delta=0.001)\n"
    "print(f'P(100 more runs gain 0.1 point) = {more.probability:.3f} '\n"
    "      f'[{more.probability_lower:.3f}, {more.probability_upper:.3f}]')\n"
    "print(f'expected gain of 100 more runs = {more.gain:.5f}')\n"
    "more.to_frame()",
    "md:A small chance with a small expected gain says the search has reached its plateau: "
    "more runs would mostly re-sample the noise around the same best configurations. To "
    "gain more, change the search (the space, the model, the training budget) rather than "
    "run longer. `runs_for_50%` etc. say how many more runs a given chance would take.",
    "md:A fresh search is a different question: how many runs would a new search need for "
    "its median best to reach a score? `runs_to_reach` answers it for your best run: the "
    "runs a new search would need to get there again, with its 90% band. `p_reachable` is "
    "P(target <= beta): a target above beta, such as a lucky best run, is reached only "
    "through noise, so the number of runs then measures luck, not tuning.",
    "fit.runs_to_reach(deberta.values.max())",
    "md:## 7. Can the fit be trusted?\n\n"
    "`fit.check()` looks at convergence (r-hat, effective sample size, divergences) and "
    "at the fit itself (a leave-one-out PIT test of the tail runs: does the noisy "
    "quadratic describe them?). It returns the problems found (and warns about them); an "
    "empty list means none. The tail's fitted cdf against the data shows the same by eye: "
    "the data should stay inside the predictive band.",
    "fit.check()",
    "plots.plot_tail_cdf(fit);",
    "md:## 8. Save, load, share\n\n"
    "`fit.save` writes one compact netCDF file; `bayesnq.load_fit` reads it back with every "
    "method working. `fit.report` writes `report.html`: one self-contained page with the "
    "summary, the more-runs answers, the figures, diagnostics, settings and data "
    "provenance, to attach to a paper review or send to a colleague. From the command line, "
    "`bayesnq fit my_search.csv --score accuracy` does all of this in one command.",
    "import os\n"
    "fit.save('my_fit.nc', overwrite=True)\n"
    "again = bayesnq.load_fit('my_fit.nc')\n"
    "print(f\"my_fit.nc: {os.path.getsize('my_fit.nc') / 1e6:.2f} MB\")\n"
    "again.summary().loc[['beta', 'gamma', 'sigma'], ['value', 'lower', 'upper']]",
    "path = fit.report('report.html')\n"
    "print(path, f\"{os.path.getsize('report.html') / 1e6:.2f} MB\")",
]

THRESHOLDS = [
    "md:# Choosing and comparing thresholds\n\n"
    "The noisy quadratic describes the *tail* of a random search: the runs good enough that "
    "the score behaves like a quadratic around the optimum. Where that regime begins, the "
    "threshold tau, is a choice. The DeBERTaV3 paper picked 0.89 accuracy by eye. This "
    "notebook shows three ways to choose with the data:\n\n"
    "1. `threshold='auto'`: tau becomes a parameter over a grid of candidates, with a "
    "posterior P(tau);\n"
    "2. `fit.threshold_verdict()`: does P(tau) single out a threshold, and does it matter "
    "for beta and gamma?\n"
    "3. `bayesnq.compare_thresholds`: one fit per candidate, compared by PSIS-LOO and by "
    "the stability of the parameters (the threshold-stability plot of extreme-value "
    "practice).",
    SETUP + "\nscores = bayesnq.datasets.load('deberta-v3')\n"
    "grid = bayesnq.default_thresholds(scores, n=16)  # tail fractions 5%..80%\ngrid",
    "md:## 1. The threshold as a parameter\n\n"
    "`threshold='auto'` fits on this grid. Every run has a density (a histogram body below "
    "tau spliced with the noisy quadratic tail beyond), so fits at different thresholds are "
    "comparable, and NUTS samples tau with the other parameters. The summary gains `tau` "
    "and the most probable candidates.",
    "fit = bayesnq.fit(scores, threshold='auto', num_chains=2, num_warmup=500, num_samples=500,\n"
    "                  progress_bar=False)\n"
    "print(fit.summary().attrs['threshold_note'])\n"
    "fit.summary()",
    "md:Read the warnings, if any: `fit` runs `check()` itself. With the short chains of "
    "this notebook, r-hat above 1.01 or too few effective draws mean that tau jumps between "
    "separate modes of P(tau); the defaults (4 x 1000 + 1000) mix better. A failing LOO-PIT "
    "test of an averaged tail means a mixture of tails that begin at different places fits "
    "the runs worse than one tail. Either way, look at P(tau) and the verdict below before "
    "quoting the averaged numbers.",
    "md:`threshold_probabilities()` is P(tau | data) for each candidate, with the tail "
    "fraction and the number of runs beyond it. Where P(tau) singles out one candidate, the "
    "fit *hedges*: it samples again with the next candidate with fewer runs beyond it given "
    "about as much weight, because a decided P(tau) can be too sure and only a threshold with "
    "too many runs beyond it biases beta (docs/thresholds.md). `probability` is what the "
    "draws follow, `probability_unhedged` what the data say before the hedge (the plot "
    "outlines it); `threshold_hedge=False` turns the hedge off.",
    "fit.threshold_probabilities()",
    "plots.plot_threshold_probabilities(fit);",
    "md:## 2. The verdict\n\n"
    "When P(tau) is flat or has separate modes, the data cannot choose. Then the verdict "
    "also gives beta's and gamma's intervals averaged over tau beside those given the most "
    "probable tau: if they agree, the choice does not matter for the answers; if they "
    "differ, report both.",
    "verdict = fit.threshold_verdict()\nprint(verdict['message'])\n"
    "pd.DataFrame([(k, where, *verdict[key][k]) for k in ('beta', 'gamma')\n"
    "              for where, key in (('averaged over tau', 'averaged'),\n"
    "                                 ('at the most probable tau', 'at_map'))],\n"
    "             columns=['variable', 'fit', 'lower', 'upper'])",
    "md:The tuning curve of a fresh search averages over tau.",
    "plots.plot_tuning_curve(fit);",
    "md:## 3. Candidates compared\n\n"
    "`compare_thresholds` fits each candidate separately. `elpd_loo` is PSIS-LOO of the "
    "spliced likelihood (higher is better; `elpd_diff` and its standard error `dse` against "
    "the best; `max_k` above 0.7 means the LOO estimate is unreliable), `weight` the "
    "stacking weights. `val_elpd_loo` is the validation-threshold criterion of Northrop "
    "et al. (2017): every fit judged on the runs beyond the highest candidate.",
    "# shorter runs per candidate (2 chains x 300 + 300) keep the three fits quick\n"
    "cmp = bayesnq.compare_thresholds(scores, [0.88, 0.89, 0.90], num_chains=2,\n"
    "                                 num_warmup=300, num_samples=300, progress=False)\n"
    "cmp.table[['threshold', 'tail_fraction', 'elpd_loo', 'se', 'elpd_diff', 'dse', 'max_k',\n"
    "           'weight', 'val_elpd_loo', 'val_se', 'val_weight']]",
    "md:The stability plot: above the threshold where the regime begins, the fitted beta, "
    "gamma and sigma should stay roughly constant as the threshold moves up (only their "
    "intervals widen, with fewer runs in the tail). A drift at the low thresholds says the "
    "regime has not begun there.",
    "plots.plot_parameter_stability(cmp);",
    "md:The median tuning curves of the candidates side by side: where they agree, the "
    "threshold does not change the answer.",
    "cmp.tuning_curve([1, 4, 16, 64, 256, 1024, 4096]).to_frame()",
]

CALIBRATION = [
    "md:# Calibration: do the credible intervals cover as often as they claim?\n\n"
    "A 90% interval should contain the truth 90% of the time. Two studies check this "
    "(`bayesnq.calibration`):\n\n"
    "* **simulation-based calibration (SBC)**: draw parameters from the prior, simulate a "
    "search, fit it, and record the rank of the true value among the posterior draws. If "
    "model and sampler are right, the ranks are uniform;\n"
    "* **coverage on real data**: fit small subsamples of a bundled search and count how "
    "often the tuning-curve band misses the full search's empirical curve, beside opda's "
    "nonparametric bands on the same subsamples.\n\n"
    "This notebook runs small versions (a few dozen replicates) so that it stays quick: "
    "read the tables for their format and rough agreement, not as the final word. Set the "
    "environment variable `BAYESNQ_FULL_CALIBRATION=1` for the full studies (200 SBC "
    "replicates; 100 subsamples of 48 runs per dataset; about 40 minutes on two cores). The "
    "command line runs the same studies at other sizes (`bayesnq calibrate coverage DATA "
    "--sizes 24 48 96`).",
    "import os\n"
    + SETUP.replace("from bayesnq import plots", "from bayesnq import calibration, plots") +
    "\nFULL = os.environ.get('BAYESNQ_FULL_CALIBRATION') == '1'\n"
    "SBC = dict(replicates=200, num_chains=2, num_warmup=500, num_samples=500, num_ranks=100,\n"
    "           batch_size=8) if FULL else dict(replicates=24, num_chains=2, num_warmup=100,\n"
    "           num_samples=100, num_ranks=20, batch_size=8)\n"
    "COV = dict(sizes=(48,), replicates=100, num_chains=2, num_warmup=500,\n"
    "           num_samples=500) if FULL else dict(sizes=(48,), replicates=8, num_chains=2,\n"
    "           num_warmup=100, num_samples=100, max_draws=200, opda_method='dkw')\n"
    "FULL",
    "md:## 1. Simulation-based calibration\n\n"
    "Each replicate draws (beta, gamma, sigma, ...) from the prior (with the prior's unit "
    "fixed), simulates a search of 48 runs (a noisy quadratic tail beyond the threshold, a "
    "body below it), fits the tail with NUTS and ranks the true values among the posterior "
    "draws.\n\n"
    "How to read the table: one row per parameter; `mean_rank_fraction` should be near "
    "0.5 (below: the true values tend to sit low in the posterior, i.e. the posterior is "
    "too high; above: too low), and the chi-square test of uniform ranks (over `bins` "
    "bins) should not give a tiny p-value. With a couple of dozen replicates only gross "
    "miscalibration shows.",
    "sbc = calibration.sbc(n=48, seed=0, **SBC)\n"
    "print(f'{int((sbc.divergences > 0).sum())} of {sbc.replicates} replicates had divergent '\n"
    "      'transitions')\n"
    "sbc.table(bins=5 if not FULL else 20)",
    "md:The figure: for each parameter, the ECDF of the ranks minus the uniform cdf. Calibrated "
    "ranks keep the line inside the simultaneous 95% band; a line above the band at the left "
    "means too many low ranks (the posterior overestimates), below it too few.",
    "plots.plot_sbc(sbc);",
    "md:To tell the sampler from the model, `bayesnq.calibration.sbc_importance` redoes the "
    "same replicates without a sampler (each posterior by importance sampling from the "
    "prior): where its PITs and NUTS's ranks agree replicate by replicate, a lean in both "
    "lies in the model or in the replicates themselves.",
    "md:## 2. Coverage of the bands on real data\n\n"
    "Subsamples of 48 runs are drawn without replacement from DeBERTaV3's 1,024 and fitted "
    "at the paper's threshold (0.89). A band at level l should miss the full data's "
    "empirical median tuning curve in a fraction 1 - l of subsamples. The table gives, per "
    "level and method, the observed `failure` rate with its Clopper-Pearson interval; "
    "opda's bands on the same subsamples are the reference. The reference best score is "
    "the full-data posterior median.",
    "# the quick run checks DeBERTaV3 only; the full run both datasets\n"
    "cases = [('deberta-v3', 0.89), ('alexnet', 0.50)] if FULL else [('deberta-v3', 0.89)]\n"
    "tables = []\nfor name, tau in cases:\n"
    "    scores = bayesnq.datasets.load(name)\n"
    "    ref = bayesnq.fit(scores, threshold=tau, num_chains=2, num_warmup=500, num_samples=500,\n"
    "                      progress_bar=False, check=False)\n"
    "    res = calibration.coverage(scores, threshold=tau, reference_fit=ref, seed=0, **COV)\n"
    "    tables.append(res.table())\n"
    "table = pd.concat(tables, ignore_index=True)\n"
    "table[table['level'] == 0.8]",
    "md:The figure plots the observed failure rate against the nominal one for each method: "
    "calibrated bands lie on the diagonal, within their intervals.",
    "plots.plot_coverage(res);",
    "md:Every level (0.5, 0.8, 0.95) and check, with the number of subsamples skipped for "
    "too few runs beyond the threshold:",
    "table",
    "md:## 3. Your own fit: LOO-PIT\n\n"
    "Calibration studies check the method; for one fit, the check is the leave-one-out PIT "
    "of its tail runs (`fit.loo_pit()`, used by `fit.check()`): a small KS p-value means "
    "the noisy quadratic does not describe this tail; a largest Pareto k above 0.7 means "
    "the check itself is unreliable for some runs.",
    "pit = ref.loo_pit()\n"
    "print(f\"{pit['n']} tail runs: KS p = {pit['ks_p_value']:.3g}, \"\n"
    "      f\"largest Pareto k {pit['pareto_k_max']:.2f}\")",
    "import matplotlib.pyplot as plt\n"
    "fig, ax = plt.subplots(figsize=(5, 3))\n"
    "ax.hist(pit['pit'], bins=10, range=(0, 1), color='0.6', edgecolor='white')\n"
    "ax.axhline(pit['n'] / 10, color='k', lw=1, ls='--', label='uniform')\n"
    "ax.set(xlabel='LOO-PIT of a tail run', ylabel='runs', title='LOO-PIT: flat if the tail fits')\n"
    "ax.legend();",
]

LANDSCAPE = [
    "md:# Landscape diagnostics of a random search\n\n"
    "The noisy quadratic assumes the scores near the optimum behave like a quadratic in "
    "gamma effective hyperparameters. A random search also holds the configurations, so we "
    "can look at the landscape directly: fitness-distance correlation (do better runs lie "
    "closer to the best?), local optima against two baselines (are there many separate "
    "peaks?), basins, neutrality (flat regions within the noise), a local quadratic "
    "(Hessian) fit whose effective dimension can be set beside the tail fit's gamma, and "
    "rank similarity between fidelities (does an early epoch rank runs like the last?).\n\n"
    "Data: AlexNet and ConvNeXt on ImageNet, 512 runs each in the same 7-hyperparameter "
    "space (opda project, CC BY-SA 4.0).",
    SETUP.replace("from bayesnq import plots", "from bayesnq import landscape"),
    "md:## 1. A bundled search: AlexNet\n\n"
    "A bundled dataset carries its configurations and its declared search space. Runs below "
    "5% accuracy (diverged training) are treated as failed (`floor`); sigma, the noise of "
    "one run, comes from the paper's tail fit and sets what counts as a real difference.",
    "alexnet = bayesnq.datasets.load('alexnet')\n"
    "res_a = landscape.analyze(alexnet, floor=0.05, sigma=0.0062)\n"
    "print(res_a.format_table())",
    "landscape.plot_landscape(res_a);",
    "md:How to read the table: each measure is given on all runs and on the non-failed ones, "
    "beside two baselines simulated on the same configurations, a *permutation* (the "
    "scores shuffled: no structure) and a *single peak* (one noisy quadratic). Counts of "
    "local optima near the single-peak baseline and far below the permutation one say the "
    "landscape is close to one noisy peak, as the noisy quadratic assumes; a negative "
    "fitness-distance correlation (`fdc_best`) says better runs lie closer to the best. "
    "`interpret` says the same in words:",
    "print('\\n'.join(landscape.interpret(res_a)))",
    "md:## 2. Your own search, with its search space\n\n"
    "With your own runs, the configurations are the CSV's other columns. The landscape "
    "measures distances, so it needs to know how each hyperparameter was sampled: a "
    "learning rate drawn log-uniformly is compared on a log scale. Declare the space (as "
    "in a spec file's `[search_space]` table); without it bayesnq infers one and says how "
    "in `settings['search_space_source']`. Here the ConvNeXt runs stand in for your file.",
    "convnext = bayesnq.datasets.load('convnext')\n"
    "columns = ['lr', 'momentum', 'weight_decay', 'label_smoothing', 'batch_size', 'epochs']\n"
    "trials = pd.DataFrame({'trial': [f't{i}' for i in range(len(convnext.values))],\n"
    "                       'accuracy': convnext.values,\n"
    "                       **{c: convnext.configs[c] for c in columns}})\n"
    "trials.to_csv('trials.csv', index=False)\n"
    "space = {'lr': {'kind': 'log-uniform', 'low': 5e-3, 'high': 5e1},\n"
    "         'momentum': {'kind': 'uniform', 'low': 0.7, 'high': 1.0},\n"
    "         'weight_decay': {'kind': 'log-uniform', 'low': 1e-6, 'high': 1e-3},\n"
    "         'label_smoothing': {'kind': 'uniform', 'low': 0.0, 'high': 0.5},\n"
    "         'batch_size': {'kind': 'choice', 'choices': [128, 256, 512, 1024]},\n"
    "         'epochs': {'kind': 'integer', 'low': 20, 'high': 100}}\n"
    "mine = bayesnq.load_scores('trials.csv', score='accuracy', search_space=space,\n"
    "                           name='my search')\n"
    "mine",
    "md:The same diagnostics, now with the tail fit's gamma drawn beside the local Hessian's "
    "effective dimension: if the landscape near the best runs is quadratic in about gamma "
    "directions, the two agree.",
    "fit = bayesnq.fit(mine, threshold=0.60, num_chains=2, num_warmup=500, num_samples=500,\n"
    "                  progress_bar=False)\n"
    "res_c = landscape.analyze(mine, floor=0.05, sigma=float(np.median(fit.draws()['sigma'])))\n"
    "print(res_c.format_table())",
    "landscape.plot_landscape(res_c, gamma_draws=fit.draws()['gamma']);",
    "print('\\n'.join(landscape.interpret(res_c, gamma_draws=fit.draws()['gamma'])))",
]

COMPARE = [
    "md:# Comparing two searches: AlexNet against ConvNeXt\n\n"
    "Two models tuned by random search in the same space: which one is better once tuned, "
    "and after how many runs does the ranking settle? `bayesnq.compare` takes two "
    "independent fits and answers with the posterior of the difference of their best "
    "expected scores (beta), P(one is better), and per budget n the probability that the "
    "best of n runs of one beats the best of n runs of the other.\n\n"
    "Data: AlexNet and ConvNeXt-tiny on ImageNet, 512 runs each (opda project, CC BY-SA "
    "4.0). Thresholds as in `docs/compare.md`: 0.50 for AlexNet, 0.60 for ConvNeXt.",
    SETUP + "\nalexnet = bayesnq.datasets.load('alexnet')\n"
    "convnext = bayesnq.datasets.load('convnext')\n"
    "settings = dict(num_chains=2, num_warmup=500, num_samples=500, progress_bar=False)\n"
    "fit_a = bayesnq.fit(alexnet, threshold=0.50, **settings)\n"
    "fit_c = bayesnq.fit(convnext, threshold=0.60, **settings)\n"
    "fit_a.check(), fit_c.check()",
    "md:`check()` returns each fit's problems. With the short runs of this notebook (2 "
    "chains x 500 draws) the ConvNeXt fit can fall just short of the 400 effective draws "
    "the check asks for: its numbers are usable for a first look, and for a result to "
    "report, fit again with the defaults (4 chains x 1000 + 1000) until `check()` is "
    "empty.",
    "md:## The best ends\n\n"
    "Each fit on its own first: beta, gamma and sigma with their 90% intervals.",
    "pd.concat({'alexnet': fit_a.summary(), 'convnext': fit_c.summary()})"
    ".loc[(slice(None), ['beta', 'gamma', 'sigma', 'best_run']), ['value', 'lower', 'upper']]",
    "md:## The comparison\n\n"
    "`summary()` gives the difference of the betas and P(AlexNet better than ConvNeXt); "
    "`to_frame()` the per-budget table: `p_a_beats_b` is P(the best of n AlexNet runs beats "
    "the best of n ConvNeXt runs), with the median tuning curves of both. The settle note "
    "says from which budget the ranking holds with 90% probability.",
    "cmp = bayesnq.compare(fit_a, fit_c, names=('alexnet', 'convnext'))\n"
    "print(cmp.settle_note)\ncmp.summary()",
    "cmp.to_frame().iloc[::4]",
    "plots.plot_comparison(cmp);",
    "md:The fits must be independent (two separate searches). To share gamma between "
    "searches instead, fit them jointly with `bayesnq.fit_many` (see `docs/compare.md`).",
]

NOTEBOOKS = {
    "01-quickstart": QUICKSTART,
    "02-thresholds": THRESHOLDS,
    "03-calibration": CALIBRATION,
    "04-landscape": LANDSCAPE,
    "05-compare": COMPARE,
}


def execute(nb, workdir):
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=1800, kernel_name="python3",
                   resources={"metadata": {"path": str(workdir)}}).execute()
    for cell in nb.cells:  # the timestamps of a run are noise in the stored file
        cell.metadata.pop("execution", None)
        if cell.cell_type == "code":  # tqdm's note that ipywidgets is absent
            cell.outputs = [o for o in cell.outputs if not (
                o.output_type == "stream" and "IProgress not found" in o.text)]


def keep_outputs(nb, stored):
    """Copy the stored notebook's outputs into ``nb`` (prose edits without a new run).

    Code cells must be the stored ones, in order; otherwise the notebook needs
    ``--execute``.
    """
    old = [c for c in stored.cells if c.cell_type == "code"]
    new = [c for c in nb.cells if c.cell_type == "code"]
    if [c.source for c in old] != [c.source for c in new]:
        raise SystemExit("code cells changed: run with --execute")
    for a, b in zip(old, new):
        b.outputs, b.execution_count = a.outputs, a.execution_count


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--execute", action="store_true", help="run and store with outputs")
    parser.add_argument("--keep-outputs", action="store_true",
                        help="keep the stored outputs (markdown edits only)")
    parser.add_argument("--only", nargs="*", help="notebook names (default: all)")
    args = parser.parse_args(argv)
    HERE.mkdir(exist_ok=True)
    names = args.only or list(NOTEBOOKS)
    for name in names:
        nb = notebook(NOTEBOOKS[name])
        if args.execute:
            start = time.perf_counter()
            with tempfile.TemporaryDirectory() as tmp:
                execute(nb, tmp)
            print(f"{name}: executed in {time.perf_counter() - start:.0f} s", file=sys.stderr)
        elif args.keep_outputs:
            keep_outputs(nb, nbf.read(HERE / f"{name}.ipynb", as_version=4))
        nbf.write(nb, HERE / f"{name}.ipynb")


if __name__ == "__main__":
    main()
