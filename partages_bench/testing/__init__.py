"""Helpers for the tests and the benchmarks, kept inside the package so that both import them
the same way from a checkout or an installed wheel: fake but schema-valid run folders
(``fake_runs``). Nothing here runs a model, and the command line imports none of it."""
