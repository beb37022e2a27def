//! The Fernet keys: from the configuration, or, on the embedded store only, generated once into a key file.

use crate::config::{Config, DatabaseKind};
use std::io::Write;
use std::path::Path;

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error(
        "crypto.fernet_keys is not set: a PostgreSQL deployment must configure its Fernet keys (every instance \
         must share them); make one with `gatehouse keys generate` and set GATEHOUSE__CRYPTO__FERNET_KEYS"
    )]
    MissingOnPostgres,
    #[error("crypto.fernet_keys: entry {0} is not a Fernet key (32 bytes of URL-safe base64)")]
    Invalid(usize),
    #[error(
        "crypto.fernet_keys: none of the keys opens the stored e-mail lookup key: a key was removed before \
         `gatehouse keys rotate` re-sealed what it had sealed; put the old key back (after the new one)"
    )]
    LookupKeyUnreadable,
    #[error("crypto.key_file {path}: {message}")]
    File { path: String, message: String },
}

/// The keys to use, newest first, and whether one was just generated.
#[derive(Clone)]
pub struct LoadedKeys {
    pub keys: Vec<String>,
    pub generated_into: Option<String>,
}

impl std::fmt::Debug for LoadedKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LoadedKeys")
            .field("keys", &format_args!("[{} redacted]", self.keys.len()))
            .field("generated_into", &self.generated_into)
            .finish()
    }
}

pub fn generate() -> String {
    fernet::Fernet::generate_key()
}

/// The keys `crypto.fernet_keys` lists, newest first.
fn configured(config: &Config) -> Vec<String> {
    config
        .crypto
        .fernet_keys
        .iter()
        .map(|k| k.expose().to_owned())
        .collect()
}

pub fn load(config: &Config) -> Result<LoadedKeys, KeyError> {
    if !config.crypto.fernet_keys.is_empty() {
        let keys = configured(config);
        check(&keys)?;
        return Ok(LoadedKeys {
            keys,
            generated_into: None,
        });
    }
    if config.database_kind() == DatabaseKind::Postgres {
        return Err(KeyError::MissingOnPostgres);
    }
    let path = Path::new(&config.crypto.key_file);
    let file_error = |message: String| KeyError::File {
        path: path.display().to_string(),
        message,
    };
    if path.exists() {
        let text = std::fs::read_to_string(path).map_err(|e| file_error(e.to_string()))?;
        let keys: Vec<String> = text
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty() && !l.starts_with('#'))
            .map(str::to_owned)
            .collect();
        if keys.is_empty() {
            return Err(file_error("holds no key".to_owned()));
        }
        check(&keys)?;
        return Ok(LoadedKeys {
            keys,
            generated_into: None,
        });
    }
    let key = generate();
    write_private(path, &format!("{key}\n")).map_err(|e| file_error(e.to_string()))?;
    Ok(LoadedKeys {
        keys: vec![key],
        generated_into: Some(path.display().to_string()),
    })
}

/// Checks the configured keys without touching the key file: each must be a Fernet key, and a PostgreSQL
/// deployment must configure them.
pub fn check_configured(config: &Config) -> Result<(), KeyError> {
    let keys = configured(config);
    if keys.is_empty() && config.database_kind() == DatabaseKind::Postgres {
        return Err(KeyError::MissingOnPostgres);
    }
    check(&keys)
}

fn check(keys: &[String]) -> Result<(), KeyError> {
    for (i, key) in keys.iter().enumerate() {
        if fernet::Fernet::new(key).is_none() {
            return Err(KeyError::Invalid(i + 1));
        }
    }
    Ok(())
}

/// Creates a file readable by its owner only (mode 0600), failing if it exists.
fn write_private(path: &Path, contents: &str) -> std::io::Result<()> {
    if let Some(dir) = path.parent()
        && !dir.as_os_str().is_empty()
    {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    file.write_all(contents.as_bytes())?;
    file.sync_all()
}
