//! Encryption at rest for clinical free text (intake narratives, notes, safety plans,
//! dispositions). XChaCha20-Poly1305 with a random 192-bit nonce per value; each sealed
//! value names its key id, so keys can rotate: new values use the current key, old ones
//! still open with theirs. The row a value belongs to is bound in as associated data, so a
//! ciphertext copied into another row does not open.
//!
//! Each key also yields, through HKDF-SHA256, the audit log's HMAC key of the same id: it
//! lives outside the database like the key it derives from, rotates with it, and never
//! equals a key that seals data.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD_NO_PAD as B64;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hearth_store::{AuditKey, AuditKeyring};
use rand::RngCore as _;
use std::collections::HashMap;
use std::fmt;

const VERSION: &str = "v1";

/// The encryption keys, by id, and which one seals new values.
#[derive(Clone)]
pub struct Vault {
    current: String,
    keys: HashMap<String, XChaCha20Poly1305>,
    audit: AuditKeyring,
}

impl fmt::Debug for Vault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Never the keys themselves.
        f.debug_struct("Vault")
            .field("current", &self.current)
            .field("keys", &self.keys.len())
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum VaultError {
    #[error("an encryption key must be written as ID:BASE64 with 32 bytes of key")]
    BadKey,
    #[error("key ids use letters, digits, '-' and '_' only")]
    BadKeyId,
    #[error("the current key {0:?} is not among the keys")]
    NoCurrentKey(String),
    #[error("a sealed value is malformed")]
    Malformed,
    #[error("no key {0:?} to open this value")]
    UnknownKey(String),
    #[error("a sealed value does not open (wrong key, wrong row, or tampered)")]
    DoesNotOpen,
}

impl Vault {
    /// Keys as `ID:BASE64` strings; `current` seals new values.
    pub fn from_config(keys: &[String], current: &str) -> Result<Self, VaultError> {
        let mut parsed = HashMap::new();
        let mut audit = Vec::new();
        for entry in keys {
            let (id, material) = entry.split_once(':').ok_or(VaultError::BadKey)?;
            if id.is_empty()
                || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            {
                return Err(VaultError::BadKeyId);
            }
            let bytes =
                B64.decode(material.trim_end_matches('=')).map_err(|_| VaultError::BadKey)?;
            let cipher =
                XChaCha20Poly1305::new_from_slice(&bytes).map_err(|_| VaultError::BadKey)?;
            parsed.insert(id.to_owned(), cipher);
            audit.push(derive_audit_key(id, &bytes));
        }
        if !parsed.contains_key(current) {
            return Err(VaultError::NoCurrentKey(current.to_owned()));
        }
        let audit = AuditKeyring::new(audit, current)
            .ok_or_else(|| VaultError::NoCurrentKey(current.to_owned()))?;
        Ok(Self { current: current.to_owned(), keys: parsed, audit })
    }

    /// The audit log's keys, one per encryption key and with the same ids; the current one
    /// signs new rows and checkpoints.
    pub fn audit_keys(&self) -> &AuditKeyring {
        &self.audit
    }

    /// A new random key as `ID:BASE64`, for `hearth demo` and first start-up.
    pub fn generate_key(id: &str) -> String {
        let mut key = [0_u8; 32];
        rand::rngs::OsRng.fill_bytes(&mut key);
        format!("{id}:{}", B64.encode(key))
    }

    /// Encrypts `plaintext` for the row named by `context` (e.g. `intake:client:12`).
    pub fn seal(&self, plaintext: &str, context: &str) -> Result<String, VaultError> {
        let cipher = self
            .keys
            .get(&self.current)
            .ok_or_else(|| VaultError::UnknownKey(self.current.clone()))?;
        let mut nonce = [0_u8; 24];
        rand::rngs::OsRng.fill_bytes(&mut nonce);
        let sealed = cipher
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload { msg: plaintext.as_bytes(), aad: context.as_bytes() },
            )
            .map_err(|_| VaultError::DoesNotOpen)?;
        Ok(format!("{VERSION}.{}.{}.{}", self.current, B64.encode(nonce), B64.encode(sealed)))
    }

    /// Decrypts a value sealed for the same `context`.
    pub fn open(&self, sealed: &str, context: &str) -> Result<String, VaultError> {
        let mut parts = sealed.split('.');
        let (Some(VERSION), Some(id), Some(nonce), Some(body), None) =
            (parts.next(), parts.next(), parts.next(), parts.next(), parts.next())
        else {
            return Err(VaultError::Malformed);
        };
        let cipher = self.keys.get(id).ok_or_else(|| VaultError::UnknownKey(id.to_owned()))?;
        let nonce = B64.decode(nonce).map_err(|_| VaultError::Malformed)?;
        if nonce.len() != 24 {
            return Err(VaultError::Malformed);
        }
        let body = B64.decode(body).map_err(|_| VaultError::Malformed)?;
        let plain = cipher
            .decrypt(XNonce::from_slice(&nonce), Payload { msg: &body, aad: context.as_bytes() })
            .map_err(|_| VaultError::DoesNotOpen)?;
        String::from_utf8(plain).map_err(|_| VaultError::Malformed)
    }

    /// The id of the key that seals new values.
    pub fn current_key_id(&self) -> &str {
        &self.current
    }
}

/// The audit key of the same id as the encryption key `material`.
fn derive_audit_key(id: &str, material: &[u8]) -> AuditKey {
    let mut secret = [0_u8; 32];
    hkdf::Hkdf::<sha2::Sha256>::new(Some(b"hearth"), material)
        .expand(b"hearth audit log v1", &mut secret)
        .expect("32 bytes is a valid HKDF-SHA256 output length");
    AuditKey::new(id, &secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vault(keys: &[&str], current: &str) -> Vault {
        Vault::from_config(&keys.iter().map(|k| (*k).to_owned()).collect::<Vec<_>>(), current)
            .expect("vault")
    }

    #[test]
    fn a_sealed_value_opens_only_for_its_own_row() {
        let key = Vault::generate_key("k1");
        let v = vault(&[&key], "k1");
        let sealed =
            v.seal("I have been feeling low since March.", "intake:client:7").expect("seal");
        assert!(!sealed.contains("feeling"));
        assert_eq!(
            v.open(&sealed, "intake:client:7").expect("open"),
            "I have been feeling low since March."
        );
        assert_eq!(v.open(&sealed, "intake:client:8"), Err(VaultError::DoesNotOpen));
    }

    #[test]
    fn the_same_text_seals_differently_each_time() {
        let key = Vault::generate_key("k1");
        let v = vault(&[&key], "k1");
        assert_ne!(v.seal("same", "c").expect("seal"), v.seal("same", "c").expect("seal"));
    }

    #[test]
    fn after_rotation_old_values_open_and_new_ones_use_the_new_key() {
        let old = Vault::generate_key("2026a");
        let new = Vault::generate_key("2026b");
        let before = vault(&[&old], "2026a").seal("old note", "note:1").expect("seal");
        let rotated = vault(&[&old, &new], "2026b");
        assert_eq!(rotated.open(&before, "note:1").expect("open"), "old note");
        assert!(rotated.seal("new note", "note:2").expect("seal").starts_with("v1.2026b."));
        let without_old = vault(&[&new], "2026b");
        assert_eq!(
            without_old.open(&before, "note:1"),
            Err(VaultError::UnknownKey("2026a".to_owned()))
        );
    }

    #[test]
    fn tampered_or_malformed_values_are_refused() {
        let key = Vault::generate_key("k1");
        let v = vault(&[&key], "k1");
        let sealed = v.seal("text", "c").expect("seal");
        // Change one character in the middle of the ciphertext (the last one may carry
        // padding bits, which base64 itself would refuse).
        let (head, body) = sealed.rsplit_once('.').expect("four parts");
        let mut chars: Vec<char> = body.chars().collect();
        let middle = chars.len() / 2;
        chars[middle] = if chars[middle] == 'A' { 'B' } else { 'A' };
        let tampered = format!("{head}.{}", chars.into_iter().collect::<String>());
        assert_eq!(v.open(&tampered, "c"), Err(VaultError::DoesNotOpen));
        assert_eq!(v.open("plain text", "c"), Err(VaultError::Malformed));
    }

    #[test]
    fn bad_key_configuration_is_refused_clearly() {
        assert_eq!(
            Vault::from_config(&["nocolon".to_owned()], "x").err(),
            Some(VaultError::BadKey)
        );
        assert_eq!(
            Vault::from_config(&["k.1:AAAA".to_owned()], "k.1").err(),
            Some(VaultError::BadKeyId)
        );
        let key = Vault::generate_key("k1");
        assert_eq!(
            Vault::from_config(&[key], "k2").err(),
            Some(VaultError::NoCurrentKey("k2".to_owned()))
        );
        let key = Vault::generate_key("k1");
        let material = key.split_once(':').expect("id:key").1.to_owned();
        assert!(!format!("{:?}", vault(&[&key], "k1")).contains(&material));
    }
}
