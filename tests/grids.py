"""Parameter grids shared by the tests that run a real model, where every case costs seconds."""

BUDGETS, IGNORES = [16, 64, "auto"], [0, 1, 3]


def grid_forcing(budget, ignore: int, ignore_str: str, minimum: int):
    """The short `Forcing` the scripted-engine grids drive: a small context and a 4-token answer."""
    from s1lib.infer import Forcing

    return Forcing(
        max_thinking=budget,
        ignore=ignore,
        ignore_str=ignore_str,
        min_thinking=minimum,
        max_generation=80,
        max_answer=4,
    )


def pairwise(first: list, second: list, third: list) -> list[tuple]:
    """The 9-case orthogonal array of three 3-level settings: every pair of values (first and second, first and
    third, second and third) meets in exactly one case, so each two-setting interaction of the 27-case product is
    covered. The scripted engines (no model) test the full products."""
    assert len(first) == len(second) == len(third) == 3
    return [(first[i], second[j], third[(i + j) % 3]) for i in range(3) for j in range(3)]
