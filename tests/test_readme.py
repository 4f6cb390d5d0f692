"""The README tells the truth: the two Quick start commands, CI running the second; and
docs/configuration.md documents every variable with its default."""
import re

from capsul.config import REPO_ROOT, VARIABLES

README = (REPO_ROOT / "README.md").read_text()
CONFIGURATION = (REPO_ROOT / "docs" / "configuration.md").read_text()


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
        row = re.search(rf"^\| `{name}` \| ([^|]+) \|", CONFIGURATION, re.M)
        assert row, f"{name} is not in docs/configuration.md's table"
        assert row.group(1).strip() == (f"`{default}`" if default else "unset"), name


def test_every_documentation_page_is_linked_from_the_readme():
    for page in sorted((REPO_ROOT / "docs").glob("*.md")):
        assert f"(docs/{page.name})" in README, f"docs/{page.name} is not linked from the README"
