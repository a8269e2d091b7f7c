//! Typed ids: a `UserId` can never be passed where a `SessionId` is meant.

use serde::{Deserialize, Serialize};
use std::fmt;

macro_rules! typed_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// Wraps a raw id read from storage or a URL.
            pub const fn new(raw: i64) -> Self {
                Self(raw)
            }

            /// The raw id, for storage.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

typed_id!(
    /// A person with an account: client, therapist, coordinator or admin.
    UserId
);
typed_id!(
    /// One signed-in session (a browser cookie or an API token).
    SessionId
);
typed_id!(
    /// An admin's invitation for a new staff member.
    InviteId
);
typed_id!(
    /// A weekly therapy group (a cohort).
    GroupId
);
typed_id!(
    /// One person's seat in one group, from joining until leaving.
    MembershipId
);
typed_id!(
    /// One person's place in a group's waitlist.
    WaitlistEntryId
);
