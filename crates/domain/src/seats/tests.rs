use chrono::{Duration, TimeZone as _, Utc};

use super::*;

fn facts() -> SeatFacts {
    SeatFacts {
        capacity: 2,
        seats_taken: 0,
        open: true,
        seated: false,
        entry: None,
        holding: 0,
        waiting: 0,
    }
}

/// Every combination of facts a group of up to 4 seats can show, including ones the
/// schema rules out (more taken than capacity), so the rule is total.
fn every_fact() -> impl Iterator<Item = SeatFacts> {
    let mut all = Vec::new();
    for capacity in 0..=4 {
        for seats_taken in 0..=capacity + 1 {
            for waiting in 0..=4 {
                // Offers hold seats, so at most `seats_taken` entries hold one.
                for offered in 0..=seats_taken {
                    for open in [true, false] {
                        for seated in [true, false] {
                            for entry in [None, Some(WaitlistEntryId::new(7))] {
                                all.push(SeatFacts {
                                    capacity,
                                    seats_taken,
                                    open,
                                    seated,
                                    entry,
                                    holding: waiting + offered,
                                    waiting,
                                });
                            }
                        }
                    }
                }
            }
        }
    }
    all.into_iter()
}

/// The rule told the long way, as the store used to write it: append to the line, then
/// offer free seats one at a time to the first person still waiting.
fn by_hand(f: &SeatFacts) -> SeatDecision {
    if f.seated {
        return SeatDecision::AlreadySeated;
    }
    if let Some(entry) = f.entry {
        return SeatDecision::AlreadyWaiting { entry };
    }
    if !f.open {
        return SeatDecision::Closed;
    }
    if f.seats_taken < f.capacity && f.holding == 0 {
        return SeatDecision::Seat;
    }
    let mut line: Vec<bool> = vec![false; usize::try_from(f.waiting + 1).expect("small")];
    let mut taken = f.seats_taken;
    let mut offers = 0;
    while taken < f.capacity {
        let Some(first) = line.iter_mut().find(|offered| !**offered) else { break };
        *first = true;
        taken += 1;
        offers += 1;
    }
    let still_waiting = line.iter().filter(|offered| !**offered).count();
    let position =
        if line[line.len() - 1] { 0 } else { i64::try_from(still_waiting).expect("small") };
    SeatDecision::Waitlist { offers, position }
}

#[test]
fn the_rule_agrees_with_the_long_way_round_for_every_small_group() {
    let mut checked = 0;
    for f in every_fact() {
        assert_eq!(decide_reservation(&f), by_hand(&f), "{f:?}");
        checked += 1;
    }
    assert!(checked > 2_000, "only {checked} cases");
}

#[test]
fn no_decision_ever_overbooks_a_group() {
    for f in every_fact().filter(|f| f.seats_taken <= f.capacity) {
        let added = match decide_reservation(&f) {
            SeatDecision::Seat => 1,
            SeatDecision::Waitlist { offers, .. } => offers,
            _ => 0,
        };
        assert!(f.seats_taken + added <= f.capacity, "{f:?}");
    }
}

#[test]
fn a_free_seat_nobody_waits_for_is_taken_at_once() {
    assert_eq!(decide_reservation(&facts()), SeatDecision::Seat);
    let last = SeatFacts { seats_taken: 1, ..facts() };
    assert_eq!(decide_reservation(&last), SeatDecision::Seat);
}

#[test]
fn a_full_group_puts_the_client_at_the_end_of_the_line() {
    let full = SeatFacts { seats_taken: 2, holding: 3, waiting: 3, ..facts() };
    assert_eq!(decide_reservation(&full), SeatDecision::Waitlist { offers: 0, position: 4 });
    let nobody_waits = SeatFacts { seats_taken: 2, ..facts() };
    assert_eq!(
        decide_reservation(&nobody_waits),
        SeatDecision::Waitlist { offers: 0, position: 1 }
    );
}

#[test]
fn a_free_seat_held_back_by_an_offer_is_offered_to_the_newcomer() {
    // One seat held for an offer, one free, nobody waiting: the newcomer is offered it
    // rather than seated, so they do not pass the person holding the offer.
    let held = SeatFacts { seats_taken: 1, holding: 1, ..facts() };
    assert_eq!(decide_reservation(&held), SeatDecision::Waitlist { offers: 1, position: 0 });
}

#[test]
fn seats_freed_by_a_raised_capacity_go_to_the_front_of_the_line() {
    let raised = SeatFacts { capacity: 4, seats_taken: 2, holding: 3, waiting: 3, ..facts() };
    assert_eq!(decide_reservation(&raised), SeatDecision::Waitlist { offers: 2, position: 2 });
    let roomy = SeatFacts { capacity: 9, seats_taken: 2, holding: 3, waiting: 3, ..facts() };
    assert_eq!(decide_reservation(&roomy), SeatDecision::Waitlist { offers: 4, position: 0 });
}

#[test]
fn a_client_with_a_seat_or_a_place_is_told_so_even_when_the_group_is_closed() {
    let closed = SeatFacts { open: false, ..facts() };
    assert_eq!(decide_reservation(&closed), SeatDecision::Closed);
    let seated = SeatFacts { seated: true, ..closed };
    assert_eq!(decide_reservation(&seated), SeatDecision::AlreadySeated);
    let entry = WaitlistEntryId::new(3);
    let waiting = SeatFacts { entry: Some(entry), holding: 1, waiting: 1, ..closed };
    assert_eq!(decide_reservation(&waiting), SeatDecision::AlreadyWaiting { entry });
}

#[test]
fn freed_seats_go_to_as_many_as_wait_and_no_more() {
    assert_eq!(seats_to_offer(3, 2, 5), 1);
    assert_eq!(seats_to_offer(3, 0, 2), 2);
    assert_eq!(seats_to_offer(3, 3, 5), 0);
    assert_eq!(seats_to_offer(3, 1, 0), 0);
    assert_eq!(seats_to_offer(2, 3, 1), 0, "an overfull group offers nothing");
}

#[test]
fn a_direct_offer_needs_a_free_seat_nobody_waits_for() {
    assert!(may_offer_directly(&facts()));
    // Offers held by others do not stand in the way: the seat is free beyond them.
    assert!(may_offer_directly(&SeatFacts { seats_taken: 1, holding: 1, ..facts() }));
    for refused in [
        SeatFacts { open: false, ..facts() },
        SeatFacts { seats_taken: 2, ..facts() },
        SeatFacts { seated: true, ..facts() },
        SeatFacts { entry: Some(WaitlistEntryId::new(1)), holding: 1, waiting: 1, ..facts() },
        SeatFacts { holding: 1, waiting: 1, ..facts() },
    ] {
        assert!(!may_offer_directly(&refused), "{refused:?}");
    }
}

#[test]
fn a_place_is_withdrawn_from_the_line_or_an_offer_but_only_an_offer_is_declined() {
    use WaitlistStatus as S;
    for status in S::ALL {
        let withdrawn = PlaceRelease::Withdraw.ends(status);
        let declined = PlaceRelease::Decline.ends(status);
        match status {
            S::Waiting => assert_eq!((withdrawn, declined), (Some(S::Withdrawn), None)),
            S::Offered => {
                assert_eq!((withdrawn, declined), (Some(S::Withdrawn), Some(S::Declined)));
            }
            _ => assert_eq!((withdrawn, declined), (None, None), "{status:?} is resolved"),
        }
    }
}

#[test]
fn an_offer_is_live_until_the_instant_it_expires() {
    let at = Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0).single().expect("valid");
    assert!(offer_is_live(at, at - Duration::seconds(1)));
    assert!(!offer_is_live(at, at));
    assert!(!offer_is_live(at, at + Duration::seconds(1)));
}

#[test]
fn statuses_read_back_what_they_store_and_nothing_else() {
    for status in MembershipStatus::ALL {
        assert_eq!(MembershipStatus::parse(status.as_str()), Some(status));
    }
    for status in WaitlistStatus::ALL {
        assert_eq!(WaitlistStatus::parse(status.as_str()), Some(status));
        assert_eq!(
            status.is_open(),
            matches!(status, WaitlistStatus::Waiting | WaitlistStatus::Offered)
        );
    }
    assert_eq!(MembershipStatus::parse("Seated"), None);
    assert_eq!(MembershipStatus::parse("waiting"), None);
    assert_eq!(WaitlistStatus::parse("seated"), None);
    assert_eq!(WaitlistStatus::parse(""), None);
}
