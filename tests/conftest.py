"""Test-session settings: JAX's persistent compilation cache.

Most of the suite's time is XLA compiling the same programs again: a bundled problem's
checks, its residual and its training step are compiled by the problem tests, the
examples, the command line and the notebooks alike. With the cache on, each program is
compiled once per machine and loaded afterwards (a tiny heat1d solve: 71 s, then 21 s on
the loaded 2-core machine). The cache is keyed by the program, the compiler options and
the JAX version, so it never returns another program's executable.

The folder is ``$PINN_TEST_JAX_CACHE`` or ``<tmp>/pinn-test-jax-cache``; the environment
variables carry it to the subprocesses (``pinn`` commands, notebook kernels).
"""

import os
import tempfile

import jax

CACHE = os.environ.get("PINN_TEST_JAX_CACHE") or os.path.join(tempfile.gettempdir(), "pinn-test-jax-cache")
SETTINGS = {
    "jax_compilation_cache_dir": CACHE,
    "jax_persistent_cache_min_compile_time_secs": 0.0,
    "jax_persistent_cache_min_entry_size_bytes": 0,
}
for _name, _value in SETTINGS.items():
    os.environ[_name.upper()] = str(_value)
    jax.config.update(_name, _value)
