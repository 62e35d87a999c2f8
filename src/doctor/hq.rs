//! The doctor's checks against HQ: one GET of a route that takes the terminal's token
//! (`/v1/journal/anchors` past the last sequence, an empty page), which says whether HQ is
//! reachable and accepts the token; the `Date` header of its answer gives the clock skew.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::Check;
use crate::config::HqConfig;

/// A clock further than this from HQ's is a warning…
pub const WARN_SKEW_SECS: f64 = 30.0;
/// …and further than this a failure: coupons and lists are valid within time windows.
pub const FAIL_SKEW_SECS: f64 = 300.0;

/// How long the doctor waits for HQ.
const TIMEOUT: Duration = Duration::from_secs(5);

/// What HQ answered.
#[derive(Debug)]
enum Answer {
    /// It could not be asked (e.g. a URL that takes no path).
    Unasked(String),
    /// No answer: connection refused, timed out, TLS refused.
    Unreachable(String),
    /// An HTTP status.
    Status(u16, String),
}

/// HQ's answer to the doctor, and what it says of the clock.
#[derive(Debug)]
pub struct Probe {
    url: String,
    token: bool,
    answer: Answer,
    /// HQ's clock minus this machine's, in seconds.
    skew: Option<f64>,
}

/// Asks HQ once, with `hq.token` if there is one.
pub fn probe(hq: &HqConfig) -> Probe {
    let mut probe = Probe {
        url: hq.url.to_string(),
        token: hq.token.is_some(),
        answer: Answer::Unasked(String::new()),
        skew: None,
    };
    let url = match hq
        .url
        .join("v1/journal/anchors?after_seq=9223372036854775807")
    {
        Ok(u) => u,
        Err(e) => {
            probe.answer = Answer::Unasked(e.to_string());
            return probe;
        }
    };
    let mut builder = reqwest::blocking::Client::builder()
        .timeout(TIMEOUT)
        .connect_timeout(TIMEOUT);
    if let Some(path) = &hq.ca_file {
        match std::fs::read(path).map(|pem| reqwest::Certificate::from_pem(&pem)) {
            Ok(Ok(ca)) => builder = builder.add_root_certificate(ca),
            Ok(Err(e)) => {
                probe.answer = Answer::Unasked(format!("hq.ca_file {}: {e}", path.display()));
                return probe;
            }
            Err(e) => {
                probe.answer = Answer::Unasked(format!("hq.ca_file {}: {e}", path.display()));
                return probe;
            }
        }
    }
    let client = match builder.build() {
        Ok(c) => c,
        Err(e) => {
            probe.answer = Answer::Unasked(e.to_string());
            return probe;
        }
    };
    let mut request = client.get(url);
    if let Some(token) = &hq.token {
        request = request.bearer_auth(token);
    }
    let sent = Utc::now();
    match request.send() {
        Err(e) => probe.answer = Answer::Unreachable(error_chain(&e)),
        Ok(answer) => {
            let received = Utc::now();
            let here = sent + (received - sent) / 2;
            probe.skew = answer
                .headers()
                .get(reqwest::header::DATE)
                .and_then(|d| d.to_str().ok())
                .and_then(|d| DateTime::parse_from_rfc2822(d).ok())
                .map(|there| (there.with_timezone(&Utc) - here).num_milliseconds() as f64 / 1000.0);
            let status = answer.status().as_u16();
            let body = answer.text().unwrap_or_default();
            probe.answer = Answer::Status(status, body.chars().take(200).collect());
        }
    }
    probe
}

/// An error's causes, which say what really went wrong (refused, timed out…), without
/// the request's URL (said beside it).
fn error_chain(e: &dyn std::error::Error) -> String {
    let mut text = String::new();
    let mut source = e.source();
    if source.is_none() {
        text = e.to_string();
    }
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

impl Probe {
    /// Whether HQ is reachable and accepts the terminal's token.
    pub fn check(&self) -> Check {
        const NAME: &str = "hq";
        let url = &self.url;
        let register = "register this till on HQ (`storepos hq register --store ID --terminal \
                        ID`) and put the token it prints in hq.token";
        match (&self.answer, self.token) {
            (Answer::Unasked(e), _) => Check::fail(
                NAME,
                format!("HQ at {url} cannot be asked: {e}"),
                "correct hq.url / hq.ca_file",
            ),
            (Answer::Unreachable(e), true) => Check::fail(
                NAME,
                format!("HQ at {url} is not reachable: {e}"),
                "check that HQ runs (systemctl status storepos-hq on HQ), that hq.url is \
                 right and that this till's network reaches it; the till sells offline \
                 meanwhile and sends its events later",
            ),
            (Answer::Unreachable(e), false) => Check::warn(
                NAME,
                format!(
                    "no hq.token: this till works offline only (HQ at {url} is not reachable \
                     either: {e})"
                ),
                register,
            ),
            (Answer::Status(_, _), false) => Check::warn(
                NAME,
                format!(
                    "HQ at {url} answers, but there is no hq.token: this till works offline only"
                ),
                register,
            ),
            (Answer::Status(200..=299, _), true) => {
                Check::ok(NAME, format!("HQ at {url} answers and accepts the token"))
            }
            (Answer::Status(401, _), true) => Check::fail(
                NAME,
                format!("HQ at {url} answers 401: token not accepted"),
                "token not accepted: register with storepos hq register (on HQ: `storepos \
                 hq register --store ID --terminal ID`) and put the new token in hq.token",
            ),
            (Answer::Status(403, body), true) => Check::fail(
                NAME,
                format!("HQ at {url} answers 403 to this till's token: {body}"),
                "HQ has retired this terminal or its store: register it again, or \
                 re-provision the till under a new terminal id",
            ),
            (Answer::Status(status, body), true) => Check::fail(
                NAME,
                format!("HQ at {url} answers {status}: {body}"),
                "check hq.url points at HQ itself (not a proxy's page) and HQ's log",
            ),
        }
    }

    /// The clock against HQ's, from the `Date` of its answer.
    pub fn clock(&self) -> Check {
        const NAME: &str = "clock";
        let Some(skew) = self.skew else {
            return Check::warn(
                NAME,
                match &self.answer {
                    Answer::Status(..) => "not checked: HQ's answer carries no Date".to_string(),
                    _ => "not checked: HQ did not answer".to_string(),
                },
                "check the clock once HQ answers; keep time synchronised \
                 (timedatectl set-ntp true)",
            );
        };
        let way = if skew > 0.0 { "behind" } else { "ahead of" };
        let detail = format!("this machine is {:.0} s {way} HQ", skew.abs());
        let remedy = "synchronise the clock (timedatectl set-ntp true, or the chain's NTP \
                      server in /etc/systemd/timesyncd.conf): coupons and shopping lists \
                      are valid within time windows, and receipts carry the time";
        if skew.abs() > FAIL_SKEW_SECS {
            Check::fail(NAME, detail, remedy)
        } else if skew.abs() > WARN_SKEW_SECS {
            Check::warn(NAME, detail, remedy)
        } else {
            Check::ok(NAME, format!("within {:.0} s of HQ", skew.abs().max(1.0)))
        }
    }
}
