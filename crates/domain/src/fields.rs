//! Field-level errors, collected so a form can show every problem at once.

use serde::Serialize;
use std::collections::BTreeMap;
use std::fmt;

/// Problems with a submitted form or JSON body, keyed by field name.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct FieldErrors(BTreeMap<String, String>);

impl FieldErrors {
    pub fn new() -> Self {
        Self::default()
    }

    /// Records the first problem seen for `field`.
    pub fn add(&mut self, field: &str, message: impl fmt::Display) {
        self.0.entry(field.to_owned()).or_insert_with(|| message.to_string());
    }

    /// Parses one field, recording its error, and returns the value when it is valid.
    pub fn check<T, E: fmt::Display>(&mut self, field: &str, parsed: Result<T, E>) -> Option<T> {
        match parsed {
            Ok(value) => Some(value),
            Err(err) => {
                self.add(field, err);
                None
            }
        }
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0.get(field).map(String::as_str)
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.0.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// A single sentence naming every field, for logs and plain-text answers.
    pub fn summary(&self) -> String {
        self.0.iter().map(|(k, v)| format!("{k}: {v}")).collect::<Vec<_>>().join("; ")
    }

    /// Every message as sentences for a person reading a page, without the field names
    /// ("Describe what was done: contact made, safety plan, referral.").
    pub fn sentences(&self) -> String {
        self.0
            .values()
            .map(|message| {
                let mut chars = message.trim().chars();
                let first = chars.next().map(|c| c.to_uppercase().collect::<String>());
                let mut sentence = first.unwrap_or_default() + chars.as_str();
                if !sentence.ends_with(['.', '?', '!']) {
                    sentence.push('.');
                }
                sentence
            })
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `Ok(())` when nothing was recorded, so callers can write `errors.into_result()?`.
    pub fn into_result(self) -> Result<(), Self> {
        if self.is_empty() { Ok(()) } else { Err(self) }
    }
}

impl fmt::Display for FieldErrors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.summary())
    }
}

impl std::error::Error for FieldErrors {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_name_no_field_and_read_as_sentences() {
        let mut errors = FieldErrors::new();
        errors.add("disposition", "describe what was done: contact made, referral");
        errors.add("phone", "Enter a phone number.");
        let text = errors.sentences();
        assert_eq!(text, "Describe what was done: contact made, referral. Enter a phone number.");
        assert!(!text.contains("disposition"));
    }
}
