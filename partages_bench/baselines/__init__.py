"""Non-LLM reference systems, scored through the same interface as the models so that every
model score has a floor to compare with."""
