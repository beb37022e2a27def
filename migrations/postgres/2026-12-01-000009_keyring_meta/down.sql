DROP TABLE keyring_meta;
