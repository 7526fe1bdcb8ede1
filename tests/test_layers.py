"""domain/ and store/ must import with Qt unavailable (layers go one way)."""

import subprocess
import sys
from pathlib import Path

import journey_desktop

PACKAGE = Path(journey_desktop.__file__).parent


def test_domain_and_store_import_without_pyside6():
    modules = sorted(
        "journey_desktop." + ".".join(p.relative_to(PACKAGE).with_suffix("").parts)
        for layer in ("domain", "store")
        for p in (PACKAGE / layer).rglob("*.py")
    )
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import sys, importlib\n"
        "class Block:\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('PySide6', 'shiboken6'):\n"
        "            raise ImportError('Qt is blocked in this test')\n"
        "sys.meta_path.insert(0, Block())\n"
        f"for m in {modules!r}: importlib.import_module(m)\n"
        "assert not any(k.startswith('PySide6') for k in sys.modules)\n"
        "print('ok', len(" + repr(modules) + "))\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("ok")
    assert len(modules) >= 8
