"""clean: ICE's cells made comparable: normalisation rules, agency ids, the tidy tables, county matching, QA invariants."""
