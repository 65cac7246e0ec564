//! Who may see what in search results. One table, for the command line and the review
//! UI alike: unverified records only for the roles that work on them; ID numbers and
//! phones in full only for the roles that must check them against the archive.

use anyhow::{bail, Result};
use serde::Serialize;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    DataEntry,
    Reviewer,
    Archivist,
    Dba,
    Admin,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::DataEntry, Role::Reviewer, Role::Archivist, Role::Dba, Role::Admin];

    pub fn name(self) -> &'static str {
        match self {
            Role::DataEntry => "data_entry",
            Role::Reviewer => "reviewer",
            Role::Archivist => "archivist",
            Role::Dba => "dba",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Result<Role> {
        match Role::ALL.into_iter().find(|r| r.name() == text) {
            Some(r) => Ok(r),
            None => bail!(
                "{text:?} is not a role; roles: {}",
                Role::ALL.map(Role::name).join(", ")
            ),
        }
    }

    /// May search records not yet verified (machine-accepted, needing review, rejected).
    pub fn sees_unverified(self) -> bool {
        !matches!(self, Role::Dba)
    }

    /// Sees ID numbers and phone numbers unmasked.
    pub fn sees_protected(self) -> bool {
        matches!(self, Role::Reviewer | Role::Archivist | Role::Admin)
    }
}

/// `370112********5678`: the division code and the last four stay, for telling records
/// apart without exposing the number.
pub fn mask_id(id: &str) -> String {
    mask(id, 6, 4)
}

/// `139****1234`.
pub fn mask_phone(phone: &str) -> String {
    mask(phone, 3, 4)
}

fn mask(text: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = text.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let hidden = chars.len() - keep_start - keep_end;
    chars[..keep_start]
        .iter()
        .chain(std::iter::repeat_n(&'*', hidden))
        .chain(&chars[chars.len() - keep_end..])
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks() {
        assert_eq!(mask_id("370112198001015678"), "370112********5678");
        assert_eq!(mask_phone("13912341234"), "139****1234");
        assert_eq!(mask_phone("123"), "***");
        assert!(Role::parse("dba").is_ok() && Role::parse("root").is_err());
        assert!(!Role::Dba.sees_unverified() && !Role::DataEntry.sees_protected());
    }
}
