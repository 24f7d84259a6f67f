"""``python -m sklearn_svcca``: the same as the ``sklearn-svcca`` command."""

from ._cli import main

if __name__ == "__main__":
    raise SystemExit(main())
