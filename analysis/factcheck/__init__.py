"""factcheck: claims and verdicts: the claim registry, claims files, verdict rules, notebook results."""
