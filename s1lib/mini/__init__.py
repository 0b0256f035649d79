"""The paper's claims at a scale that runs on 2 CPU cores: s1 in miniature (`letters`, `study`: budget forcing on
letter counting, notebook 11) and Table 2 in miniature (`domains`, `pool`, `ablations`: data selection on a
generated pool, notebook 05).

s1 in miniature: the paper's mechanism on a task a 135M model can learn on 2 CPU cores in minutes.

The traces teach a re-check ("Wait, let me check letter by letter: ...") in a minority of examples; greedy decoding
then almost never re-checks on its own, and budget forcing makes it: suppressing the end of thinking and
appending "Wait" elicits the recount the traces taught. That is the paper's mechanism at a scale anyone can run,
not a claim about emergent reasoning.

    rows = training_rows(params.mini)          # s1K-schema rows
    model = ensure_model(params)               # s1lib.train with params.mini.train, cached by content hash
    study = study_params(params, model)        # the profile, pointed at this model and the held-out questions
"""

from s1lib.mini.study import (
    BENCHMARK,
    ensure_model,
    held_out_questions,
    study_params,
    training_params,
    write_training_set,
)

__all__ = ["BENCHMARK", "ensure_model", "held_out_questions", "study_params", "training_params", "write_training_set"]
