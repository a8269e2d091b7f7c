//! Hearth's persistence. One [`Db`] serves SQLite (the embedded default) and PostgreSQL
//! (the scale-out engine); every method works on both, with the same SQL text wherever the
//! dialects agree.

mod access;
mod attendance;
mod audit;
mod calendars;
mod care;
mod catalog;
mod consults;
mod db;
mod directory;
mod error;
mod groups;
mod intakes;
mod invites;
mod measures;
mod plans;
mod safety_plans;
mod schedules;
mod sealed;
mod seats;
mod second_factors;
mod sessions;
mod switches;
mod therapists;
mod throttle;
mod users;

pub use access::{AccessFacts, BreakGlassRow, FlaggedClient};
pub use attendance::AttendanceRow;
pub use audit::{
    AuditEntry, AuditHead, AuditKey, AuditKeyring, AuditRecord, AuditVerification, NewAuditEntry,
};
pub use care::CareNoteRow;
pub use consults::{BookingOutcome, ConsultRow, NewConsult};
pub use db::{Db, Engine};
pub use directory::{DirectoryFilter, DirectoryRow};
pub use error::{StoreError, StoreResult};
pub use groups::{ExceptionKind, NewGroup, SlotChange, StoredException};
pub use intakes::IntakeRow;
pub use invites::NewInvite;
pub use measures::{NewMeasure, SealedMeasure, StoredMeasure, StoredRiskFlag, StoredTotal};
pub use plans::PlanRow;
pub use safety_plans::SafetyPlanRow;
pub use schedules::SeriesChanges;
pub use sealed::{PlainMeasureRow, PlainRiskLevelRow, SEAL_BATCH, SealForRow};
pub use seats::SeatOutcome;
pub use second_factors::{LoginChallenge, SecondFactorRow};
pub use sessions::NewSession;
pub use switches::SwitchRequestRow;
pub use therapists::NewTherapist;
pub use users::NewUser;
