-- A list entry keeps its source's item (about 5 KB of JSON) for provenance and copies.
-- PostgreSQL compresses such values with pglz by default, which cost about as much as writing
-- the rest of the row on import; lz4 compresses several times faster. Servers built without
-- lz4 keep pglz (the statement is refused there, and nothing else changes).
DO $$
BEGIN
    ALTER TABLE feed_entries ALTER COLUMN source_json SET COMPRESSION lz4;
    ALTER TABLE feed_entries ALTER COLUMN hf_extras SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; feed entries stay compressed with pglz';
END
$$;
