//! Free text a cashier or member types (names, phones, e-mails, complaints, reasons), checked
//! before it is written anywhere.
//!
//! Invariant: text the till records or sends to HQ holds no control character (U+0000 to
//! U+001F, U+007F to U+009F). A NUL is refused by PostgreSQL, so one let through would be an
//! event HQ can never store; the others have no business in a name or a reason either.

/// Refuses `text` if it holds a control character, naming the field and the character.
pub fn check_plain(field: &str, text: &str) -> Result<(), String> {
    match text.chars().enumerate().find(|(_, c)| c.is_control()) {
        Some((at, c)) => Err(format!(
            "{field} contains the control character U+{:04X} at position {}; type it again without it",
            u32::from(c),
            at + 1
        )),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn control_characters_are_refused_with_the_field_named() {
        assert!(check_plain("name", "赵磊 O'Brien-Smith").is_ok());
        let err = check_plain("name", "Zhao\u{0}Lei").unwrap_err();
        assert!(err.contains("name") && err.contains("U+0000") && err.contains("position 5"));
        assert!(check_plain("reason", "line\nbreak").is_err());
        assert!(check_plain("reason", "\u{7f}").is_err());
        assert!(check_plain("reason", "\u{9b}").is_err());
    }

    proptest! {
        #[test]
        fn accepted_text_has_no_control_character(text in any::<String>()) {
            let accepted = check_plain("text", &text).is_ok();
            prop_assert_eq!(accepted, !text.chars().any(char::is_control));
        }
    }
}
