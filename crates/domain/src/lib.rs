//! Hearth's domain: the rules of a therapy practice as pure types and functions.
//!
//! Nothing here does I/O. Every value that crosses a boundary is parsed once into a type
//! that can only hold a valid value ("parse, don't validate").

pub mod access;
mod accounts;
mod catalog;
mod fields;
mod groups;
mod ids;
mod intake;
mod licensure;
mod matching;
mod measures;
mod outcomes;
mod password;
mod plans;
mod recommend;
mod region;
mod room;
mod scheduling;
pub mod seats;
mod sessions;
mod therapists;
mod throttle;
mod users;

pub use access::{
    Action, Actor, Decision, POLICY, Record, Relation, Rule, Ties, allowed_relations, decide,
    policy_table,
};
pub use accounts::{BirthDate, DisplayName, Email, Role, TimeZone, age_on};
pub use catalog::{
    AgeBand, COMPASSION_FATIGUE_PLAN, Capacity, PROGRAMS, PlanWeek, Program, ProgramSeed, TOPICS,
    Topic, TopicPlanWeek, TopicSeed,
};
pub use fields::FieldErrors;
pub use groups::{Group, GroupFilter, GroupStatus, GroupStatusError};
pub use ids::{GroupId, InviteId, MembershipId, SessionId, UserId, WaitlistEntryId};
pub use intake::{
    AvailabilityError, AvailabilityWindow, CONSENT_VERSION, GROUP_CONFIDENTIALITY,
    TELEHEALTH_CONSENT,
};
pub use licensure::{License, LicenseKind, may_treat};
pub use matching::{
    BatchPlacement, DimacsError, GENERATED_OVERFLOW_COST, GroupCandidate, MAX_PLACEMENT_COST,
    PlacementError, PlacementProblem, generate_placement_problem, parse_dimacs, solve_placement,
    to_dimacs,
};
pub use measures::{
    ASQ, AnswerError, Answers, Asked, AsqResult, Band, GAD7, Instrument, InstrumentId, Item, PHQ9,
    PROQOL5, ResponseOption, Risk, RiskLevel, RiskLevelError, Score, ScoringRule, Severity,
    Subscale, SubscaleRule,
};
pub use outcomes::{
    CASENESS_DEFINITION, CASENESS_GAD7, CASENESS_PHQ9, Eligibility, Outcome, OutcomeCount,
    OutcomeReport, PairedScores, RELIABLE_CHANGE_GAD7, RELIABLE_CHANGE_PHQ9, REMISSION_BELOW_PHQ9,
    Rate, ScoreError, Trajectory, TrajectoryError, outcome_report,
};
pub use password::{
    PASSWORD_MAX_CHARS, PASSWORD_MIN_CHARS, Password, PasswordContext, PasswordError, is_common,
};
pub use plans::{PlanTemplate, plan_template};
pub use recommend::{ClientNeeds, Fit, FitReason, GroupOffer, fit, fit_for_staff, score};
pub use region::{Region, US_STATES};
pub use room::{
    AttendanceStatus, Knock, ROOM_CLOSES_AFTER_MINUTES, ROOM_OPENS_BEFORE_MINUTES, RoomEntry,
    RoomRefusal, RoomState, STAFF_REASON_MAX_CHARS, STAFF_REASON_MIN_CHARS, knock,
};
pub use scheduling::{
    DEFAULT_DURATION_MINUTES, MAX_DURATION_MINUTES, MIN_DURATION_MINUTES, Occurrence,
    OccurrenceException, OccurrenceStatus, Placement, Series, SeriesError, SeriesOccurrence,
    ShiftNotice, SlotError, WeeklySlot, in_zone, parse_local_time, parse_weekday, upcoming_shifts,
    weekday_slug,
};
pub use seats::{
    MembershipRow, MembershipStatus, PlaceRelease, SeatDecision, SeatFacts, WaitlistPlace,
    WaitlistStatus, decide_reservation, may_offer_directly, offer_is_live, seats_to_offer,
};
pub use sessions::{Session, SessionKind, SessionKindError};
pub use therapists::TherapistProfile;
pub use throttle::{Admission, Backoff, LoginThrottle, Strikes, address_key};
pub use users::{Invite, User};
