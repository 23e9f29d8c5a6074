"""Names shown in the CLI's help, in a module without imports: ``--help`` then loads neither
pydantic nor PyYAML (about 90 ms of its start-up, issue 11)."""

FAMILIES: tuple[str, ...] = ("qa", "summarisation", "ner", "pseudonymisation")
DEFAULT_SUITE = "default"
# The demo suite: one task per family, on real data where the family has some, with short
# answers, the first QUICK_LIMIT documents of each (unless --limit says otherwise). It proves
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
