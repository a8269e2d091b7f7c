-- The audit chain is keyed from here on: each new row names the key whose HMAC-SHA256 makes
-- its hash (the key lives outside the database). Rows made before have no key id and keep
-- their plain SHA-256; a keyed row's HMAC covers the previous row's hash, so rewriting the
-- old rows still breaks the chain.
ALTER TABLE audit_log ADD COLUMN key_id TEXT;

-- Checkpoints record this count as the number of rows; make sure it is exact.
UPDATE audit_head SET count = (SELECT COUNT(*) FROM audit_log) WHERE id = 1;
