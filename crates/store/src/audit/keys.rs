//! The keys that sign the audit chain and its checkpoints.

use hmac::{Hmac, Mac as _};
use sha2::Sha256;
use std::collections::HashMap;
use std::fmt;

use super::feed;

type HmacSha256 = Hmac<Sha256>;

/// A secret key for the audit chain and its checkpoints, named by an id that each row records
/// so keys can rotate. `Debug` shows the id only.
#[derive(Clone)]
pub struct AuditKey {
    id: String,
    /// HMAC state already keyed; cloned for each message.
    keyed: HmacSha256,
}

impl fmt::Debug for AuditKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AuditKey").field("id", &self.id).finish_non_exhaustive()
    }
}

impl AuditKey {
    pub fn new(id: impl Into<String>, secret: &[u8; 32]) -> Self {
        let keyed = HmacSha256::new_from_slice(secret).expect("HMAC accepts keys of any length");
        Self { id: id.into(), keyed }
    }

    pub fn id(&self) -> &str {
        &self.id
    }

    /// HMAC-SHA256, in hex, over `domain`, this key's id and the length-prefixed `fields`.
    pub fn sign(&self, domain: &str, fields: &[impl AsRef<str>]) -> String {
        hex::encode(self.mac(domain, fields).finalize().into_bytes())
    }

    /// Whether `mac_hex` is [`AuditKey::sign`] of the same input (compared in constant time).
    pub fn verifies(&self, domain: &str, fields: &[impl AsRef<str>], mac_hex: &str) -> bool {
        hex::decode(mac_hex).is_ok_and(|mac| self.mac(domain, fields).verify_slice(&mac).is_ok())
    }

    fn mac(&self, domain: &str, fields: &[impl AsRef<str>]) -> HmacSha256 {
        let mut mac = self.keyed.clone();
        feed(|bytes| mac.update(bytes), [domain, self.id.as_str()]);
        feed(|bytes| mac.update(bytes), fields);
        mac
    }
}

/// The audit keys by id, and the current one that signs new rows.
#[derive(Clone, Debug)]
pub struct AuditKeyring {
    current: AuditKey,
    older: HashMap<String, AuditKey>,
}

impl AuditKeyring {
    /// `None` when no key has the id `current`.
    pub fn new(keys: impl IntoIterator<Item = AuditKey>, current: &str) -> Option<Self> {
        let mut older: HashMap<String, AuditKey> =
            keys.into_iter().map(|k| (k.id.clone(), k)).collect();
        let current = older.remove(current)?;
        Some(Self { current, older })
    }

    pub fn current(&self) -> &AuditKey {
        &self.current
    }

    pub fn get(&self, id: &str) -> Option<&AuditKey> {
        if id == self.current.id { Some(&self.current) } else { self.older.get(id) }
    }
}
