//! The terminal's calls to HQ made while selling: only the lookup of a member whose card
//! this till has never seen (one card works in every store). Everything else reaches HQ
//! through the outbox. A lookup waits at most [`LOOKUP_TIMEOUT`]; offline, the till says
//! so and sells on without the member.

use std::time::Duration;

use crate::config::HqConfig;
use crate::domain::member::Member;

/// Longest a cashier waits for HQ to answer a member lookup.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);

pub struct HqClient {
    base: url::Url,
    token: String,
    http: reqwest::blocking::Client,
}

/// Why HQ could not answer.
#[derive(Debug, thiserror::Error)]
pub enum HqUnavailable {
    #[error("HQ cannot be reached ({0}); the till works offline")]
    Offline(String),
    #[error("HQ refused the lookup ({status}): {message}")]
    Refused { status: u16, message: String },
}

#[derive(serde::Deserialize)]
struct MemberAnswer {
    member: Member,
    points_balance: i64,
}

impl HqClient {
    /// A client when the terminal has HQ credentials (`hq.token`).
    pub fn from_config(hq: &HqConfig) -> Option<HqClient> {
        let token = hq.token.clone()?;
        let http = reqwest::blocking::Client::builder()
            .timeout(LOOKUP_TIMEOUT)
            .connect_timeout(LOOKUP_TIMEOUT)
            .build()
            .ok()?;
        Some(HqClient {
            base: hq.url.clone(),
            token,
            http,
        })
    }

    /// The member holding `card`, with HQ's balance in `points_balance`; `None` when HQ
    /// knows no such card.
    pub fn member_by_card(&self, card: &str) -> Result<Option<Member>, HqUnavailable> {
        let url = self
            .base
            .join(&format!("v1/members/{card}"))
            .map_err(|e| HqUnavailable::Offline(e.to_string()))?;
        let answer = self
            .http
            .get(url)
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| HqUnavailable::Offline(e.to_string()))?;
        match answer.status().as_u16() {
            200 => {
                let body: MemberAnswer = answer
                    .json()
                    .map_err(|e| HqUnavailable::Offline(format!("unreadable answer: {e}")))?;
                let mut member = body.member;
                member.points_balance = body.points_balance;
                Ok(Some(member))
            }
            404 => Ok(None),
            status => Err(HqUnavailable::Refused {
                status,
                message: answer.text().unwrap_or_default(),
            }),
        }
    }
}
