//! Hearth's domain: the rules of a therapy practice as pure types and functions.
//!
//! Nothing here does I/O. Every value that crosses a boundary is parsed once into a type
//! that can only hold a valid value ("parse, don't validate").

mod accounts;
mod fields;
mod ids;
mod password;
mod region;

pub use accounts::{BirthDate, DisplayName, Email, Role, TimeZone};
pub use fields::FieldErrors;
pub use ids::{InviteId, SessionId, UserId};
pub use password::{PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, Password, PasswordError};
pub use region::Region;
