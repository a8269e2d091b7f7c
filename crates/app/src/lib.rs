//! Hearth's use cases. Each public function is one thing a person or a job does, in the
//! words of the domain; the web layer calls exactly one of them per request.

mod access;
mod accounts;
mod attendance;
mod audit;
mod audit_writer;
mod browse;
mod bulk_seal;
mod calendars;
mod care;
mod catalog;
mod checkins;
mod client_home;
mod client_summary;
mod clock;
mod consults;
mod dashboard;
mod directory;
mod error;
mod group_page;
mod groups;
mod intake;
mod invites;
mod kept;
mod measures;
mod outcomes;
mod paging;
mod passwords;
mod placement;
mod plans;
mod recommendations;
mod record_pages;
mod risk_queue;
mod rooms;
mod safety_plans;
mod schedules;
mod sealed_fields;
mod seats;
mod second_factor;
mod sessions;
mod snapshot;
mod staff_home;
mod switches;
mod therapist_page;
mod therapists;
mod tokens;
mod vault;
mod waiting;

use hearth_store::Db;
use std::sync::Arc;

pub use access::{ClientPermissions, GLASS_HOURS, GlassAccess};
pub use accounts::{ClientSignUp, NewStaff, STAFF_PAGE_SIZE, SignUp, StaffOverview};
pub use attendance::{AttendanceLine, SheetPart};
pub use audit::{AuditCheckpoint, AuditContext, CheckpointError};
pub use browse::{
    BrowseFilter, CATALOG_PAGE_SIZE, CatalogPage, GroupCard, TimeOfDay, weekday_name,
};
pub use bulk_seal::{BulkSealer, SealedMeasureColumns};
pub use calendars::DISCREET_TITLE;
pub use care::{CARE_QUEUE_PAGE_SIZE, CareNote, CareQueue};
pub use checkins::{CheckInStatus, OVERDUE_TTL};
pub use client_home::{ClientHome, NextSession, SwitchView};
pub use client_summary::{ClientSummary, ClinicalSummary};
pub use clock::{Clock, ManualClock, SystemClock};
pub use consults::{CALL_MINUTES, ConsultCall};
pub use dashboard::Dashboard;
pub use directory::{DIRECTORY_PAGE_SIZE, Directory, DirectoryEntry, DirectorySearch};
pub use error::{AppError, AppResult};
pub use group_page::{GroupPage, MyGroupCards, Standing};
pub use groups::{GroupInput, OccurrenceView, SHIFT_NOTICE_HORIZON, is_care_team, may_reschedule};
pub use hearth_domain::LoginThrottle as ThrottlePolicy;
pub use hearth_domain::{MembershipRow, MembershipStatus, WaitlistPlace, WaitlistStatus};
pub use intake::{Intake, IntakeInput, IntakePrivate};
pub use invites::{InviteAcceptance, IssuedInvite};
pub use measures::{CRISIS_LINES, CrisisLine, MeasureResult, RiskFlagView, ScoreTrend};
pub use outcomes::{OutcomeReportPage, REPORT_SMALLEST_SHOWN, ReportLine, ReportScope};
pub use paging::{Paged, Paging};
pub use passwords::HashError;
pub use passwords::PasswordHasher;
pub use placement::ProposedPlacement;
pub use plans::{PlanContent, PlanInput, TreatmentPlan};
pub use recommendations::{CLIENT_SEES, Recommendation, TherapistRecommendation};
pub use record_pages::{PlanView, RecordPage};
pub use risk_queue::RISK_QUEUE_PAGE_SIZE;
pub use rooms::{
    LOCATION_MAX_CHARS, Meeting, RoomConnection, RoomHub, RoomMessage, SafetyEntry, SafetyPanel,
};
pub use safety_plans::{SAFETY_PLAN_SECTIONS, SafetyPlan, StoredSafetyPlan};
pub use schedules::SCHEDULE_TTL;
pub use sealed_fields::{MeasureRow, RiskFlagRow, SealedCounts};
pub use seats::{DEFAULT_OFFER_HOLD, MyGroups, Reservation, RosterEntry};
pub use second_factor::{Enrolment, SecondFactorPolicy};
pub use sessions::{Authenticated, LoginAttempt, LoginStep, SessionPolicy, SignedIn};
pub use staff_home::{
    AdminHome, CoordinatorHome, HOME_LIST_SHOWN, LICENCE_WARNING_DAYS, TherapistHome,
    WEEK_AHEAD_DAYS, WeekSession,
};
pub use switches::SwitchRequest;
pub use therapist_page::{LED_GROUPS_PAGE_SIZE, LedGroup};
pub use therapists::{LicenseInput, THERAPISTS_PAGE_SIZE, TherapistInput, TherapistsOverview};
pub use vault::{Vault, VaultError};
pub use waiting::WAITING_TTL;

/// How long the staff list, the coordinators' call hours and the admin home's figures are
/// kept: a change through another node shows within this (through this node, at once).
pub const KEPT_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// Everything a use case needs, cheap to clone into each request.
#[derive(Clone, Debug)]
pub struct App {
    db: Db,
    clock: Arc<dyn Clock>,
    hasher: PasswordHasher,
    sessions: SessionPolicy,
    throttle: ThrottlePolicy,
    second_factor_policy: SecondFactorPolicy,
    offer_hold: chrono::Duration,
    session_cache: Arc<sessions::SessionCache>,
    practice_snapshot: Arc<snapshot::PracticeSnapshot>,
    headline_cache: Arc<outcomes::HeadlineCache>,
    report_pages: Arc<outcomes::ReportPageCache>,
    overdue_cache: Arc<checkins::OverdueCache>,
    schedule_cache: Arc<kept::Kept<hearth_store::SeriesChanges>>,
    /// Every staff account, for the pickers of the admin's forms.
    staff_list: Arc<kept::Kept<Vec<hearth_domain::User>>>,
    /// The coordinators' weekly call hours, in their zones.
    consult_hours: Arc<kept::Kept<consults::ConsultHours>>,
    /// The active topics.
    kept_topics: Arc<kept::Kept<Vec<hearth_domain::Topic>>>,
    /// The admin home's figures and lapsing licences.
    admin_figures: Arc<kept::Kept<staff_home::AdminHome>>,
    waiting_cache: Arc<waiting::WaitingCache>,
    /// Shared: the keyrings are maps, and an `App` is cloned for every request.
    vault: Arc<Vault>,
    /// Commits stand-alone audit rows in batches.
    audit_writer: Arc<audit_writer::AuditWriter>,
    /// The hash unknown emails are checked against, made at the first such login.
    dummy_hash: Arc<tokio::sync::OnceCell<String>>,
    /// This node's live video rooms, once [`App::with_video`] attached an SFU.
    rooms: Option<Arc<rooms::RoomHub>>,
}

/// How an [`App`] is put together; the server fills it from its settings, tests from theirs.
#[derive(Clone, Debug)]
pub struct AppParts {
    pub db: Db,
    pub clock: Arc<dyn Clock>,
    pub hasher: PasswordHasher,
    pub sessions: SessionPolicy,
    pub throttle: ThrottlePolicy,
    /// Whether staff must enrol a second factor before anything else.
    pub second_factor_policy: SecondFactorPolicy,
    /// How long a freed seat is held for the person it is offered to.
    pub offer_hold: chrono::Duration,
    /// Keys for clinical free text at rest.
    pub vault: Vault,
}

impl App {
    pub fn new(parts: AppParts) -> Self {
        Self {
            db: parts.db,
            clock: parts.clock,
            hasher: parts.hasher,
            sessions: parts.sessions,
            throttle: parts.throttle,
            second_factor_policy: parts.second_factor_policy,
            offer_hold: parts.offer_hold,
            session_cache: Arc::default(),
            practice_snapshot: Arc::default(),
            headline_cache: Arc::default(),
            report_pages: Arc::default(),
            overdue_cache: Arc::default(),
            schedule_cache: Arc::new(kept::Kept::new(SCHEDULE_TTL)),
            staff_list: Arc::new(kept::Kept::new(KEPT_TTL)),
            consult_hours: Arc::new(kept::Kept::new(KEPT_TTL)),
            admin_figures: Arc::new(kept::Kept::new(KEPT_TTL)),
            kept_topics: Arc::new(kept::Kept::new(KEPT_TTL)),
            waiting_cache: Arc::default(),
            vault: Arc::new(parts.vault),
            audit_writer: Arc::default(),
            dummy_hash: Arc::default(),
            rooms: None,
        }
    }

    pub fn now(&self) -> chrono::DateTime<chrono::Utc> {
        self.clock.now()
    }

    /// Whether the server and its database answer.
    pub async fn health(&self) -> AppResult<()> {
        self.db.ping().await.map_err(AppError::from)
    }
}
