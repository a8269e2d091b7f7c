//! What clients see of a therapist besides their name.

use crate::{License, LicenseKind, UserId};

/// A therapist's profile: licensure, experience, bio and specialties.
#[derive(Clone, Debug)]
pub struct TherapistProfile {
    pub user_id: UserId,
    pub license_kind: LicenseKind,
    pub years_of_practice: i32,
    pub bio: String,
    pub licenses: Vec<License>,
    pub specialties: Vec<String>,
}
