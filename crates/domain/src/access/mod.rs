//! Who may see or change what about a client: the practice's one access policy.
//!
//! Every app use case that reads or changes a client's records gathers the [`Ties`] between
//! the actor and that client (a few facts from the database) and asks [`decide`]. Nothing
//! else in Hearth decides access to a client's records. The rules are the table [`POLICY`]:
//! one line per kind of record and action, naming the relationships that allow it. A person
//! can read it (ARCHITECTURE.md prints it, from [`policy_table`]) and answer "who can read
//! this client's PHQ-9 answers?" without reading the code.
//!
//! The principles behind the table:
//! - Clinical content (answers and scores, the intake narrative, safety and treatment plans,
//!   care notes, risk dispositions) is read by the client and their care team: the therapist
//!   treating them and their assigned coordinator. Nobody else, by default.
//! - Administrators run the practice (accounts, groups, the catalogue) and see no clinical
//!   content.
//! - Any staff member may *break the glass*: state a reason and get an hour's read access to
//!   one client's clinical record, audited with the reason and reviewed by admins. It never
//!   grants a change.
//! - A risk signal (that a client has an open flag, and how urgent it is) reaches every
//!   clinician on duty, without the answers behind it. A flag is acknowledged by the treating
//!   therapist, or by any therapist when the client has none (the clinician on call).
//! - A client waiting for their first coordinator is looked after by every coordinator: until
//!   one takes them from the queue, every coordinator is their coordinator.

use crate::Role;
use std::fmt::Write as _;

/// A kind of record about one client.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Record {
    /// Display name, time zone and region: what a roster or a queue shows.
    Identity,
    /// Email, phone, birth date and emergency contact.
    Contact,
    /// Group places, waitlist places, seat offers, switch requests, consult bookings.
    Enrolment,
    /// Whether the client came to each meeting, and for how long.
    Attendance,
    /// Questionnaire answers and scores.
    Measures,
    /// The intake narrative and preferences.
    Intake,
    /// The client's own safety plan.
    SafetyPlan,
    /// Goals, objectives and interventions, and their signatures.
    TreatmentPlan,
    /// The care team's notes about the client.
    CareNotes,
    /// That the client has an open risk flag and how urgent it is, without the answers.
    RiskSignal,
    /// What a clinician did about a flag (the disposition).
    RiskResponse,
}

impl Record {
    pub const ALL: [Record; 11] = [
        Record::Identity,
        Record::Contact,
        Record::Enrolment,
        Record::Attendance,
        Record::Measures,
        Record::Intake,
        Record::SafetyPlan,
        Record::TreatmentPlan,
        Record::CareNotes,
        Record::RiskSignal,
        Record::RiskResponse,
    ];

    /// Clinical content: never shown to anyone outside the client and their care team
    /// without breaking the glass.
    pub fn is_clinical(self) -> bool {
        matches!(
            self,
            Record::Measures
                | Record::Intake
                | Record::SafetyPlan
                | Record::TreatmentPlan
                | Record::CareNotes
                | Record::RiskResponse
        )
    }

    /// Plain words for pages and the policy table.
    pub fn label(self) -> &'static str {
        match self {
            Record::Identity => "name and time zone",
            Record::Contact => "contact details",
            Record::Enrolment => "groups and waitlist",
            Record::Attendance => "attendance",
            Record::Measures => "questionnaire answers and scores",
            Record::Intake => "intake",
            Record::SafetyPlan => "safety plan",
            Record::TreatmentPlan => "treatment plan",
            Record::CareNotes => "care notes",
            Record::RiskSignal => "open risk flags (who, how urgent)",
            Record::RiskResponse => "risk responses",
        }
    }
}

/// What the actor wants to do with the record.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    Read,
    /// Create or change.
    Write,
    /// Sign (a treatment plan) or acknowledge (a risk flag): a clinical act done in one's
    /// own name.
    Sign,
}

impl Action {
    pub const ALL: [Action; 3] = [Action::Read, Action::Write, Action::Sign];

    pub fn label(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::Write => "write",
            Action::Sign => "sign or acknowledge",
        }
    }
}

/// How an actor stands to a client. An actor may hold several at once (a coordinator is both
/// `AnyCoordinator` and, for their own clients, `AssignedCoordinator`); access is allowed when
/// any of them is allowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Relation {
    /// The client themselves.
    Own,
    /// The therapist of a group (or, later, an appointment) the client is in.
    TreatingTherapist,
    /// The client's assigned coordinator, or any coordinator while the client has none.
    AssignedCoordinator,
    /// Any therapist, for a client who has no treating therapist.
    OnCall,
    /// A staff member who broke the glass for this client less than an hour ago.
    BrokenGlass,
    /// Any therapist, whatever their tie.
    AnyTherapist,
    /// Any coordinator, whatever their tie.
    AnyCoordinator,
    /// An administrator.
    Admin,
}

impl Relation {
    pub const ALL: [Relation; 8] = [
        Relation::Own,
        Relation::TreatingTherapist,
        Relation::AssignedCoordinator,
        Relation::OnCall,
        Relation::BrokenGlass,
        Relation::AnyTherapist,
        Relation::AnyCoordinator,
        Relation::Admin,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Relation::Own => "the client",
            Relation::TreatingTherapist => "their therapist",
            Relation::AssignedCoordinator => "their coordinator",
            Relation::OnCall => "the therapist on call (client without a therapist)",
            Relation::BrokenGlass => "staff who broke the glass (read only, one hour)",
            Relation::AnyTherapist => "any therapist",
            Relation::AnyCoordinator => "any coordinator",
            Relation::Admin => "administrators",
        }
    }
}

/// One line of the policy: `action` on `record` is allowed to `who`.
#[derive(Clone, Copy, Debug)]
pub struct Rule {
    pub record: Record,
    pub action: Action,
    pub who: &'static [Relation],
}

const fn rule(record: Record, action: Action, who: &'static [Relation]) -> Rule {
    Rule { record, action, who }
}

use Action::{Read, Sign, Write};
use Relation::{
    Admin, AnyCoordinator, AnyTherapist, AssignedCoordinator, BrokenGlass, OnCall, Own,
    TreatingTherapist,
};

/// The whole policy. A (record, action) pair missing from it is allowed to nobody.
pub const POLICY: &[Rule] = &[
    rule(Record::Identity, Read, &[Own, TreatingTherapist, AnyCoordinator, Admin, BrokenGlass]),
    rule(Record::Identity, Write, &[Own, AssignedCoordinator, Admin]),
    rule(Record::Contact, Read, &[Own, TreatingTherapist, AssignedCoordinator, BrokenGlass]),
    rule(Record::Contact, Write, &[Own, AssignedCoordinator]),
    rule(Record::Enrolment, Read, &[Own, TreatingTherapist, AnyCoordinator, Admin]),
    rule(Record::Enrolment, Write, &[Own, AnyCoordinator, Admin]),
    rule(Record::Attendance, Read, &[Own, TreatingTherapist, AssignedCoordinator]),
    rule(Record::Attendance, Write, &[TreatingTherapist]),
    rule(Record::Measures, Read, &[Own, TreatingTherapist, AssignedCoordinator, BrokenGlass]),
    rule(Record::Measures, Write, &[Own]),
    rule(Record::Intake, Read, &[Own, TreatingTherapist, AssignedCoordinator, BrokenGlass]),
    rule(Record::Intake, Write, &[Own]),
    rule(Record::SafetyPlan, Read, &[Own, TreatingTherapist, AssignedCoordinator, BrokenGlass]),
    rule(Record::SafetyPlan, Write, &[Own, TreatingTherapist]),
    rule(Record::TreatmentPlan, Read, &[Own, TreatingTherapist, AssignedCoordinator, BrokenGlass]),
    rule(Record::TreatmentPlan, Write, &[TreatingTherapist, AssignedCoordinator]),
    rule(Record::TreatmentPlan, Sign, &[Own, TreatingTherapist]),
    rule(Record::CareNotes, Read, &[TreatingTherapist, AssignedCoordinator, BrokenGlass]),
    rule(Record::CareNotes, Write, &[TreatingTherapist, AssignedCoordinator]),
    rule(Record::RiskSignal, Read, &[Own, AnyTherapist, AnyCoordinator]),
    rule(
        Record::RiskResponse,
        Read,
        &[TreatingTherapist, AssignedCoordinator, OnCall, BrokenGlass],
    ),
    rule(Record::RiskResponse, Sign, &[TreatingTherapist, OnCall]),
];

/// The facts about an actor and one client that the policy needs. The app gathers them
/// (one query) before asking.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
#[expect(clippy::struct_excessive_bools, reason = "independent yes/no facts, read by name")]
pub struct Ties {
    /// The actor is the client.
    pub is_client: bool,
    /// The actor treats the client (a group or appointment of theirs).
    pub treats: bool,
    /// The actor is the client's assigned coordinator.
    pub coordinates: bool,
    /// The client has an assigned coordinator at all.
    pub has_coordinator: bool,
    /// The client has a treating therapist at all.
    pub has_therapist: bool,
    /// The actor broke the glass for this client and the hour has not run out.
    pub glass_broken: bool,
}

/// Who wants access, as far as the policy cares.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    pub ties: Ties,
}

impl Actor {
    /// Every relation this actor holds to the client.
    pub fn relations(&self) -> Vec<Relation> {
        let Ties { is_client, treats, coordinates, has_coordinator, has_therapist, glass_broken } =
            self.ties;
        let role = self.role;
        let mut held = Vec::with_capacity(4);
        if role == Role::Client && is_client {
            held.push(Own);
        }
        if role == Role::Therapist {
            held.push(AnyTherapist);
            if treats {
                held.push(TreatingTherapist);
            }
            if !has_therapist {
                held.push(OnCall);
            }
        }
        if role == Role::Coordinator {
            held.push(AnyCoordinator);
            if coordinates || !has_coordinator {
                held.push(AssignedCoordinator);
            }
        }
        if role == Role::Admin {
            held.push(Admin);
        }
        if role.is_staff() && glass_broken {
            held.push(BrokenGlass);
        }
        held
    }
}

/// The policy's answer, with the reason in words a person can read in an audit review.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Decision {
    pub allowed: bool,
    /// The relation that allowed it, when allowed.
    pub through: Option<Relation>,
    pub reason: &'static str,
}

impl Decision {
    pub fn allowed(self) -> bool {
        self.allowed
    }
}

/// The relations allowed to do `action` on `record`.
pub fn allowed_relations(record: Record, action: Action) -> &'static [Relation] {
    POLICY
        .iter()
        .find(|rule| rule.record == record && rule.action == action)
        .map_or(&[], |rule| rule.who)
}

/// May `actor` do `action` on the client's `record`, and why.
pub fn decide(actor: &Actor, record: Record, action: Action) -> Decision {
    let allowed = allowed_relations(record, action);
    let held = actor.relations();
    if let Some(through) = held.iter().copied().find(|r| allowed.contains(r)) {
        let reason = match through {
            Own => "it is the client's own record",
            TreatingTherapist => "the therapist treating this client",
            AssignedCoordinator => "this client's coordinator",
            OnCall => "the therapist on call for a client without a therapist",
            BrokenGlass => "access after breaking the glass, with a reason on record",
            AnyTherapist => "open to every therapist",
            AnyCoordinator => "open to every coordinator",
            Admin => "open to administrators",
        };
        return Decision { allowed: true, through: Some(through), reason };
    }
    let reason = if allowed.is_empty() {
        "nobody may do this"
    } else if actor.role == Role::Client {
        "a client sees only their own record"
    } else if actor.role == Role::Admin && record.is_clinical() {
        "administrators run the practice and see no clinical records without breaking the glass"
    } else if action == Read && allowed.contains(&BrokenGlass) {
        "not on this client's care team; break the glass with a reason to read it"
    } else {
        "not on this client's care team"
    };
    Decision { allowed: false, through: None, reason }
}

/// What `role` may do with `record` of a client who is not the actor, when the answer is the
/// same whatever the actor's ties to that client (every combination is asked); `None` when
/// it depends on them. A page that counts records across the practice (open risk flags)
/// then needs no facts about each client, and the policy still decides.
pub fn decide_regardless_of_ties(role: Role, record: Record, action: Action) -> Option<bool> {
    let mut answer = None;
    for bits in 0u8..32 {
        let ties = Ties {
            is_client: false,
            treats: bits & 1 != 0,
            coordinates: bits & 2 != 0,
            has_coordinator: bits & 4 != 0,
            has_therapist: bits & 8 != 0,
            glass_broken: bits & 16 != 0,
        };
        let allowed = decide(&Actor { role, ties }, record, action).allowed;
        match answer {
            None => answer = Some(allowed),
            Some(before) if before != allowed => return None,
            Some(_) => {}
        }
    }
    answer
}

/// The policy as a Markdown table (records × actions down, relations across), for
/// ARCHITECTURE.md; a test keeps the document in step with [`POLICY`].
pub fn policy_table() -> String {
    let mut out = String::from("| record | action |");
    for relation in Relation::ALL {
        out.push(' ');
        out.push_str(relation.label());
        out.push_str(" |");
    }
    out.push_str("\n|---|---|");
    out.push_str(&"---|".repeat(Relation::ALL.len()));
    out.push('\n');
    for record in Record::ALL {
        for action in Action::ALL {
            let allowed = allowed_relations(record, action);
            if allowed.is_empty() {
                continue;
            }
            let _ = write!(out, "| {} | {} |", record.label(), action.label());
            for relation in Relation::ALL {
                out.push_str(if allowed.contains(&relation) { " yes |" } else { " |" });
            }
            out.push('\n');
        }
    }
    out
}

#[cfg(test)]
mod tests;
