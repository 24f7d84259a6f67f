"""The README's commands are the ones CI runs."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _bash_blocks(text):
    blocks, inside = [], False
    for line in text.splitlines():
        if line.startswith("```"):
            inside = line.strip() == "```bash"
            continue
        if inside:
            blocks.append(line.strip())
    return blocks


def test_readme_has_exactly_two_commands():
    commands = _bash_blocks((ROOT / "README.md").read_text())
    assert len(commands) == 2, commands


def test_ci_runs_the_readme_test_command():
    commands = _bash_blocks((ROOT / "README.md").read_text())
    test_command = next(c for c in commands if c.endswith("pytest"))
    ci_lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert test_command in ci_lines
