"""Write the notebooks from their cell sources (outputs are produced by running them)."""

from pathlib import Path

import nbformat as nbf

HERE = Path(__file__).resolve().parents[1] / "notebooks"


def notebook(cells):
    nb = nbf.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbf.v4.new_markdown_cell(c[3:]) if c.startswith("md:") else nbf.v4.new_code_cell(c)
                for c in cells]
    return nb


QUICKSTART = [
    "md:# bayesnq quickstart\n\nFrom a list of random-search scores to the best possible score, "
    "the effective number of hyperparameters and the noise, with credible intervals; then the "
    "tuning curve extrapolated beyond the data.\n\nData: DeBERTaV3 on MultiNLI, 1,024 random-search "
    "runs (opda project, CC BY-SA 4.0). The paper fitted the tail above 0.89 accuracy.",
    "import numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\nimport matplotlib.pyplot as plt\n"
    "import bayesnq\nbayesnq.configure()  # parallel chains, compilation cache\nfrom bayesnq import plots\n\nscores = bayesnq.datasets.load('deberta-v3')\nscores",
    "md:## Fit the tail beyond the threshold\n\nScores above 0.89 enter through the noisy quadratic "
    "density; the runs below are censored at 0.89. A small run here (2 chains) to keep the notebook "
    "quick; the CLI uses 4 chains x 1000 draws.",
    "fit = bayesnq.fit(scores, threshold=0.89, num_chains=2, num_warmup=500, num_samples=500,\n"
    "                  progress_bar=False)\nfit.summary()",
    "fit.diagnostics()",
    "md:## Tuning curve: the median best score after n runs\n\nThe band is the 80% credible band of "
    "the per-draw curves; the empirical curve of the data is drawn for comparison.",
    "n = np.unique(np.logspace(0, np.log10(100 * len(scores)), 40).astype(int))\n"
    "curve = fit.tuning_curve(n, q=0.5, ci=0.8)\n"
    "fig = plots.plot_tuning_curve(fit, empirical=scores.values)\nfig",
    "curve.to_frame().iloc[::8]",
    "md:## How many runs to gain 0.001 accuracy over the best run so far?",
    "target = scores.values.max() + 0.001\nfit.runs_to_reach(target)",
    "md:## The tail fit against the data, and the posterior",
    "plots.plot_tail_cdf(fit)",
    "plots.plot_posterior_pairs(fit)",
    "plots.plot_rank(fit)",
    "md:## Model criteria\n\nThe log-likelihood has one entry per run, so PSIS-LOO works directly.",
    "import arviz as az\naz.loo(fit.idata)",
]

LANDSCAPE = [
    "md:# Landscape diagnostics of random-search data\n\nFitness-distance correlation, local optima "
    "against two baselines, basins, neutrality, a local Hessian fit whose effective dimension can be "
    "set beside the tail fit's gamma, and rank similarity between fidelities.",
    "import matplotlib\nmatplotlib.use('Agg')\nimport numpy as np\nimport bayesnq\nbayesnq.configure()  # parallel chains, compilation cache\n"
    "from bayesnq import landscape\n\nalexnet = bayesnq.datasets.load('alexnet')\n"
    "deberta = bayesnq.datasets.load('deberta-v3')",
    "md:## AlexNet (512 runs, 7 hyperparameters)\n\nRuns below 5% accuracy (diverged) are treated "
    "as failed; sigma from the paper's tail fit.",
    "res_a = landscape.analyze(alexnet, floor=0.05, sigma=0.0062)\nprint(res_a.format_table())",
    "landscape.plot_landscape(res_a)",
    "md:## DeBERTaV3 (1,024 runs, 5 hyperparameters), with the tail fit's gamma beside the Hessian",
    "fit = bayesnq.fit(deberta, threshold=0.89, num_chains=2, num_warmup=400, num_samples=400,\n"
    "                  progress_bar=False)\nres_d = landscape.analyze(deberta, floor=0.5, "
    "sigma=float(np.median(fit.draws()['sigma'])))\nprint(res_d.format_table())",
    "landscape.plot_landscape(res_d, gamma_draws=fit.draws()['gamma'])",
]

THRESHOLDS = [
    "md:# Where does the asymptotic regime begin?\n\nThe paper picks the threshold tau by eye "
    "(DeBERTaV3: 0.89). Here tau is a parameter: marginalized over a grid of candidates inside "
    "NUTS, with a posterior P(tau); then candidate thresholds are compared by PSIS-LOO, on a "
    "likelihood where every run has a density (a histogram body below tau spliced with the noisy "
    "quadratic tail), and by the validation-threshold route of Northrop et al. (2017).\n\n"
    "Small runs (2 chains x 300 draws) keep the notebook quick.",
    "import numpy as np\nimport matplotlib\nmatplotlib.use('Agg')\nimport bayesnq\nbayesnq.configure()  # parallel chains, compilation cache\n"
    "from bayesnq import plots\n\nscores = bayesnq.datasets.load('deberta-v3')\n"
    "grid = bayesnq.default_thresholds(scores, n=16)  # tail fractions 5%..80%\ngrid",
    "md:## The threshold as a parameter\n\n`threshold='auto'` uses this grid; the posterior "
    "holds `tau` draws and `fit.threshold_probabilities()` is P(tau | data), "
    "Rao-Blackwellized.",
    "fit = bayesnq.fit(scores, threshold='auto', num_chains=2, num_warmup=200, num_samples=200,\n"
    "                  progress_bar=False, check=False)\nprint(fit.summary().attrs['threshold_note'])\n"
    "fit.summary()",
    "fit.threshold_probabilities()",
    "plots.plot_threshold_probabilities(fit)",
    "md:The tuning curve averages over tau (the noisy quadratic is shared across candidates, so "
    "the curve beyond the threshold does not depend on which one is drawn).",
    "plots.plot_tuning_curve(fit)",
    "md:## Thresholds compared by criteria\n\nOne fit per candidate; `elpd_loo` is PSIS-LOO of "
    "the spliced likelihood, `val_elpd_loo` the leave-one-out predictive of all runs censored "
    "at the highest candidate. Weights are stacking weights.",
    "cmp = bayesnq.compare_thresholds(scores, [0.89, 0.90], num_chains=1,\n"
    "                                 num_warmup=150, num_samples=150, progress=False)\n"
    "cmp.table[['threshold', 'tail_fraction', 'elpd_loo', 'se', 'elpd_diff', 'dse', 'max_k',\n"
    "           'weight', 'val_elpd_loo', 'val_se', 'val_weight']]",
    "plots.plot_parameter_stability(cmp)",
    "curve = cmp.tuning_curve([1, 2, 4, 8, 16, 32, 64, 128])\ncurve.to_frame()",
]

CALIBRATION = [
    "md:# Calibration: do the credible bands cover as often as they claim?\n\n"
    "Two studies (`bayesnq.calibration`): simulation-based calibration (SBC) of the tail model "
    "and its sampler, and the coverage of the tuning-curve bands on subsamples of the bundled "
    "random searches, beside opda's nonparametric bands. This notebook runs a small version "
    "(a few replicates, short chains) so that it stays quick; set the environment variable "
    "`BAYESNQ_FULL_CALIBRATION=1` for the full studies (200 SBC replicates; 100 subsamples "
    "of 24, 48 and 96 runs per dataset), which take hours on two cores.",
    "import os\nimport matplotlib\nmatplotlib.use('Agg')\nimport numpy as np\nimport bayesnq\nbayesnq.configure()  # parallel chains, compilation cache\n"
    "from bayesnq import calibration, plots\n\n"
    "FULL = os.environ.get('BAYESNQ_FULL_CALIBRATION') == '1'\n"
    "SBC = dict(replicates=200, num_chains=2, num_warmup=500, num_samples=500, num_ranks=100,\n"
    "           batch_size=8) if FULL else dict(replicates=4, num_chains=2, num_warmup=30,\n"
    "           num_samples=30, num_ranks=11, batch_size=4)\n"
    "COV = dict(sizes=(24, 48, 96), replicates=100, num_chains=2, num_warmup=500,\n"
    "           num_samples=500) if FULL else dict(sizes=(48,), replicates=2, num_chains=2,\n"
    "           num_warmup=30, num_samples=30, max_draws=60, opda_method='dkw')\nFULL",
    "md:## Simulation-based calibration\n\nParameters are drawn from the prior (with the "
    "prior's unit fixed), a search of 48 runs is simulated (a noisy quadratic tail beyond "
    "the threshold, a body below it), the tail is fitted with NUTS, and the rank of each "
    "true parameter among the posterior draws is recorded. Calibrated ranks are uniform: "
    "the ECDF differences stay inside the simultaneous bands.",
    "sbc = calibration.sbc(n=48, seed=0, **SBC)\nsbc.table(bins=5 if not FULL else 20)",
    "plots.plot_sbc(sbc)",
    "md:## Coverage of the bands on real data\n\nSubsamples of n runs are drawn without "
    "replacement from the full search and fitted at the paper's thresholds (DeBERTaV3 0.89, "
    "AlexNet 0.50). A band at level l should miss the full data's empirical median tuning "
    "curve with probability 1 - l; the table gives the observed failure rates with "
    "Clopper-Pearson intervals, and the same for opda's bands on the same subsamples. "
    "The reference best score is the full-data posterior median.",
    "# the CI run checks DeBERTaV3 only; the full run both datasets\n"
    "cases = [('deberta-v3', 0.89), ('alexnet', 0.50)] if FULL else [('deberta-v3', 0.89)]\n"
    "tables = []\nfor name, tau in cases:\n"
    "    scores = bayesnq.datasets.load(name)\n"
    "    ref = bayesnq.fit(scores, threshold=tau, num_chains=2,\n"
    "                      num_warmup=500 if FULL else 100, num_samples=500 if FULL else 100,\n"
    "                      progress_bar=False, check=False)\n"
    "    res = calibration.coverage(scores, threshold=tau, reference_fit=ref, seed=0, **COV)\n"
    "    tables.append(res.table())\n"
    "table = __import__('pandas').concat(tables, ignore_index=True)\n"
    "table[table['level'] == 0.8]",
    "plots.plot_coverage(res)",
    "md:## Posterior predictive check: LOO-PIT\n\nEvery fit carries a leave-one-out PIT "
    "check of its tail runs (`fit.loo_pit()`; summarized in `fit.summary().attrs`).",
    "ref.summary().attrs['loo_pit']",
]

if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    nbf.write(notebook(QUICKSTART), HERE / "01-quickstart.ipynb")
    nbf.write(notebook(LANDSCAPE), HERE / "04-landscape.ipynb")
    nbf.write(notebook(CALIBRATION), HERE / "03-calibration.ipynb")
    nbf.write(notebook(THRESHOLDS), HERE / "02-thresholds.ipynb")
