//! The `Member` global (`ui/screens/member.slint`): the member on the sale (the badge), the
//! members a lookup found, the member's sheet and a card just issued; looking members up,
//! enrolling them, recording their complaints and adding notes to their complaint cases.

use slint::{ComponentHandle, SharedString};

use super::controller::{Controller, Shared, given};
use super::models::{self, rows};
use super::{AppWindow, Member, MemberRow, NoticeKind};
use crate::terminal::headless::{
    Command, ComplaintArgs, ComplaintNoteArgs, EnrollArgs, MemberViewArgs, Outcome,
};
use crate::terminal::views;

impl Controller {
    /// The member on the sale, if any: name, tier, points and the offers attached.
    pub(super) fn show_member_badge(&self) {
        let badge = views::member_badge(&self.terminal);
        self.member(|m| match badge {
            Some(b) => {
                m.set_has_member(true);
                m.set_name(b.name.into());
                m.set_tier(b.tier.into());
                m.set_points(b.points.to_string().into());
                m.set_redeemable(b.redeemable.to_string().into());
                m.set_offers(rows(b.offers.into_iter().map(|o| o.title.into()).collect()));
            }
            None => {
                m.set_has_member(false);
                m.set_name(SharedString::new());
                m.set_offers(rows(Vec::new()));
                m.set_sheet(rows(Vec::new()));
                m.set_cases(rows(Vec::new()));
            }
        });
    }

    fn member_lookup(&mut self, query: &str) {
        let outcome = self.run(Command::Member(query.into()));
        let candidates = match outcome {
            Some(Outcome::Candidates(list)) => list
                .iter()
                .map(|m| {
                    let line = views::member_line(m);
                    MemberRow {
                        id: line.id.into(),
                        name: line.name.into(),
                        phone: line.phone.unwrap_or_default().into(),
                        tier: line.tier.into(),
                    }
                })
                .collect(),
            _ => Vec::new(),
        };
        self.member(|m| {
            m.set_candidates(rows(candidates));
            m.set_sheet(rows(Vec::new()));
            m.set_issued_card(SharedString::new());
            m.set_has_issued_card(false);
        });
    }

    fn member_sheet(&mut self) {
        let command = Command::MemberView(MemberViewArgs::Current {});
        if let Some(Outcome::MemberView { sheet, .. }) = self.run(command) {
            let entries = models::member_sheet(&sheet, self.terminal.currency());
            let cases = models::complaint_choices(&sheet);
            self.member(|m| {
                m.set_sheet(rows(entries));
                m.set_cases(rows(cases));
            });
        }
    }

    fn enroll(&mut self, name: &str, phone: &str, email: &str) {
        let enrolment = EnrollArgs {
            name: name.into(),
            phone: given(phone).map(Into::into),
            email: given(email).map(Into::into),
            consent: Default::default(),
        };
        if let Some(Outcome::CardIssued(card)) = self.run(Command::Enroll(enrolment)) {
            self.member(|m| {
                m.set_has_issued_card(!card.is_empty());
                m.set_issued_card(card.into());
            });
        }
    }

    fn complaint(&mut self, content: &str, satisfaction: i32) {
        // A satisfaction outside 0–255 is kept out of range, so the terminal refuses it.
        let satisfaction = Some(u8::try_from(satisfaction).unwrap_or(u8::MAX));
        let command = Command::Complaint(ComplaintArgs::at_counter(content.into(), satisfaction));
        if let Some(Outcome::Complaint(id)) = self.run(command) {
            self.notice(NoticeKind::Complaint, &[id.to_string()]);
        }
    }

    /// The cashier's note on one of the member's cases, queued for HQ.
    fn complaint_note(&mut self, case: &str, note: &str) {
        let command = Command::ComplaintNote(ComplaintNoteArgs {
            member: None,
            id: case.into(),
            note: note.into(),
        });
        if let Some(Outcome::ComplaintNote(taken)) = self.run(command) {
            self.notice(NoticeKind::ComplaintNoted, &[taken.id]);
        }
    }
}

/// Connects the member actions.
pub(super) fn bind(app: &AppWindow, controller: &Shared) {
    let member = app.global::<Member>();
    macro_rules! on {
        ($($action:tt)*) => { bind_action!(member, controller, $($action)*) };
    }
    on!(on_lookup, |c, query| c.member_lookup(query.trim()));
    on!(on_pick, |c, id| c.member_lookup(&id));
    on!(on_clear, |c| c.run(Command::ClearMember {}));
    on!(on_open_sheet, |c| c.member_sheet());
    on!(on_enroll, |c, name, phone, email| c
        .enroll(&name, &phone, &email));
    on!(on_complaint, |c, content, satisfaction| c
        .complaint(&content, satisfaction));
    on!(on_note, |c, case, note| c.complaint_note(&case, &note));
}
