"""What every notebook does first: load the profile, set up plotting, say what the numbers can mean."""

from __future__ import annotations

from s1lib.params import Params, load_params

SMALL_PROFILES = {"smoke"}


def setup(params_file: str, overrides: dict | None = None) -> Params:
    """Validate the profile (before any work), use a plotly renderer that works in JupyterLab and in
    papermill/nbval runs, and show a banner naming the profile."""
    import plotly.io as pio
    from IPython.display import HTML, display

    params = load_params(params_file, overrides)
    pio.renderers.default = "notebook_connected+plotly_mimetype"
    warning = ""
    if params.profile in SMALL_PROFILES:
        warning = ("<br><b>Smoke profile:</b> a 135M-parameter model, a few questions and tiny budgets. The numbers "
                   "below show that the pipeline runs end to end; they are not evidence for or against the paper.")
    display(HTML(f'<div style="border-left:4px solid #2563eb;padding:4px 8px">Profile <b>{params.profile}</b> '
                 f"({params.description}) · model <code>{params.model.name}</code> · engine "
                 f"<code>{params.engine.name}</code>{warning}</div>"))
    return params
