"""`s1lib reproduce`: where a reproduction spends its time."""


def test_reproduce_prints_seconds_per_notebook_slowest_first():
    from s1lib.reproduce import timing_table

    table = timing_table({"00_quickstart": 12.0, "06_test_time_scaling": 300.4})
    assert table.splitlines()[1].startswith("06_test_time_scaling") and table.splitlines()[-1].endswith("312 s")
