"""ingest: raw files in: the registry of pinned files, fetching and verifying them, the write lock, ICE's layouts and workbook reader, snapshot naming, the context-data readers."""
