"""Layers go one way: each imports with the Qt modules it must not use blocked.

domain/, store/ and cli/ never touch Qt (the command line runs where there is no display);
services/ use QtCore (timers, threads, settings) and QtNetwork but never widgets.
"""

import subprocess
import sys
from pathlib import Path

import pytest

import journey_desktop

PACKAGE = Path(journey_desktop.__file__).parent
ANY_QT = ("PySide6", "shiboken6")
WIDGETS = ("PySide6.QtWidgets", "PySide6.QtGui", "PySide6.QtCharts")


def modules_of(*layers: str) -> list[str]:
    modules = sorted(
        "journey_desktop." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for layer in layers
        for p in (PACKAGE / layer).rglob("*.py")
    )
    return [m.removesuffix(".__init__") for m in modules]


def import_blocking(modules: list[str], blocked: tuple[str, ...]) -> subprocess.CompletedProcess:
    """Import ``modules`` in a fresh interpreter in which importing ``blocked`` fails."""
    code = (
        "import sys, importlib\n"
        f"BLOCKED = {blocked!r}\n"
        "def hit(name):\n"
        "    return any(name == b or name.startswith(b + '.') for b in BLOCKED)\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if hit(name):\n"
        "            raise ImportError(name + ' is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "assert not any(hit(k) for k in sys.modules), [k for k in sys.modules if hit(k)]\n"
        "print('ok')\n"
    )
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)


@pytest.mark.parametrize(
    ("layers", "blocked", "at_least"),
    [
        (("domain", "store"), ANY_QT, 8),
        (("cli",), ANY_QT, 5),
        (("services",), WIDGETS, 4),
    ],
    ids=["domain-store-no-qt", "cli-no-qt", "services-no-widgets"],
)
def test_layer_imports_without_what_it_must_not_use(
    layers: tuple[str, ...], blocked: tuple[str, ...], at_least: int
) -> None:
    modules = modules_of(*layers)
    result = import_blocking(modules, blocked)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
    assert len(modules) >= at_least


def test_the_block_catches_a_layer_breach() -> None:
    """The check itself can fail: the window module needs widgets."""
    result = import_blocking(["journey_desktop.ui.prompts"], WIDGETS)
    assert result.returncode != 0
    assert "blocked in this test" in result.stderr
