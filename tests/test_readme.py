"""The README tells the truth: the two Quick start commands, CI running the second, every variable."""
import re

from capsul.config import REPO_ROOT, VARIABLES

README = (REPO_ROOT / "README.md").read_text()


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1]
    block = re.search(r"```\w*\n(.*?)```", section, re.S).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_readme_opens_with_quick_start_of_two_commands():
    first_heading = re.search(r"^## (.+)$", README, re.M).group(1)
    assert first_heading == "Quick start"
    run, test = quick_start_commands()
    assert run.endswith("python run.py")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command():
    ci = (REPO_ROOT / ".ci" / "run").read_text()
    _, test = quick_start_commands()
    assert test in [line.strip() for line in ci.splitlines()]


def test_every_variable_is_documented_with_its_default():
    for name, (default, _) in VARIABLES.items():
        row = re.search(rf"^\| `{name}` \| ([^|]+) \|", README, re.M)
        assert row, f"{name} is not in the README's configuration table"
        assert row.group(1).strip() == (f"`{default}`" if default else "unset"), name
