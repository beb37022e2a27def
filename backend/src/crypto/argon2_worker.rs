//! One hashing thread's Argon2id: it keeps its memory blocks (19 MiB with the default parameters) from one job to
//! the next instead of allocating and zeroing them every time. That saves the page faults of a fresh allocation
//! on each login and keeps the process's memory at one set of blocks per thread, where the allocator would
//! otherwise keep a freed set in each of its arenas. An idle worker gives its blocks back ([`Argon2Worker::release`]).

use argon2::password_hash::{Output, ParamsString, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};

/// Hashes with stored parameters may ask for at most this many times the configured memory; a stored hash asking
/// for more (a corrupted or hostile row) does not match rather than exhaust memory.
const MAX_MEMORY_FACTOR: usize = 4;

/// Blocks are reserved at least this many at a time (33 MiB of address space; only the blocks used become
/// resident). glibc's allocator serves a request this large with its own mapping and gives it back to the system
/// when freed, whereas a freed mapping of 32 MiB or less raises its threshold for mappings to that size, after
/// which later sets of blocks come from its arenas and are never given back: an idle server would keep a set of
/// blocks per thread.
const RESERVE_BLOCKS: usize = 33 * 1024;

pub struct Argon2Worker {
    params: Params,
    memory: Vec<Block>,
}

impl Argon2Worker {
    /// The blocks are allocated at the first job.
    pub fn new(params: Params) -> Self {
        Argon2Worker {
            params,
            memory: Vec::new(),
        }
    }

    fn blocks(&mut self, count: usize) -> &mut [Block] {
        if self.memory.len() < count {
            if self.memory.capacity() < count {
                let mut fresh = Vec::with_capacity(count.max(RESERVE_BLOCKS));
                fresh.resize(count, Block::default());
                self.memory = fresh;
            } else {
                self.memory.resize(count, Block::default());
            }
        }
        &mut self.memory[..count]
    }

    /// Gives back all the blocks (until the next job).
    pub fn release(&mut self) {
        self.memory = Vec::new();
    }

    /// Gives back memory a larger stored hash needed beyond the configured parameters.
    fn settle(&mut self) {
        let configured = self.params.block_count();
        if self.memory.len() > configured {
            self.release();
        }
    }

    /// A new Argon2id hash of `password` with the configured parameters, as a PHC string.
    pub fn hash(&mut self, password: &[u8]) -> Result<String, String> {
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.as_salt().decode_b64(&mut salt_bytes).map_err(|e| e.to_string())?;
        let params = self.params.clone();
        let argon2 = Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone());
        let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
        argon2
            .hash_password_into_with_memory(password, salt_bytes, &mut out, self.blocks(params.block_count()))
            .map_err(|e| e.to_string())?;
        let phc = PasswordHash {
            algorithm: Algorithm::Argon2id.ident(),
            version: Some(Version::V0x13.into()),
            params: ParamsString::try_from(&params).map_err(|e| e.to_string())?,
            salt: Some(salt.as_salt()),
            hash: Some(Output::new(&out).map_err(|e| e.to_string())?),
        };
        Ok(phc.to_string())
    }

    /// Whether `password` matches an Argon2 PHC string, computed with the parameters the string carries (so a
    /// change of the configured cost keeps old hashes working). A malformed hash never matches.
    pub fn verify(&mut self, password: &[u8], hash: &str) -> bool {
        let matches = self.verify_inner(password, hash).unwrap_or(false);
        self.settle();
        matches
    }

    fn verify_inner(&mut self, password: &[u8], hash: &str) -> Option<bool> {
        let parsed = PasswordHash::new(hash).ok()?;
        let (salt, expected) = (parsed.salt?, parsed.hash?);
        let algorithm = Algorithm::try_from(parsed.algorithm).ok()?;
        let version = match parsed.version {
            Some(v) => Version::try_from(v).ok()?,
            None => Version::default(),
        };
        let params = Params::try_from(&parsed).ok()?;
        if params.block_count() > MAX_MEMORY_FACTOR * self.params.block_count().max(8) {
            return Some(false);
        }
        let mut salt_bytes = [0u8; 64];
        let salt_bytes = salt.decode_b64(&mut salt_bytes).ok()?;
        let mut out = [0u8; Output::MAX_LENGTH];
        let out = out.get_mut(..expected.len())?;
        Argon2::new(algorithm, version, params.clone())
            .hash_password_into_with_memory(password, salt_bytes, out, self.blocks(params.block_count()))
            .ok()?;
        // Output's equality is constant-time.
        Some(Output::new(out).ok()? == expected)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use argon2::password_hash::{PasswordHasher, PasswordVerifier};

    fn params(m: u32) -> Params {
        Params::new(m, 1, 1, None).unwrap()
    }

    #[test]
    fn its_hashes_are_standard_and_standard_hashes_verify() {
        let mut worker = Argon2Worker::new(params(256));
        let mine = worker.hash(b"correct horse").unwrap();
        assert!(mine.starts_with("$argon2id$v=19$m=256,t=1,p=1$"), "{mine}");
        let standard = Argon2::new(Algorithm::Argon2id, Version::V0x13, params(256));
        assert!(
            standard
                .verify_password(b"correct horse", &PasswordHash::new(&mine).unwrap())
                .is_ok()
        );
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        // A hash made elsewhere with other parameters (more memory, two passes, argon2i) still verifies.
        let theirs = Argon2::new(
            Algorithm::Argon2i,
            Version::V0x13,
            Params::new(512, 2, 1, None).unwrap(),
        )
        .hash_password(b"battery staple", &salt)
        .unwrap()
        .to_string();
        assert!(worker.verify(b"battery staple", &theirs));
        assert!(!worker.verify(b"battery stable", &theirs));
        assert!(worker.verify(b"correct horse", &mine));
        assert!(!worker.verify(b"correct horse", "$argon2id$v=19$m=256,t=1,p=1$bm90$bm90"));
        assert!(!worker.verify(b"correct horse", "plain text"));
        assert!(
            worker.memory.capacity() >= RESERVE_BLOCKS,
            "blocks are reserved in one large mapping"
        );
    }

    #[test]
    fn a_stored_hash_asking_for_far_more_memory_does_not_match() {
        let mut worker = Argon2Worker::new(params(64));
        let salt = SaltString::generate(&mut argon2::password_hash::rand_core::OsRng);
        let huge = Argon2::new(
            Algorithm::Argon2id,
            Version::V0x13,
            Params::new(4096, 1, 1, None).unwrap(),
        )
        .hash_password(b"pw", &salt)
        .unwrap()
        .to_string();
        assert!(!worker.verify(b"pw", &huge));
        assert!(worker.memory.is_empty(), "nothing was allocated for it");
    }
}
