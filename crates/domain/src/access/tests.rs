//! The policy checked over every role and tie the app can produce.
use super::*;

/// Every combination of role and ties the app can produce.
fn every_actor() -> Vec<Actor> {
    let mut actors = Vec::new();
    for role in Role::ALL {
        for bits in 0..64u8 {
            let bit = |n: u8| bits & (1 << n) != 0;
            let ties = Ties {
                is_client: bit(0),
                treats: bit(1),
                coordinates: bit(2),
                has_coordinator: bit(3) || bit(2),
                has_therapist: bit(4) || bit(1),
                glass_broken: bit(5),
            };
            actors.push(Actor { role, ties });
        }
    }
    actors
}

fn every_request() -> impl Iterator<Item = (Actor, Record, Action)> {
    every_actor().into_iter().flat_map(|actor| {
        Record::ALL
            .into_iter()
            .flat_map(move |record| Action::ALL.into_iter().map(move |a| (actor, record, a)))
    })
}

fn actor(role: Role, ties: Ties) -> Actor {
    Actor { role, ties }
}

fn assigned() -> Ties {
    Ties { has_coordinator: true, has_therapist: true, ..Ties::default() }
}

#[test]
fn each_record_and_action_appears_at_most_once() {
    for (i, a) in POLICY.iter().enumerate() {
        for b in &POLICY[i + 1..] {
            assert!(!(a.record == b.record && a.action == b.action), "{a:?} twice");
        }
    }
}

#[test]
fn a_client_reaches_only_their_own_record() {
    for (actor, record, action) in every_request() {
        if actor.role == Role::Client && !actor.ties.is_client {
            assert!(!decide(&actor, record, action).allowed, "{actor:?} {record:?} {action:?}");
        }
    }
}

#[test]
fn clinical_content_is_read_only_by_the_client_and_care_team_unless_the_glass_is_broken() {
    for (actor, record, action) in every_request() {
        if !record.is_clinical() || action != Read {
            continue;
        }
        let t = actor.ties;
        let on_team = match actor.role {
            Role::Client => t.is_client,
            Role::Therapist => t.treats || (!t.has_therapist && record == Record::RiskResponse),
            Role::Coordinator => t.coordinates || !t.has_coordinator,
            Role::Admin => false,
        };
        let expected = on_team || (actor.role.is_staff() && t.glass_broken);
        // Care notes and risk responses are the team's working notes: not shown in the
        // client's portal.
        let working_notes = matches!(record, Record::CareNotes | Record::RiskResponse);
        let expected = expected && !(working_notes && actor.role == Role::Client);
        assert_eq!(decide(&actor, record, action).allowed, expected, "{actor:?} {record:?}");
    }
}

#[test]
fn breaking_the_glass_never_grants_a_change() {
    for (mut actor, record, action) in every_request() {
        if action == Read {
            continue;
        }
        let before = decide(&actor, record, action).allowed;
        actor.ties.glass_broken = true;
        assert_eq!(decide(&actor, record, action).allowed, before, "{actor:?} {record:?}");
    }
}

#[test]
fn admins_see_no_clinical_content_without_the_glass() {
    let admin = actor(Role::Admin, assigned());
    for record in Record::ALL.into_iter().filter(|r| r.is_clinical()) {
        for action in Action::ALL {
            let decision = decide(&admin, record, action);
            assert!(!decision.allowed, "{record:?} {action:?}");
        }
        let read = decide(&admin, record, Read);
        assert!(read.reason.contains("breaking the glass"), "{}", read.reason);
    }
    let glass = actor(Role::Admin, Ties { glass_broken: true, ..assigned() });
    let decision = decide(&glass, Record::Measures, Read);
    assert_eq!(decision.through, Some(BrokenGlass));
}

#[test]
fn the_care_team_reads_the_answers_and_another_therapist_or_coordinator_does_not() {
    let therapist = actor(Role::Therapist, Ties { treats: true, ..assigned() });
    let other_therapist = actor(Role::Therapist, assigned());
    let coordinator = actor(Role::Coordinator, Ties { coordinates: true, ..assigned() });
    let other_coordinator = actor(Role::Coordinator, assigned());
    for record in [Record::Measures, Record::Intake, Record::SafetyPlan, Record::TreatmentPlan] {
        assert!(decide(&therapist, record, Read).allowed);
        assert!(decide(&coordinator, record, Read).allowed);
        let refused = decide(&other_therapist, record, Read);
        assert!(!refused.allowed);
        assert_eq!(
            refused.reason,
            "not on this client's care team; break the glass with a reason to read it"
        );
        assert!(!decide(&other_coordinator, record, Read).allowed);
    }
}

#[test]
fn every_coordinator_looks_after_a_client_who_has_none_yet() {
    let waiting = Ties { has_therapist: false, has_coordinator: false, ..Ties::default() };
    let coordinator = actor(Role::Coordinator, waiting);
    assert_eq!(decide(&coordinator, Record::Intake, Read).through, Some(AssignedCoordinator));
}

#[test]
fn a_risk_flag_reaches_every_clinician_and_is_answered_by_the_treating_or_on_call_therapist() {
    for role in [Role::Therapist, Role::Coordinator] {
        assert!(decide(&actor(role, assigned()), Record::RiskSignal, Read).allowed);
    }
    assert!(!decide(&actor(Role::Admin, assigned()), Record::RiskSignal, Read).allowed);
    let treating = actor(Role::Therapist, Ties { treats: true, ..assigned() });
    assert!(decide(&treating, Record::RiskResponse, Sign).allowed);
    assert!(!decide(&actor(Role::Therapist, assigned()), Record::RiskResponse, Sign).allowed);
    let no_therapist = Ties { has_therapist: false, ..assigned() };
    let on_call = decide(&actor(Role::Therapist, no_therapist), Record::RiskResponse, Sign);
    assert_eq!(on_call.through, Some(OnCall));
    let coordinator = actor(Role::Coordinator, Ties { coordinates: true, ..assigned() });
    assert!(!decide(&coordinator, Record::RiskResponse, Sign).allowed, "not a clinician's act");
}

#[test]
fn the_table_has_a_line_per_rule_and_names_every_relation() {
    let table = policy_table();
    assert_eq!(table.lines().count(), POLICY.len() + 2);
    for relation in Relation::ALL {
        assert!(table.contains(relation.label()));
    }
}

#[test]
fn architecture_md_prints_the_policy_as_it_is() {
    let doc = include_str!("../../../../ARCHITECTURE.md");
    let table = policy_table();
    assert!(
        doc.contains(&table),
        "ARCHITECTURE.md must hold the policy table exactly as policy_table() prints it:\n{table}"
    );
}

#[test]
fn who_sees_a_risk_flag_depends_on_the_role_alone_and_who_reads_scores_does_not() {
    for role in [Role::Therapist, Role::Coordinator] {
        assert_eq!(decide_regardless_of_ties(role, Record::RiskSignal, Read), Some(true));
    }
    assert_eq!(decide_regardless_of_ties(Role::Admin, Record::RiskSignal, Read), Some(false));
    assert_eq!(decide_regardless_of_ties(Role::Therapist, Record::Measures, Read), None);
    assert_eq!(decide_regardless_of_ties(Role::Therapist, Record::RiskResponse, Sign), None);
}
