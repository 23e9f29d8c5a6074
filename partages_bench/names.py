"""Names shown in the CLI's help, in a module without imports: ``--help`` then loads neither
pydantic nor PyYAML (about 90 ms of its start-up, issue 11)."""

FAMILIES: tuple[str, ...] = ("qa", "summarisation", "ner", "pseudonymisation")
DEFAULT_SUITE = "default"
