//! The `TextEdit` global (`ui/widgets/text-edit.slint`): the text editing the keypads and
//! fields need.

use slint::ComponentHandle;

use super::{AppWindow, TextEdit};

/// Connects the text helpers: a secret shown as one dot per character, and the text
/// without its last character.
pub(super) fn bind(app: &AppWindow) {
    let edit = app.global::<TextEdit>();
    edit.on_mask(|text| "●".repeat(text.chars().count()).into());
    edit.on_drop_last(|text| {
        let mut text = text.to_string();
        text.pop();
        text.into()
    });
}
