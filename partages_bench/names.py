"""Names shown in the CLI's help, in a module without imports: ``--help`` then loads neither
pydantic nor PyYAML (about 90 ms of its start-up, issue 11)."""

# Defaults of every command that takes them (run, compare, score …).
DEFAULT_SEED = 1234  # lm-eval's, few-shot's and the bootstrap's seed
DEFAULT_BOOTSTRAP = 1000  # bootstrap resamples of every 95 % interval
# The seed of the generated benchmark data (the generated-notes and record-summary tasks, and
# the default of data generate-*): same seed, same documents.
BENCHMARK_SEED = 20261125
DEFAULT_SUITE = "default"
# The demo suite: one task of each built-in family, on real data where the family has some, with
# short answers, the first QUICK_LIMIT documents of each (unless --limit says otherwise). It proves
# the pipeline end to end in minutes on a CPU; it ranks nothing (8 documents give CIs as wide
# as the scale).
QUICK_SUITE = "quick"
QUICK_TASKS: tuple[str, ...] = (
    "frenchmedmcqa",
    "refomed",
    "quaero_medline",
    "pseudo_detect_generated",
)
QUICK_LIMIT = 8
