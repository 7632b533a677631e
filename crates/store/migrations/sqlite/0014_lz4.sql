-- PostgreSQL's 0014 changes how it compresses list entries' source items; SQLite stores them
-- uncompressed, so there is nothing to do here (the file keeps both migration lists in step).
SELECT 1;
