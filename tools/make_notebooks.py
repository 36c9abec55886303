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
    "import bayesnq\nfrom bayesnq import plots\n\nscores = bayesnq.datasets.load('deberta-v3')\nscores",
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
    "import matplotlib\nmatplotlib.use('Agg')\nimport numpy as np\nimport bayesnq\n"
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

if __name__ == "__main__":
    HERE.mkdir(exist_ok=True)
    nbf.write(notebook(QUICKSTART), HERE / "01-quickstart.ipynb")
    nbf.write(notebook(LANDSCAPE), HERE / "04-landscape.ipynb")
