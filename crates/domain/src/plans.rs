//! Treatment plan templates per topic. A coordinator and therapist start from one and make
//! it the client's own; the compassion-fatigue template follows that program's six levers.

/// A plan's starting text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PlanTemplate {
    pub goals: &'static str,
    pub objectives: &'static str,
    pub interventions: &'static str,
}

const GENERIC: PlanTemplate = PlanTemplate {
    goals: "Feel better day to day and get back to what matters to me.",
    objectives: "Attend the weekly group; check in before each session; bring one situation to discuss each month.",
    interventions: "Weekly therapist-led group; measurement-based check-ins (PHQ-9, GAD-7); review of progress at the review date.",
};

const COMPASSION_FATIGUE: PlanTemplate = PlanTemplate {
    goals: "Care for others again without being drained or numbed by it.",
    objectives: "1. Name the roots of my exhaustion (role, exposure, history, standards).\n\
        2. Spot early warning signs and act on them (resilience).\n\
        3. Practise a daily grounding or breathing skill (mindfulness and regulation).\n\
        4. Tell my feelings apart from the feelings of those I care for (empathy with a boundary).\n\
        5. Meet my own limits with kindness (self-compassion).\n\
        6. Set and keep one protective boundary each week (healthy boundaries).",
    interventions: "The 8-week compassion-fatigue group; ProQOL-5 at the start, mid-way and the end; PHQ-9 and GAD-7 before each session; a personal sustainability plan in week 8.",
};

/// The template for a topic (the compassion-fatigue one, or a general one).
pub fn plan_template(topic: &str) -> PlanTemplate {
    if topic == "compassion-fatigue" { COMPASSION_FATIGUE } else { GENERIC }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_compassion_fatigue_template_names_all_six_levers() {
        let t = plan_template("compassion-fatigue");
        for lever in
            ["roots", "warning signs", "grounding", "empathy", "self-compassion", "boundar"]
        {
            assert!(t.objectives.contains(lever), "{lever}");
        }
        assert_eq!(plan_template("cbt"), GENERIC);
    }
}
