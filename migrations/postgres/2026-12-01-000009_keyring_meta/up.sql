-- Values of the keyring itself, sealed with it: the key of the e-mail lookup hashes, so that rotating the
-- Fernet keys (and at last removing the old ones) leaves every stored lookup hash valid. Not tenant-owned.
CREATE TABLE keyring_meta (
    name TEXT PRIMARY KEY,
    sealed_value TEXT NOT NULL,
    modified_time TIMESTAMP NOT NULL
);
