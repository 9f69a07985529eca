"""One module per input kind. Each returns an artifact (or None) and the ParseProblems it met."""
