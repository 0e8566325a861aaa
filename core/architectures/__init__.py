"""Plain PyTorch model code, one standalone module per family (d2l style).

Each module imports only torch and the standard library, so that `export --format code` can hand
its source to a student as a file that runs on its own. Classes with a ``graph_block`` attribute are
the blocks that the block-level graph view collapses.
"""
