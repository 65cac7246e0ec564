//! What makes a password usable: what an information security assessment of a
//! government system (等级保护 2.0, GB/T 22239-2019: 口令应有复杂度要求) checks, kept
//! friendly to passphrases (NIST SP 800-63B): at least 8 characters of three kinds of
//! four — lower case, upper case, digits, and anything else (a space, a sign, a 汉字) —,
//! or a passphrase of at least 16 characters of any kinds; never holding the account's
//! name; never one of the passwords tried first by whoever guesses.

/// A password refused, with the rule it breaks: `too_short`, `too_few_kinds`,
/// `holds_user_name`, `guessed_first`, or, for a change by its holder, `same_as_current`
/// or `used_before`, by which the app says it in the user's language.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct Unusable {
    pub rule: &'static str,
    message: String,
}

impl Unusable {
    pub(super) fn new(rule: &'static str, message: impl Into<String>) -> Unusable {
        Unusable {
            rule,
            message: message.into(),
        }
    }
}

/// Characters a password of fewer kinds must have.
const PASSPHRASE: usize = 16;
const SHORTEST: usize = 8;

/// Passwords that meet the kinds and length, and are tried first all the same (weak
/// password lists, Chinese and international): compared ignoring case.
const TRIED_FIRST: [&str; 24] = [
    "p@ssw0rd",
    "p@ssword",
    "passw0rd!",
    "password1!",
    "password123",
    "password@123",
    "admin@123",
    "admin123!",
    "admin@1234",
    "admin@12345",
    "aa123456",
    "aa123456!",
    "abc@1234",
    "abc@123456",
    "abcd@1234",
    "qwer1234!",
    "qwer@1234",
    "1qaz@wsx",
    "1qaz!qaz",
    "1qaz2wsx!",
    "zaq1@wsx",
    "root@123",
    "test@123",
    "welcome@123",
];

/// `password`, if it may be `username`'s: an error saying which rule it breaks, else.
pub(super) fn usable_password<'p>(password: &'p str, username: &str) -> Result<&'p str, Unusable> {
    let length = password.chars().count();
    if length < SHORTEST {
        return Err(Unusable::new(
            "too_short",
            format!("the password must have at least {SHORTEST} characters"),
        ));
    }
    let kinds = [
        password.chars().any(|c| c.is_lowercase()),
        password.chars().any(|c| c.is_uppercase()),
        password.chars().any(|c| c.is_ascii_digit()),
        password
            .chars()
            .any(|c| !c.is_lowercase() && !c.is_uppercase() && !c.is_ascii_digit()),
    ]
    .into_iter()
    .filter(|&has| has)
    .count();
    if kinds < 3 && length < PASSPHRASE {
        return Err(Unusable::new(
            "too_few_kinds",
            format!(
                "the password must have three kinds of characters of lower case, upper case, digits and others \
                 (a space, a sign), or be a passphrase of at least {PASSPHRASE} characters"
            ),
        ));
    }
    let lower = password.to_lowercase();
    let name = username.trim().to_lowercase();
    if name.chars().count() >= 3 && lower.contains(&name) {
        return Err(Unusable::new(
            "holds_user_name",
            "the password must not hold the user name",
        ));
    }
    if TRIED_FIRST.contains(&lower.as_str()) {
        return Err(Unusable::new(
            "guessed_first",
            "the password is one of those guessed first",
        ));
    }
    Ok(password)
}

#[cfg(test)]
mod tests {
    use super::usable_password;

    #[test]
    fn passwords_are_usable_by_their_kinds_length_and_name() {
        for (password, usable) in [
            ("Tb7#qL2x", true),
            ("correct horse 9", true),
            ("a long passphrase", true),
            ("长城脚下的小院子1号", false),
            ("我家住在长城脚下的小院子里一号楼", true),
            ("Sh0rt!", false),
            ("abcdefgh", false),
            ("abcdefgh1", false),
            ("abcdefghijklmno", false),
            ("abcdefghijklmnop", true),
            ("Lihua@2026", false),
            ("x2026-LIHUA!", false),
            ("P@ssw0rd", false),
            ("ADMIN@123", false),
        ] {
            assert_eq!(usable_password(password, "lihua").is_ok(), usable, "{password}");
        }
        let said = |p: &str| usable_password(p, "lihua").unwrap_err().rule;
        assert_eq!(said("Sh0rt!"), "too_short");
        assert_eq!(said("abcdefgh1"), "too_few_kinds");
        assert_eq!(said("Lihua@2026"), "holds_user_name");
        assert_eq!(said("Admin@123"), "guessed_first");
        assert!(
            usable_password("Li@2026xx", "li").is_ok(),
            "a name of two letters is in many words"
        );
    }
}
