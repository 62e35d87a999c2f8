//! The touch UI: the Slint screens of `ui/*.slint` bound to the terminal.
//!
//! Each screen's state and actions are a Slint global declared beside the screen (see
//! `ui/README.md`), bound by the module of the same name: `Session` (sign-in, language,
//! the screen showing) by `session`, `Sale` (basket, totals, quick keys) by `sale`,
//! `Payment` by `payment`, `Member` by `member`, `Returns` by `returns`, `Manager` by
//! `manager`, `Status` (status bar, devices, refusals and notices) by `status`, the
//! `Approval` and `AgeCheck` prompts by `approval` and `age_check`, `TextEdit` by
//! `text_edit`. The screens raise actions (the globals' callbacks); [`Controller`] turns
//! each into a [`crate::terminal::headless::Command`], runs it through
//! [`crate::terminal::headless::run`], carries out its effects on the devices and binds
//! the terminal's typed views back to the globals. No price, point or rule is decided
//! here, and what a screen decides from a value arrives as its own boolean (the kind of a
//! notice as the `NoticeKind` enum).
//!
//! The modules depend one way: `bind` connects them all; each global's module builds on
//! `controller` (the terminal, the devices and running a command) and on `models`.

/// Connects the callback `$setter` of the global `$global` to the controller:
/// `|c, args…| body` runs with `c` the borrowed controller, while the controller lives.
macro_rules! bind_action {
    ($global:expr, $controller:expr, $setter:ident, |$c:ident $(, $arg:ident)*| $body:expr) => {{
        let weak = std::rc::Rc::downgrade($controller);
        $global.$setter(move |$($arg),*| {
            if let Some(shared) = weak.upgrade() {
                #[allow(unused_mut)]
                let mut $c = shared.borrow_mut();
                $body;
            }
        });
    }};
}

mod age_check;
mod approval;
mod bind;
mod controller;
mod held;
pub mod launch;
pub mod lists;
mod manager;
mod member;
pub mod models;
pub mod offscreen;
mod payment;
mod returns;
mod sale;
mod session;
mod status;
mod text_edit;

#[allow(clippy::all, clippy::pedantic, unused_qualifications, missing_docs)]
mod generated {
    slint::include_modules!();
}

pub use controller::{Controller, NOTICE_SHOWN_FOR};
pub use generated::{
    AgeCheck, AppWindow, Approval, BasketLine, Entry, Fact, Manager, Member, MemberRow, NoticeKind,
    Payment, QuickKey, ReturnRow, Returns, Sale, Screen, Session, Status, TextEdit,
};

/// Languages the UI is bundled with: English (the source strings) and Simplified Chinese.
pub const LANGUAGES: &[&str] = &["en", "zh_CN"];

/// Switches every string of the UI to `language` ("en" or "zh_CN").
pub fn select_language(language: &str) -> Result<(), String> {
    slint::select_bundled_translation(language).map_err(|e| format!("language {language}: {e}"))
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    /// Every `@tr("…")` string of the screens, from the `.slint` sources.
    fn translatable() -> Vec<String> {
        fn walk(dir: &Path, out: &mut Vec<String>) {
            for entry in std::fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    walk(&path, out);
                } else if path.extension().is_some_and(|e| e == "slint") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for piece in text.split("@tr(\"").skip(1) {
                        let end = piece.find('"').unwrap();
                        let first = &piece[..end];
                        // `@tr("context" => "text")`: the po file keys it as msgctxt + msgid.
                        let rest = piece[end + 1..].trim_start();
                        match rest.strip_prefix("=>") {
                            Some(after) => {
                                let text = after.trim_start().strip_prefix('"').unwrap();
                                let text = &text[..text.find('"').unwrap()];
                                out.push(format!("msgctxt \"{first}\"\nmsgid \"{text}\""));
                            }
                            None => out.push(format!("msgid \"{first}\"")),
                        }
                    }
                }
            }
        }
        let mut out = Vec::new();
        walk(&Path::new(env!("CARGO_MANIFEST_DIR")).join("ui"), &mut out);
        out.sort();
        out.dedup();
        out
    }

    #[test]
    fn every_string_of_the_screens_has_a_chinese_translation() {
        let po = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("ui/translations/zh_CN/LC_MESSAGES/storepos.po"),
        )
        .unwrap();
        let strings = translatable();
        assert!(strings.len() > 100, "found {} strings", strings.len());
        // A string is translated when its msgid is followed by a non-empty msgstr.
        let missing: Vec<_> = strings
            .iter()
            .filter(|s| {
                let key = format!("{s}\nmsgstr \"");
                po.find(&key)
                    .is_none_or(|i| po[i + key.len()..].starts_with('"'))
            })
            .collect();
        assert!(missing.is_empty(), "untranslated: {missing:?}");
    }
}
