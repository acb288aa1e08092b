"""The benchmarks: commands (``benchmarks/<name>.py``, run as scripts) and the modules they share
(``benchmarks/_<name>.py``, plus ``seismic_arms`` and ``seismic_threshold_free``).

A command imports modules, never another command. Run a command from a source checkout, e.g.
``python benchmarks/seismic_s_phase.py --help``; it puts the checkout on ``sys.path`` so that its
modules import as ``benchmarks.<name>``.
"""
