-- PostgreSQL's 0015 changes how it compresses long abstracts and author lists; SQLite stores
-- them uncompressed, so there is nothing to do here (the file keeps both migration lists in step).
SELECT 1;
