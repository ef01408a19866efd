"""The ``hw3`` command's subcommands, one module each, every one with the same two functions:
``add_arguments(parser)`` (its flags, into the one argparse tree of ``hw3.cli``) and
``run(args) -> int`` (its exit code), plus ``HELP`` (its line in ``hw3 --help``).

They live here, not in the packages they drive, for two reasons: the tree needs every command's
flags at start, so these modules import nothing heavy until ``run`` (``hw3.build`` alone takes
most of a second to import); and ``hw3 grade`` writes reports, which ``hw3.grading`` (trusted,
small) may not import.
"""


def missing_paths(command: str, paths: list) -> bool:
    """Say in one line (terminal-safe) which of ``paths`` do not exist; True if any."""
    import sys

    from hw3.layout import terminal_text

    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        print(f"hw3 {command}: no such file or folder: {terminal_text(', '.join(missing))}",
              file=sys.stderr)
    return bool(missing)
