"""store: the processed tables on disk: curated build, archive panel and history, the speed layer (caches, appends, counts), local sheets, freshness, export."""
