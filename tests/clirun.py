"""Running the command line in this process, as the installed script does, for the tests."""

import contextlib
import io
import os

from fraudgraph.cli import main


def cli(*args, env=None):
    """Run ``fraudgraph ARGS`` in-process with ``env`` added to the environment: (exit status, stdout, stderr)."""
    out, err = io.StringIO(), io.StringIO()
    code = 0
    old = {k: os.environ.get(k) for k in (env or {})}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main([str(a) for a in args])
            except SystemExit as exc:
                code = exc.code
    finally:
        for k, v in old.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return code, out.getvalue(), err.getvalue()


def one_line_exit_2(code, err, *needles):
    """The bad-input contract: exit status 2 and one ``error:`` line on stderr naming each of ``needles``."""
    assert code == 2, err
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), err
    for needle in needles:
        assert needle in lines[0], (needle, lines[0])
