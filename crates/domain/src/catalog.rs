//! The practice's catalog: service lines (programs) and group topics, with the session plan
//! of the compassion-fatigue program written from its six levers.

use std::fmt;

/// A service line of the practice.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ProgramSeed {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

/// A group topic as first seeded; admins edit names and descriptions later.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TopicSeed {
    pub slug: &'static str,
    pub name: &'static str,
    pub description: &'static str,
}

/// One week of a topic's session plan.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanWeek {
    pub week: u8,
    pub title: &'static str,
    pub focus: &'static str,
}

/// A service line as the practice has it now (admins may rename it or change its
/// description).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Program {
    pub slug: String,
    pub name: String,
    pub description: String,
}

/// A group topic as the practice has it now (admins may rename it, change its description or
/// retire it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Topic {
    pub slug: String,
    pub name: String,
    pub description: String,
    pub active: bool,
}

/// One week of a topic's session plan as the practice has it now.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TopicPlanWeek {
    pub week: i32,
    pub title: String,
    pub focus: String,
}

pub const PROGRAMS: [ProgramSeed; 7] = [
    ProgramSeed {
        slug: "group",
        name: "Group therapy",
        description: "A weekly 60-minute group with the same members and therapist.",
    },
    ProgramSeed {
        slug: "individual",
        name: "Individual therapy",
        description: "Weekly one-to-one sessions with one therapist.",
    },
    ProgramSeed {
        slug: "couples",
        name: "Couples therapy",
        description: "Sessions for two partners in one shared case.",
    },
    ProgramSeed {
        slug: "family",
        name: "Family therapy",
        description: "Sessions for several family members, teens included, in one case.",
    },
    ProgramSeed {
        slug: "teen",
        name: "Teen therapy",
        description: "Groups and one-to-one care for ages 13 to 17, with a guardian's consent.",
    },
    ProgramSeed {
        slug: "iop",
        name: "Intensive outpatient program",
        description: "Three 3-hour sessions a week for eight weeks, with admission and discharge.",
    },
    ProgramSeed {
        slug: "dbt",
        name: "DBT self-guided",
        description: "Four skill modules, lessons, exercises and a daily diary card, at your own pace.",
    },
];

pub const TOPICS: [TopicSeed; 17] = [
    TopicSeed {
        slug: "dbt-skills",
        name: "DBT skills",
        description: "Practising mindfulness, distress tolerance, emotion regulation and interpersonal skills together.",
    },
    TopicSeed {
        slug: "cbt",
        name: "CBT",
        description: "Noticing and reshaping the thoughts and habits that keep distress going.",
    },
    TopicSeed {
        slug: "anxiety-depression",
        name: "Anxiety & depression",
        description: "Understanding low mood and worry, and building steps out of both.",
    },
    TopicSeed {
        slug: "trauma-ptsd",
        name: "Trauma & PTSD",
        description: "Safety, stabilisation and processing after traumatic experiences.",
    },
    TopicSeed {
        slug: "anger-management",
        name: "Anger management",
        description: "Recognising anger early and responding instead of reacting.",
    },
    TopicSeed {
        slug: "ocd",
        name: "OCD",
        description: "Loosening the grip of obsessions and compulsions, including exposure practice.",
    },
    TopicSeed {
        slug: "bpd",
        name: "Borderline personality disorder",
        description: "Steadier emotions and relationships with skills-based support.",
    },
    TopicSeed {
        slug: "bipolar",
        name: "Bipolar disorder",
        description: "Living well with mood episodes: routines, early signs and support.",
    },
    TopicSeed {
        slug: "relationships",
        name: "Relationship issues",
        description: "Communication, conflict and closeness in the relationships that matter.",
    },
    TopicSeed {
        slug: "divorce",
        name: "Divorce",
        description: "Finding your footing during and after separation.",
    },
    TopicSeed {
        slug: "narcissistic-abuse",
        name: "Narcissistic abuse",
        description: "Recovering trust in yourself after a controlling or exploitative relationship.",
    },
    TopicSeed {
        slug: "self-compassion",
        name: "Self-compassion",
        description: "Treating yourself with the care you would offer a friend.",
    },
    TopicSeed {
        slug: "grief-loss",
        name: "Grief & loss",
        description: "Company and room for grief, whatever the loss.",
    },
    TopicSeed {
        slug: "parenting",
        name: "Parenting",
        description: "Support for the hard parts of raising children and teens.",
    },
    TopicSeed {
        slug: "substance-use",
        name: "Substance use",
        description: "Changing your relationship with alcohol or drugs, at your pace.",
    },
    TopicSeed {
        slug: "loved-one-bpd",
        name: "Supporting a loved one with BPD",
        description: "For family and partners: understanding BPD and caring without losing yourself.",
    },
    TopicSeed {
        slug: "compassion-fatigue",
        name: "Compassion fatigue & burnout",
        description: "For caregivers, clinicians and parents who feel numb or drained by caring: reconnecting with empathy without being overwhelmed by it.",
    },
];

/// The compassion-fatigue program's eight weeks, built on six levers: finding root causes,
/// building resilience, mindfulness and regulation, reconnecting with empathy,
/// self-compassion, and healthy boundaries.
pub const COMPASSION_FATIGUE_PLAN: [PlanWeek; 8] = [
    PlanWeek {
        week: 1,
        title: "Naming the numbness",
        focus: "Getting to know the group; describing how caring has come to feel flat or heavy, and why that is a protective response rather than a failing.",
    },
    PlanWeek {
        week: 2,
        title: "Tracing the roots",
        focus: "Mapping what drains you: the load of your role, exposure to others' pain, your own history, and the standards you hold yourself to.",
    },
    PlanWeek {
        week: 3,
        title: "Early warning signs",
        focus: "Building resilience by spotting the first signs of depletion in body, mood and behaviour, and planning what to do when they appear.",
    },
    PlanWeek {
        week: 4,
        title: "Coming back to the body",
        focus: "Mindfulness and regulation: breathing, grounding and body awareness to stay present with strong feelings without being flooded.",
    },
    PlanWeek {
        week: 5,
        title: "Empathy with a boundary",
        focus: "Reconnecting with empathy: telling your own feelings apart from the feelings of the people you care for, so you can be with them without carrying them.",
    },
    PlanWeek {
        week: 6,
        title: "Turning care inward",
        focus: "Self-compassion: meeting your own limits and mistakes with the kindness you give others; quieting the inner critic.",
    },
    PlanWeek {
        week: 7,
        title: "Limits that protect care",
        focus: "Healthy boundaries: saying no, handing over, resting without guilt, and protecting the time that restores you.",
    },
    PlanWeek {
        week: 8,
        title: "A plan to keep going",
        focus: "Bringing the six levers together in a personal sustainability plan, and marking what has changed since week one.",
    },
];

/// Who a group is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AgeBand {
    /// 18 and over.
    Adult,
    /// 13 to 17, with a guardian's consent.
    Teen,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the age band must be adult or teen")]
pub struct AgeBandError;

impl AgeBand {
    pub fn parse(raw: &str) -> Result<Self, AgeBandError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "adult" => Ok(AgeBand::Adult),
            "teen" => Ok(AgeBand::Teen),
            _ => Err(AgeBandError),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            AgeBand::Adult => "adult",
            AgeBand::Teen => "teen",
        }
    }

    /// Whether someone of `age` belongs in a group of this band.
    pub fn admits(self, age: u32) -> bool {
        match self {
            AgeBand::Adult => age >= 18,
            AgeBand::Teen => (13..=17).contains(&age),
        }
    }
}

impl fmt::Display for AgeBand {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// How many members a group may hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity(u16);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a group holds between 2 and {max} members", max = Capacity::MAX)]
pub struct CapacityError;

impl Capacity {
    pub const DEFAULT: Capacity = Capacity(10);
    pub const MAX: u16 = 50;

    pub fn new(seats: i64) -> Result<Self, CapacityError> {
        u16::try_from(seats)
            .ok()
            .filter(|s| (2..=Self::MAX).contains(s))
            .map(Self)
            .ok_or(CapacityError)
    }

    pub fn get(self) -> u16 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_topic_has_a_unique_slug_and_the_compassion_fatigue_plan_has_eight_weeks() {
        let mut slugs: Vec<_> = TOPICS.iter().map(|t| t.slug).collect();
        slugs.sort_unstable();
        slugs.dedup();
        assert_eq!(slugs.len(), TOPICS.len());
        assert!(slugs.contains(&"compassion-fatigue"));
        let weeks: Vec<u8> = COMPASSION_FATIGUE_PLAN.iter().map(|w| w.week).collect();
        assert_eq!(weeks, (1..=8).collect::<Vec<_>>());
    }

    #[test]
    fn age_bands_admit_by_age() {
        assert!(AgeBand::Teen.admits(13) && AgeBand::Teen.admits(17));
        assert!(!AgeBand::Teen.admits(18) && !AgeBand::Teen.admits(12));
        assert!(AgeBand::Adult.admits(18) && !AgeBand::Adult.admits(17));
        assert_eq!(AgeBand::parse("Teen"), Ok(AgeBand::Teen));
        assert!(AgeBand::parse("child").is_err());
    }

    #[test]
    fn capacity_is_bounded() {
        assert_eq!(Capacity::new(10).map(Capacity::get), Ok(10));
        assert!(
            Capacity::new(1).is_err() && Capacity::new(51).is_err() && Capacity::new(-3).is_err()
        );
    }
}
