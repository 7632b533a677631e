-- A paper row over about 2 KB (a long abstract, or a long author list) has its largest values
-- compressed, with pglz by default: one paper in ten on the shared data, and 4% of the server's
-- time on a fresh import. lz4, as for list entries (0014), where the server has it.
DO $$
BEGIN
    ALTER TABLE papers ALTER COLUMN abstract SET COMPRESSION lz4;
    ALTER TABLE papers ALTER COLUMN authors SET COMPRESSION lz4;
EXCEPTION WHEN feature_not_supported OR invalid_parameter_value THEN
    RAISE NOTICE 'lz4 is not available; papers stay compressed with pglz';
END
$$;
