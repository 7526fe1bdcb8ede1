import io
import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from journey_desktop.cli import run_command


@dataclass
class Result:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(data_dir: Path, store_url: str | None):
    """Run a command in-process on the test's data folder, like the shell would."""

    def run(*args: str) -> Result:
        out, err = io.StringIO(), io.StringIO()
        where = ["--database", store_url] if store_url else []
        code = run_command(["--data-dir", str(data_dir), *where, *args], out=out, err=err)
        return Result(code, out.getvalue(), err.getvalue())

    return run
