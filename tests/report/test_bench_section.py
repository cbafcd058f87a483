"""The benchmark's speed-up sentence: which race it quotes, and the number from the summary."""

from day3.report.training import speedup_line


def test_the_speedup_names_its_race_and_recipe():
    to_target = {"best": "bf16", "target": 0.85, "race": "target", "speedup_to_target": 5.0}
    assert speedup_line(to_target) == "5.0× (bf16, to 85% accuracy)"
    to_base = {"best": "length-grouped", "target": 0.85, "race": "baseline",
               "speedup_to_baseline": 13.6}  # fmt: skip
    line = speedup_line(to_base)
    assert line.startswith("13.6× (length-grouped, to the baseline's final accuracy less 1 point")
    assert "no recipe reached 85%" in line
    assert speedup_line({"best": None, "target": 0.85}).startswith("(no recipe got as good")
