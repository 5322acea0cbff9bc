//! The validated fields of a board: a raw request becomes these values or a list of field
//! errors, so that the service and the repository only ever see valid boards.

use kernel::{FieldErrors, Id, UserId};

use crate::board::model::{BoardAccess, BoardId};

/// A board's name: 1..128 characters once surrounding whitespace is trimmed, no control
/// characters. Unique, compared exactly (the database collates byte for byte).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoardName(String);

impl BoardName {
    pub const MAX_CHARS: usize = 128;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::name(raw, Self::MAX_CHARS).map(BoardName)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A board's description: 0..512 characters, kept as given (line breaks included).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardInformation(String);

impl BoardInformation {
    pub const MAX_CHARS: usize = 512;

    pub fn parse(raw: &str) -> Result<Self, String> {
        kernel::text::optional(raw, Self::MAX_CHARS).map(BoardInformation)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// The most ids one request may list (`member_ids` of a board, `board_ids` of a user), so
/// that one request stays one bounded statement on every database.
pub const MAX_MEMBER_IDS: usize = 5000;
pub const MAX_BOARD_IDS: usize = 1000;

/// Ids sorted and without repeats, at most `max` of them, all positive.
pub(crate) fn parse_ids(raw: &[Id], max: usize) -> Result<Vec<Id>, String> {
    if raw.len() > max {
        return Err(format!("must list at most {max} ids"));
    }
    let mut ids = raw.to_vec();
    ids.sort_unstable();
    ids.dedup();
    if let Some(bad) = ids.iter().find(|id| **id <= 0) {
        return Err(format!("{bad} is not an id"));
    }
    Ok(ids)
}

/// "1, 2, 3", for messages that name ids.
pub(crate) fn id_list(ids: &[Id]) -> String {
    ids.iter().map(Id::to_string).collect::<Vec<_>>().join(", ")
}

/// A board to create, as received.
#[derive(Debug, Clone, Default)]
pub struct BoardInput {
    pub name: String,
    /// Default: empty.
    pub information: Option<String>,
    /// Default: true.
    pub is_visible: Option<bool>,
    /// Default: true.
    pub is_available: Option<bool>,
    /// `public` or `restricted`; default `public`.
    pub access: Option<String>,
    /// The members of the board (they matter while it is restricted).
    pub member_ids: Option<Vec<UserId>>,
}

/// A change of a board, as received: absent fields stay as they are.
#[derive(Debug, Clone, Default)]
pub struct BoardPatch {
    pub name: Option<String>,
    pub information: Option<String>,
    pub is_visible: Option<bool>,
    pub is_available: Option<bool>,
    pub access: Option<String>,
    /// Replaces the member list when present.
    pub member_ids: Option<Vec<UserId>>,
}

/// A validated board to create.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewBoard {
    pub name: BoardName,
    pub information: BoardInformation,
    pub is_visible: bool,
    pub is_available: bool,
    pub access: BoardAccess,
    pub member_ids: Vec<UserId>,
}

impl NewBoard {
    /// Validates every field and reports every problem at once.
    pub fn parse(input: &BoardInput) -> Result<Self, FieldErrors> {
        let mut errors = FieldErrors::new();
        let name = errors.check("name", BoardName::parse(&input.name));
        let information =
            errors.check("information", BoardInformation::parse(input.information.as_deref().unwrap_or("")));
        let access =
            errors.check("access", input.access.as_deref().map_or(Ok(BoardAccess::Public), BoardAccess::parse));
        let member_ids =
            errors.check("member_ids", parse_ids(input.member_ids.as_deref().unwrap_or(&[]), MAX_MEMBER_IDS));
        match (name, information, access, member_ids) {
            (Some(name), Some(information), Some(access), Some(member_ids)) => Ok(NewBoard {
                name,
                information,
                is_visible: input.is_visible.unwrap_or(true),
                is_available: input.is_available.unwrap_or(true),
                access,
                member_ids,
            }),
            _ => Err(errors),
        }
    }
}

/// A validated change of a board's own fields.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct BoardChanges {
    pub name: Option<BoardName>,
    pub information: Option<BoardInformation>,
    pub is_visible: Option<bool>,
    pub is_available: Option<bool>,
    pub access: Option<BoardAccess>,
    /// Clear `delete_date`: the change opens a deleted board again.
    pub restore: bool,
}

impl BoardChanges {
    /// Validates every field of `patch` (but `member_ids`, see [`parse_ids`]).
    pub fn parse(patch: &BoardPatch) -> Result<(Self, Option<Vec<UserId>>), FieldErrors> {
        let mut errors = FieldErrors::new();
        let changes = BoardChanges {
            name: patch.name.as_deref().and_then(|raw| errors.check("name", BoardName::parse(raw))),
            information: patch
                .information
                .as_deref()
                .and_then(|raw| errors.check("information", BoardInformation::parse(raw))),
            is_visible: patch.is_visible,
            is_available: patch.is_available,
            access: patch.access.as_deref().and_then(|raw| errors.check("access", BoardAccess::parse(raw))),
            restore: patch.is_visible == Some(true) || patch.is_available == Some(true),
        };
        let member_ids =
            patch.member_ids.as_deref().and_then(|raw| errors.check("member_ids", parse_ids(raw, MAX_MEMBER_IDS)));
        errors.into_result()?;
        Ok((changes, member_ids))
    }

    /// True when the change touches none of the board's own fields.
    pub fn is_empty(&self) -> bool {
        self.name.is_none()
            && self.information.is_none()
            && self.is_visible.is_none()
            && self.is_available.is_none()
            && self.access.is_none()
    }
}

/// The ids of boards, validated for a membership request.
pub(crate) fn parse_board_ids(raw: &[BoardId]) -> Result<Vec<BoardId>, FieldErrors> {
    parse_ids(raw, MAX_BOARD_IDS).map_err(|message| FieldErrors::single("board_ids", message))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_trimmed_and_between_1_and_128_characters() {
        assert_eq!(BoardName::parse("  general ").unwrap().as_str(), "general");
        assert!(BoardName::parse("   ").is_err());
        assert!(BoardName::parse(&"é".repeat(128)).is_ok(), "characters, not bytes");
        assert!(BoardName::parse(&"x".repeat(129)).is_err());
        assert!(BoardName::parse("tab\there").is_err());
    }

    #[test]
    fn information_may_be_empty_and_at_most_512_characters() {
        assert!(BoardInformation::parse("").is_ok());
        assert!(BoardInformation::parse("line one\nline two").is_ok());
        assert!(BoardInformation::parse(&"ü".repeat(512)).is_ok());
        assert!(BoardInformation::parse(&"x".repeat(513)).is_err());
    }

    #[test]
    fn a_new_board_defaults_to_public_visible_and_open() {
        let board = NewBoard::parse(&BoardInput { name: "news".into(), ..Default::default() }).unwrap();
        assert_eq!(board.access, BoardAccess::Public);
        assert!(board.is_visible && board.is_available);
        assert_eq!(board.information.as_str(), "");
        assert!(board.member_ids.is_empty());
    }

    #[test]
    fn a_new_board_reports_every_invalid_field_at_once() {
        let input = BoardInput {
            name: String::new(),
            information: Some("x".repeat(600)),
            access: Some("secret".into()),
            member_ids: Some(vec![3, -1]),
            ..Default::default()
        };
        let errors = NewBoard::parse(&input).unwrap_err();
        let fields: Vec<&String> = errors.fields().keys().collect();
        assert_eq!(fields, ["access", "information", "member_ids", "name"]);
    }

    #[test]
    fn ids_are_sorted_deduplicated_and_bounded() {
        assert_eq!(parse_ids(&[5, 2, 5, 9], 10).unwrap(), vec![2, 5, 9]);
        assert!(parse_ids(&[0], 10).is_err());
        assert!(parse_ids(&[1, 2, 3], 2).is_err());
    }

    #[test]
    fn a_patch_restores_only_when_it_opens_or_shows_the_board() {
        let (changes, members) =
            BoardChanges::parse(&BoardPatch { is_visible: Some(true), ..Default::default() }).unwrap();
        assert!(changes.restore);
        assert_eq!(members, None);
        let (changes, _) =
            BoardChanges::parse(&BoardPatch { is_available: Some(false), ..Default::default() }).unwrap();
        assert!(!changes.restore);
        let (changes, _) = BoardChanges::parse(&BoardPatch { name: Some("n".into()), ..Default::default() }).unwrap();
        assert!(!changes.restore && !changes.is_empty());
        assert!(BoardChanges::parse(&BoardPatch::default()).unwrap().0.is_empty());
    }
}
