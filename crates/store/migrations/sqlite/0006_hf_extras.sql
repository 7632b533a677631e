-- What a Hugging Face item knew beyond the paper (author and discussion ids, claimed author
-- accounts, the submitter's profile, organisation, media, thumbnail), parsed once at import
-- (dp_core::HfExtras as JSON). Entries stored before this column existed are filled from their
-- source_json when the store opens.
ALTER TABLE feed_entries ADD COLUMN hf_extras TEXT;
