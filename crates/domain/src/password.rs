//! The password policy (NIST SP 800-63B §5.1.1): length, not composition; no known-breached
//! or common passwords; and hard to guess by zxcvbn's estimate, told the person's name and
//! email and the practice's name, as guessing tools are.

use std::fmt;

use zxcvbn::feedback::{Feedback, Suggestion, Warning};
use zxcvbn::matching::patterns::MatchPattern;

pub const PASSWORD_MIN_CHARS: usize = 12;
pub const PASSWORD_MAX_CHARS: usize = 128;

/// zxcvbn's "safely unguessable" level: more than 10^8 guesses by its estimate.
const MIN_SCORE: zxcvbn::Score = zxcvbn::Score::Three;
/// The practice's own name: among the first words tried against its accounts.
const PRACTICE_WORDS: [&str; 1] = ["hearth"];
/// Shorter pieces of a name or email are not removed from a password: "al" or "jo" would eat
/// ordinary words.
const MIN_CONTEXT_CHARS: usize = 3;
/// Enough of a name or email to name the person; a huge unchecked form field costs no more.
const MAX_CONTEXT_CHARS: usize = 256;

/// zxcvbn tries every reading of the look-alike characters a password holds ("4" as "a", "|"
/// as "i" or "l"), at a cost that grows with the length and exponentially with how many
/// different ones there are: 100 characters of them took it over a second. So it reads the
/// first 32 characters, and past the first 12 stops before a ninth different look-alike
/// (BENCHMARKS.md: the worst case stays well under one argon2 hash). A strong start makes a
/// strong password; a weak start is refused whatever follows.
const MAX_ANALYSED_CHARS: usize = 32;
const MAX_LOOK_ALIKES: usize = 8;
/// The characters in zxcvbn's l33t table.
const LOOK_ALIKES: &str = "4@8({[<3691!|70$5+%2";

/// A password that meets the policy. Its `Debug` never shows it.
#[derive(Clone)]
pub struct Password(String);

/// Who the password is for: a password built from these is among the first guessed.
#[derive(Clone, Copy, Default)]
pub struct PasswordContext<'a> {
    pub email: Option<&'a str>,
    pub display_name: Option<&'a str>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PasswordError {
    #[error("use at least {PASSWORD_MIN_CHARS} characters; a few words strung together work well")]
    TooShort,
    #[error("use at most {PASSWORD_MAX_CHARS} characters")]
    TooLong,
    #[error("this password is on a list of common or breached passwords; choose another")]
    Common,
    #[error("this password repeats a single character; choose another")]
    Repetitive,
    #[error(
        "this password leans on your name, your email or the practice's name; \
         add a few unrelated words of your own"
    )]
    Personal,
    /// zxcvbn's warning and suggestions, as one sentence.
    #[error("{0}")]
    Guessable(String),
}

impl Password {
    /// Checks a new password for the person described by `context`: its length, the common
    /// list, then zxcvbn's strength estimate (see `check_strength`).
    pub fn parse_new(raw: &str, context: &PasswordContext<'_>) -> Result<Self, PasswordError> {
        let chars = raw.chars().count();
        if chars < PASSWORD_MIN_CHARS {
            return Err(PasswordError::TooShort);
        }
        if chars > PASSWORD_MAX_CHARS {
            return Err(PasswordError::TooLong);
        }
        let lowered = raw.to_lowercase();
        if is_common(raw) || is_common(&lowered) {
            return Err(PasswordError::Common);
        }
        let mut distinct = raw.chars().collect::<Vec<_>>();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() <= 2 {
            return Err(PasswordError::Repetitive);
        }
        check_strength(analysed_part(raw), context)?;
        Ok(Self(raw.to_owned()))
    }

    /// A password typed at login: only bounded, never checked against the policy (the policy
    /// may have changed since it was set).
    pub fn for_login(raw: &str) -> Option<Self> {
        (raw.chars().count() <= PASSWORD_MAX_CHARS * 4).then(|| Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

/// Whether `candidate` is on the bundled list of about 100,000 common and breached passwords.
pub fn is_common(candidate: &str) -> bool {
    passwords::analyzer::is_common_password(candidate)
}

impl PasswordContext<'_> {
    /// Lower-case words a guesser would try for this person: the whole email, its local part
    /// and domain pieces, the name and its parts, and the practice's name; longest first.
    fn words(&self) -> Vec<String> {
        let mut words: Vec<String> = PRACTICE_WORDS.iter().map(|w| (*w).to_owned()).collect();
        for whole in [self.email, self.display_name].into_iter().flatten() {
            let whole: String = whole.trim().chars().take(MAX_CONTEXT_CHARS).collect();
            let whole = whole.to_lowercase();
            if let Some((local, _)) = whole.split_once('@') {
                words.push(local.to_owned());
            }
            words.extend(whole.split(|c: char| !c.is_alphanumeric()).map(str::to_owned));
            words.push(whole);
        }
        words.retain(|w| w.chars().count() >= MIN_CONTEXT_CHARS);
        words.sort_unstable_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        words.dedup();
        words
    }
}

/// zxcvbn's verdict on the password as typed, then on its letters and digits alone without the
/// person's details (guessing tools join words, and add separators, years and capitals, for
/// free). A refusal names the person's details when they are what makes it weak.
fn check_strength(raw: &str, context: &PasswordContext<'_>) -> Result<(), PasswordError> {
    let lowered = &raw.to_lowercase();
    let words = context.words();
    let inputs: Vec<&str> = words.iter().map(String::as_str).collect();
    let typed = zxcvbn::zxcvbn(raw, &inputs);
    if typed.score() < MIN_SCORE {
        let personal = typed.sequence().iter().any(|m| {
            matches!(&m.pattern, MatchPattern::Dictionary(d) if words.contains(&d.matched_word))
        });
        return Err(if personal { PasswordError::Personal } else { guessable(typed.feedback()) });
    }
    let bare = zxcvbn::zxcvbn(&letters_and_digits(&without_words(lowered, &words)), &inputs);
    if bare.score() >= MIN_SCORE {
        return Ok(());
    }
    // Weak without the person's details: was it strong only thanks to them?
    let joined = letters_and_digits(lowered);
    let with_details = zxcvbn::zxcvbn(&joined, &inputs);
    Err(if with_details.score() >= MIN_SCORE {
        PasswordError::Personal
    } else {
        guessable(with_details.feedback())
    })
}

/// The start of `raw` that zxcvbn reads: see `MAX_ANALYSED_CHARS`.
fn analysed_part(raw: &str) -> &str {
    let mut look_alikes: Vec<char> = Vec::with_capacity(PASSWORD_MIN_CHARS);
    for (count, (at, c)) in raw.char_indices().enumerate() {
        let new_look_alike = LOOK_ALIKES.contains(c) && !look_alikes.contains(&c);
        if count == MAX_ANALYSED_CHARS
            || (new_look_alike
                && count >= PASSWORD_MIN_CHARS
                && look_alikes.len() >= MAX_LOOK_ALIKES)
        {
            return &raw[..at];
        }
        if new_look_alike {
            look_alikes.push(c);
        }
    }
    raw
}

fn letters_and_digits(text: &str) -> String {
    text.chars().filter(|c| c.is_alphanumeric()).collect()
}

/// `lowered` with every occurrence of `words` taken out, also where taking one out joins the
/// pieces of another ("hearhearthth").
fn without_words(lowered: &str, words: &[String]) -> String {
    let mut rest = lowered.to_owned();
    loop {
        let before = rest.len();
        for word in words {
            rest = rest.replace(word.as_str(), "");
        }
        if rest.len() == before {
            return rest;
        }
    }
}

/// zxcvbn's feedback in Hearth's words: what makes it guessable, then what to do.
fn guessable(feedback: Option<&Feedback>) -> PasswordError {
    let reason = feedback.and_then(Feedback::warning).map(|warning| match warning {
        Warning::StraightRowsOfKeysAreEasyToGuess => "it is a straight row of keys",
        Warning::ShortKeyboardPatternsAreEasyToGuess => "it is a short keyboard pattern",
        Warning::RepeatsLikeAaaAreEasyToGuess => "it repeats a character",
        Warning::RepeatsLikeAbcAbcAreOnlySlightlyHarderToGuess => "it repeats a few characters",
        Warning::ThisIsATop10Password
        | Warning::ThisIsATop100Password
        | Warning::ThisIsACommonPassword => "it is a very common password",
        Warning::ThisIsSimilarToACommonlyUsedPassword => "it is close to a common password",
        Warning::SequencesLikeAbcAreEasyToGuess => "it has a sequence like abc or 6543",
        Warning::RecentYearsAreEasyToGuess => "it has a recent year",
        Warning::AWordByItselfIsEasyToGuess => "it is a single word",
        Warning::DatesAreOftenEasyToGuess => "it has a date",
        Warning::NamesAndSurnamesByThemselvesAreEasyToGuess
        | Warning::CommonNamesAndSurnamesAreEasyToGuess => "it is built on a common name",
    });
    let mut advice = vec!["add another word or two (uncommon words are better)"];
    for suggestion in feedback.map(Feedback::suggestions).unwrap_or_default() {
        let line = match suggestion {
            Suggestion::AddAnotherWordOrTwo | Suggestion::UseAFewWordsAvoidCommonPhrases => {
                continue;
            }
            Suggestion::NoNeedForSymbolsDigitsOrUppercaseLetters => {
                "no symbols, digits or capitals are needed"
            }
            Suggestion::CapitalizationDoesntHelpVeryMuch
            | Suggestion::AllUppercaseIsAlmostAsEasyToGuessAsAllLowercase => "capitals add little",
            Suggestion::ReversedWordsArentMuchHarderToGuess => "reversed words add little",
            Suggestion::PredictableSubstitutionsDontHelpVeryMuch => {
                "swaps like @ for a or 0 for o add little"
            }
            // zxcvbn suggests a longer keyboard pattern; words are the better advice.
            Suggestion::UseALongerKeyboardPatternWithMoreTurns => "avoid keyboard patterns",
            Suggestion::AvoidRepeatedWordsAndCharacters => "avoid repeating words or characters",
            Suggestion::AvoidSequences => "avoid sequences",
            Suggestion::AvoidRecentYears | Suggestion::AvoidYearsThatAreAssociatedWithYou => {
                "avoid years"
            }
            Suggestion::AvoidDatesAndYearsThatAreAssociatedWithYou => "avoid dates and years",
        };
        if !advice.contains(&line) {
            advice.push(line);
        }
    }
    let reason = reason.map(|r| format!(" ({r})")).unwrap_or_default();
    PasswordError::Guessable(format!(
        "this password would be easy to guess{reason}: {}",
        advice.join("; ")
    ))
}

impl fmt::Debug for Password {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Password(<redacted>)")
    }
}

impl fmt::Debug for PasswordContext<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PasswordContext(<redacted>)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sam() -> PasswordContext<'static> {
        PasswordContext { email: Some("sam@example.org"), display_name: Some("Sam") }
    }

    fn no_one() -> PasswordContext<'static> {
        PasswordContext::default()
    }

    #[test]
    fn short_passwords_are_refused_and_long_ones_allowed_up_to_128() {
        assert_eq!(
            Password::parse_new("short pass", &no_one()).err(),
            Some(PasswordError::TooShort)
        );
        let longest: String = "correct horse battery staple ".repeat(5).chars().take(128).collect();
        assert!(Password::parse_new(&longest, &no_one()).is_ok());
        let too_long = format!("{longest}x");
        assert_eq!(Password::parse_new(&too_long, &no_one()).err(), Some(PasswordError::TooLong));
    }

    #[test]
    fn a_few_uncommon_words_pass_without_any_composition_rule() {
        for strong in [
            "lantern orchard violet",
            "otter pancake jupiter",
            "sunlit copper meadow",
            "correct horse battery staple",
            "tulip-ferry-marble-quiet",
            "Xk7#pQ2!mN9$",
        ] {
            assert!(Password::parse_new(strong, &sam()).is_ok(), "{strong} should be accepted");
        }
    }

    #[test]
    fn common_and_breached_passwords_are_refused_in_any_case() {
        for common in ["123456789012", "1q2w3e4r5t6y", "PASSWORD1234", "passwordpassword"] {
            assert_eq!(
                Password::parse_new(common, &no_one()).err(),
                Some(PasswordError::Common),
                "{common} should be refused"
            );
        }
    }

    #[test]
    fn the_bundled_list_is_large() {
        // Spot checks across the list, so a build without the list fails loudly.
        for common in ["password", "letmein", "iloveyou", "sunshine", "dragon"] {
            assert!(is_common(common), "{common}");
        }
    }

    #[test]
    fn common_patterns_with_digits_symbols_and_swaps_are_refused() {
        for weak in [
            "Password123!",
            "P@ssw0rd2024",
            "letmein12345",
            "football1234",
            "qwertyuiop123",
            "iloveyou2024!",
            "Summer2024!!",
            "Summer!2024!",
            "Welcome@2024",
            "Admin@123456",
            "Batman2024!!",
            // The demo's old published password.
            "hearth demo password",
            "purple elephant",
        ] {
            assert!(Password::parse_new(weak, &no_one()).is_err(), "{weak} should be refused");
        }
    }

    #[test]
    fn passwords_built_from_the_persons_name_email_or_the_practice_are_refused() {
        for personal in ["hearthhearth1", "Hearth2024!!", "SamExample.org!", "my sam@example.org"] {
            assert!(Password::parse_new(personal, &sam()).is_err(), "{personal} should be refused");
        }
        // zxcvbn alone scores these 3 or 4: separators between known words look like entropy.
        for personal in ["hearth-sam-2024!", "sam.example2024"] {
            assert_eq!(
                Password::parse_new(personal, &sam()).err(),
                Some(PasswordError::Personal),
                "{personal} should be refused for Sam"
            );
        }
        let ana = PasswordContext { email: Some("Ana.Lopez@example.org"), display_name: None };
        assert_eq!(
            Password::parse_new("my ana.lopez@example.org", &ana).err(),
            Some(PasswordError::Personal)
        );
        let rivera =
            PasswordContext { email: Some("x@example.org"), display_name: Some("Dr. Rivera") };
        assert_eq!(
            Password::parse_new("Dr-Rivera-Example-1975", &rivera).err(),
            Some(PasswordError::Personal)
        );
    }

    #[test]
    fn the_refusal_says_in_plain_words_why_and_what_to_do() {
        let Some(PasswordError::Guessable(message)) =
            Password::parse_new("P@ssw0rd2024", &no_one()).err()
        else {
            panic!("P@ssw0rd2024 should be refused as guessable");
        };
        assert_eq!(
            message,
            "this password would be easy to guess (it is close to a common password): add \
             another word or two (uncommon words are better); capitals add little; swaps like \
             @ for a or 0 for o add little"
        );
    }

    #[test]
    fn short_names_do_not_eat_ordinary_words() {
        let al = PasswordContext { email: Some("al@ex.io"), display_name: Some("Al") };
        assert!(Password::parse_new("walnut salad almanac", &al).is_ok());
    }

    #[test]
    fn a_weak_password_that_merely_contains_a_piece_of_the_email_is_not_blamed_on_it() {
        // "org" is a piece of sam@example.org, but "organic" is the word guessed.
        assert!(matches!(
            Password::parse_new("Organic2024!!", &sam()).err(),
            Some(PasswordError::Guessable(_))
        ));
    }

    #[test]
    fn zxcvbn_reads_a_bounded_start_so_look_alike_soup_cannot_stall_a_sign_up() {
        let passphrase: String =
            "correct horse battery staple ".repeat(5).chars().take(128).collect();
        assert_eq!(analysed_part(&passphrase).chars().count(), MAX_ANALYSED_CHARS);
        // The first twelve characters are always read; past them, no ninth different look-alike.
        let soup: String = "4@8({[<369!1|70$5+%2".repeat(7).chars().take(128).collect();
        assert_eq!(analysed_part(&soup), "4@8({[<369!1");
        assert_eq!(analysed_part("1!|7+4@$ otters 5 pancakes 9 jupiter"), "1!|7+4@$ otters ");
        assert_eq!(analysed_part("otter pancake jupiter"), "otter pancake jupiter");
    }

    #[test]
    fn repetitive_passwords_are_refused() {
        assert_eq!(
            Password::parse_new("abababababab", &no_one()).err(),
            Some(PasswordError::Repetitive)
        );
    }

    #[test]
    fn debug_output_hides_the_password_and_the_context() {
        let password = Password::parse_new("lantern orchard violet", &sam()).expect("valid");
        assert_eq!(format!("{password:?}"), "Password(<redacted>)");
        assert_eq!(format!("{:?}", sam()), "PasswordContext(<redacted>)");
    }
}
