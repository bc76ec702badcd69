"""publish: running notebooks, the HTML report, reproduce/what-if/recheck, step stamps."""
