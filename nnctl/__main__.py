"""`python -m nnctl ARGS` (layer 6): the `nnctl` console script, for an environment whose
scripts folder is not on PATH."""

from nnctl.cli import main

if __name__ == "__main__":
    main()
