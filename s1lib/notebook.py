"""What every notebook does first: load the profile, set up plotting, say what the numbers can mean."""

from __future__ import annotations

from s1lib.params import Params, load_params, with_model

SMALL_PROFILES = {"smoke"}


def setup(params_file: str, overrides: dict | None = None) -> Params:
    """Validate the profile (before any work), use a plotly renderer that works in JupyterLab and in
    papermill/nbval runs, and show a banner naming the profile."""
    import plotly.io as pio
    from IPython.display import HTML, display

    from s1lib.models import display_name

    params = load_params(params_file, overrides)
    pio.renderers.default = "notebook+plotly_mimetype"  # plotly.js embedded once: executed copies open offline
    warning = ""
    if params.profile in SMALL_PROFILES:
        warning = (
            "<br><b>Smoke profile:</b> a 135M-parameter model, a few questions and tiny budgets. The numbers "
            "below show that the pipeline runs end to end; they are not evidence for or against the paper."
        )
    display(
        HTML(
            f'<div style="border-left:4px solid #2563eb;padding:4px 8px">Profile <b>{params.profile}</b> '
            f"({params.description}) · model <code>{display_name(params.model.name)}</code> · engine "
            f"<code>{params.engine.name}</code>{warning}</div>"
        )
    )
    return params


def pick_model(params: Params, model: str | None = None, task: str = "benchmarks") -> Params:
    """The profile pointed at the model a study evaluates: `model` if given; for `task="mini-letters"` the
    miniature model (trained once, cached) on its held-out questions; otherwise the s1k model trained by
    03_sft if there is one, else the profile's base model."""
    if task == "mini-letters":
        from s1lib.mini import ensure_model, study_params

        return study_params(params, model or ensure_model(params, progress=False))
    from s1lib.train import find_trained

    spec = model or find_trained(params.profile, "s1k") or params.model.name
    return with_model(params, spec)
