"""``python -m qa_xl.cli``: the same as the ``qa-xl`` console script."""

from qa_xl.cli.app import run

run()
