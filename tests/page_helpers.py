"""Helpers for page tests (imported by name: both conftest.py files share the module name `conftest`)."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def epoch(at) -> int:
    """The N of the page's "Epoch N / M" heading."""
    line = next(m.value for m in at.markdown if m.value.startswith("### Epoch"))
    return int(line.split()[2])


def press(at, name: str, runs: int = 1):
    """Click the trainer's button ``name`` (train, pause, step, reset), then run the page ``runs`` times."""
    at.button(key=f"tr_{name}").click()
    for _ in range(runs):
        at.run()
        assert not at.exception, at.exception
    return at


def errors(at) -> str:
    """The page's error messages as a reader sees them (user text is shown Markdown-escaped)."""
    return " ".join(e.value for e in at.error).replace("\\", "")
