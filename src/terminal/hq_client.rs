//! The terminal's calls to HQ made while selling: only the lookup of a member whose card
//! this till has never seen (one card works in every store). Everything else reaches HQ
//! through the outbox. A lookup waits at most [`LOOKUP_TIMEOUT`]; offline, the till says
//! so and sells on without the member. Away from the counter: HQ's data sets
//! ([`HqClient::checkpoint`]) and the journal anchors HQ holds for this terminal
//! ([`HqClient::journal_anchors`]).

use std::time::Duration;

use crate::config::HqConfig;
use crate::domain::member::Member;

/// Longest a cashier waits for HQ to answer a member lookup.
pub const LOOKUP_TIMEOUT: Duration = Duration::from_millis(1500);
/// Longest one request for a whole data set may take.
pub const SYNC_TIMEOUT: Duration = Duration::from_secs(60);

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

impl HqUnavailable {
    /// Whether asking again later may help: HQ could not be reached, answered damaged
    /// data, or answered that it cannot serve now (5xx).
    pub fn is_transient(&self) -> bool {
        match self {
            HqUnavailable::Offline(_) => true,
            HqUnavailable::Refused { status, .. } => *status >= 500,
        }
    }
}

#[derive(serde::Deserialize)]
struct MemberAnswer {
    member: Member,
    points_balance: i64,
}

impl HqClient {
    /// A client for lookups at the counter when the terminal has HQ credentials
    /// (`hq.token`).
    pub fn from_config(hq: &HqConfig) -> Option<HqClient> {
        HqClient::with_timeout(hq, LOOKUP_TIMEOUT)
    }

    /// A client for whole data sets, which may take longer than a lookup.
    pub fn for_sync(hq: &HqConfig) -> Option<HqClient> {
        HqClient::with_timeout(hq, SYNC_TIMEOUT)
    }

    /// A client for whole data sets whose requests never take longer than `limit` (and
    /// never longer than [`SYNC_TIMEOUT`]), for a command that must end in time.
    pub fn for_sync_within(hq: &HqConfig, limit: Duration) -> Option<HqClient> {
        HqClient::with_timeout(hq, limit.clamp(Duration::from_millis(100), SYNC_TIMEOUT))
    }

    fn with_timeout(hq: &HqConfig, timeout: Duration) -> Option<HqClient> {
        let token = hq.token.clone()?;
        let mut builder = reqwest::blocking::Client::builder()
            .timeout(timeout)
            .connect_timeout(LOOKUP_TIMEOUT);
        if let Some(path) = &hq.ca_file {
            match std::fs::read(path).map(|pem| reqwest::Certificate::from_pem(&pem)) {
                Ok(Ok(ca)) => builder = builder.add_root_certificate(ca),
                Ok(Err(e)) => tracing::warn!("hq.ca_file {}: {e}", path.display()),
                Err(e) => tracing::warn!("hq.ca_file {}: {e}", path.display()),
            }
        }
        let http = builder.build().ok()?;
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

impl HqClient {
    /// The chain-wide view of the member at the counter (`card`: the card they presented,
    /// or one of theirs on file), with their latest `bills`; within this client's time
    /// limit ([`LOOKUP_TIMEOUT`] at the counter), else the till shows its own history.
    pub fn member_view(
        &self,
        member_id: &str,
        card: &str,
        bills: u32,
    ) -> Result<crate::hq::member_view::MemberView, HqUnavailable> {
        let mut url = self
            .base
            .join("v1/members/")
            .map_err(|e| HqUnavailable::Offline(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|_| HqUnavailable::Offline("HQ's URL cannot take a path".into()))?
            .pop_if_empty()
            .push(member_id)
            .push("view");
        url.query_pairs_mut()
            .append_pair("card", card)
            .append_pair("limit", &bills.to_string());
        self.send_ok(self.http.get(url))?
            .json()
            .map_err(|e| HqUnavailable::Offline(format!("unreadable answer: {e}")))
    }

    /// The member's shopping list of the current period, as HQ signed it (made now if HQ
    /// had none); the caller verifies it.
    pub fn list_for(&self, member_id: &str) -> Result<crate::protocol::SignedCode, HqUnavailable> {
        let mut url = self
            .base
            .join("v1/lists/")
            .map_err(|e| HqUnavailable::Offline(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|_| HqUnavailable::Offline("HQ's URL cannot take a path".into()))?
            .pop_if_empty()
            .push(member_id);
        self.send_ok(self.http.post(url))?
            .json()
            .map_err(|e| HqUnavailable::Offline(format!("unreadable answer: {e}")))
    }

    /// A data set as HQ holds it for this store, checked against its checksum; a damaged
    /// transfer is fetched again (three tries).
    pub fn checkpoint<T>(
        &self,
        dataset: &str,
    ) -> Result<storepos_sync::checkpoint::Checkpoint<T>, HqUnavailable>
    where
        T: serde::Serialize + serde::de::DeserializeOwned,
    {
        let path = format!("v1/checkpoints/{dataset}");
        let mut last = String::new();
        for _ in 0..3 {
            let answer = self.get_ok(&path)?;
            match answer.json::<storepos_sync::checkpoint::Checkpoint<T>>() {
                Ok(c) if c.is_intact() => return Ok(c),
                Ok(_) => last = "its checksum does not match".into(),
                Err(e) => last = format!("unreadable: {e}"),
            }
        }
        Err(HqUnavailable::Offline(format!(
            "the {dataset} data set came damaged: {last}"
        )))
    }
}

impl HqClient {
    /// The member's complaint cases in every store, as HQ shows a till them; `None` when
    /// HQ holds no such member.
    pub fn member_complaints(
        &self,
        member_id: &str,
    ) -> Result<Option<Vec<crate::hq::complaints::MemberCase>>, HqUnavailable> {
        let mut url = self
            .base
            .join("v1/members/")
            .map_err(|e| HqUnavailable::Offline(e.to_string()))?;
        url.path_segments_mut()
            .map_err(|_| HqUnavailable::Offline("HQ's URL cannot take a path".into()))?
            .pop_if_empty()
            .push(member_id)
            .push("complaints");
        match self.send_ok(self.http.get(url)) {
            Ok(answer) => answer
                .json()
                .map(Some)
                .map_err(|e| HqUnavailable::Offline(format!("unreadable answer: {e}"))),
            Err(HqUnavailable::Refused { status: 404, .. }) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `GET {hq}/{path}` with this terminal's token; any answer but a success is refused.
    fn get_ok(&self, path: &str) -> Result<reqwest::blocking::Response, HqUnavailable> {
        let url = self
            .base
            .join(path)
            .map_err(|e| HqUnavailable::Offline(e.to_string()))?;
        self.send_ok(self.http.get(url))
    }

    /// Sends a request with this terminal's token; any answer but a success is refused.
    fn send_ok(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<reqwest::blocking::Response, HqUnavailable> {
        let answer = request
            .bearer_auth(&self.token)
            .send()
            .map_err(|e| HqUnavailable::Offline(e.to_string()))?;
        if !answer.status().is_success() {
            return Err(HqUnavailable::Refused {
                status: answer.status().as_u16(),
                message: answer.text().unwrap_or_default(),
            });
        }
        Ok(answer)
    }

    /// Every journal anchor HQ holds for this terminal (its own sales' events), fetched a
    /// page at a time.
    pub fn journal_anchors(&self) -> Result<Vec<storepos_sync::anchor::HeldAnchor>, HqUnavailable> {
        let mut anchors = Vec::new();
        let mut after = 0u64;
        loop {
            let answer = self.get_ok(&format!("v1/journal/anchors?after_seq={after}"))?;
            let page: storepos_sync::anchor::AnchorsPage = answer
                .json()
                .map_err(|e| HqUnavailable::Offline(format!("unreadable answer: {e}")))?;
            anchors.extend(page.anchors);
            match page.next_after {
                // A page that does not move forward would loop for ever.
                Some(next) if next > after => after = next,
                _ => return Ok(anchors),
            }
        }
    }
}

/// Applies HQ's members data set: every member, card status and balance replaced in the
/// cache in one transaction, then this till's points movements that the balances already
/// include marked as acknowledged, so they are not counted twice. (Applied in this order,
/// an interruption can only leave the till counting a movement twice, which never lets a
/// member redeem more than HQ allows.)
pub fn apply_members(
    store: &mut crate::store::Store,
    checkpoint: &storepos_sync::checkpoint::Checkpoint<Member>,
) -> Result<usize, crate::store::StoreError> {
    crate::store::members::upsert_all(store.catalogue.conn_mut(), &checkpoint.items)?;
    crate::store::loyalty::mark_included(&store.terminal, checkpoint.as_of_seq)?;
    Ok(checkpoint.items.len())
}

/// Applies HQ's catalogue: every product replaced, and products HQ no longer lists removed,
/// in one transaction. An empty data set (HQ does not administer the catalogue yet) leaves
/// the till's own. A catalogue with a product at a VAT rate the store does not use
/// (`rates`, from `store.tax_rates`) is refused whole and the till keeps the one it had.
pub fn apply_catalogue(
    store: &mut crate::store::Store,
    checkpoint: &storepos_sync::checkpoint::Checkpoint<crate::domain::product::Product>,
    rates: &crate::domain::tax::TaxRates,
) -> Result<usize, crate::store::StoreError> {
    if checkpoint.items.is_empty() {
        return Ok(0);
    }
    let mut foreign = checkpoint
        .items
        .iter()
        .filter(|p| !rates.contains(p.tax_rate));
    if let Some(first) = foreign.next() {
        let others = foreign.count();
        return Err(crate::store::StoreError::Refused(format!(
            "HQ's catalogue was not applied: product {} ({}) has VAT rate {}{}, not one of \
             this store's VAT rates ({rates}; key `store.tax_rates`); the till keeps the \
             catalogue it had",
            first.gtin,
            first.name,
            first.tax_rate,
            match others {
                0 => String::new(),
                n => format!(" (and {n} more products at such rates)"),
            }
        )));
    }
    store.catalogue.replace_products(&checkpoint.items)?;
    Ok(checkpoint.items.len())
}

/// Applies HQ's promotions: the set replaced whole in one transaction (an empty data set
/// leaves the till's own). The terminal reads them again when it next starts.
pub fn apply_promotions(
    store: &mut crate::store::Store,
    checkpoint: &storepos_sync::checkpoint::Checkpoint<crate::domain::promotion::Promotion>,
) -> Result<usize, crate::store::StoreError> {
    if checkpoint.items.is_empty() {
        return Ok(0);
    }
    crate::store::promotions::replace_all(store.catalogue.conn_mut(), &checkpoint.items)?;
    Ok(checkpoint.items.len())
}

/// Keeps the signed coupons HQ issued to the store's members, so their short codes redeem
/// here offline; each is verified again when scanned.
pub fn apply_codes(
    store: &mut crate::store::Store,
    checkpoint: &storepos_sync::checkpoint::Checkpoint<crate::protocol::SignedCode>,
) -> Result<usize, crate::store::StoreError> {
    crate::store::loyalty::keep_codes(&mut store.terminal, &checkpoint.items)?;
    Ok(checkpoint.items.len())
}

/// Applies HQ's operators for this store: the set replaced whole in one transaction (an
/// empty data set, while HQ does not administer operators, leaves the till's own).
pub fn apply_operators(
    store: &mut crate::store::Store,
    checkpoint: &storepos_sync::checkpoint::Checkpoint<crate::domain::org::Operator>,
) -> Result<usize, crate::store::StoreError> {
    if checkpoint.items.is_empty() {
        return Ok(0);
    }
    crate::store::operators::replace_all(store.catalogue.conn_mut(), &checkpoint.items)?;
    Ok(checkpoint.items.len())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gs1::Gtin;
    use crate::domain::money::{Currency, Money};
    use crate::domain::product::{BonusPoints, BrandType, Product};
    use crate::domain::tax::{TaxRate, TaxRates};
    use storepos_sync::checkpoint::Checkpoint;

    fn product(gtin: &str, minor: i64, bp: u32) -> Product {
        Product {
            gtin: Gtin::parse(gtin).unwrap(),
            name: format!("P{gtin}"),
            name_en: None,
            price: Money::from_minor(minor, Currency::CNY),
            tax_rate: TaxRate::from_basis_points(bp).unwrap(),
            department: None,
            category: None,
            brand_type: BrandType::Unknown,
            manufacturer: None,
            member_price: None,
            bonus_points: BonusPoints::None,
            weighed: false,
            plu: None,
            restricted: false,
            external_id: None,
        }
    }

    #[test]
    fn a_catalogue_with_a_rate_the_store_does_not_use_is_refused_whole() {
        let dir = tempfile::tempdir().unwrap();
        let mut store = crate::store::Store::open(
            dir.path(),
            crate::store::Identity {
                store_id: "S001".into(),
                terminal_id: "T01".into(),
                currency: Currency::CNY,
            },
        )
        .unwrap();
        let rates = TaxRates::default();
        let water = "6901234567892";
        let first = Checkpoint::new("catalogue", "S001", 0, vec![product(water, 200, 1300)]);
        assert_eq!(apply_catalogue(&mut store, &first, &rates).unwrap(), 1);
        // 13 basis points (0.13 %) where 13 % was meant: nothing of the set is applied.
        let wrong = Checkpoint::new(
            "catalogue",
            "S001",
            0,
            vec![product(water, 180, 1300), product("6920000000463", 698, 13)],
        );
        let err = apply_catalogue(&mut store, &wrong, &rates)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("6920000000463") && err.contains("0.13%"),
            "{err}"
        );
        assert!(err.contains("13%, 9%, 6%, 0%, 3%") && err.contains("store.tax_rates"));
        let kept = store
            .catalogue
            .product_by_gtin(Gtin::parse(water).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(
            kept.price.minor(),
            200,
            "the till keeps the catalogue it had"
        );
        // 7 % is refused where the store does not use it and taken where it does.
        let seven = Checkpoint::new("catalogue", "S001", 0, vec![product(water, 180, 700)]);
        assert!(apply_catalogue(&mut store, &seven, &rates).is_err());
        let with_seven = TaxRates::parse(&["13", "7"]).unwrap();
        assert_eq!(apply_catalogue(&mut store, &seven, &with_seven).unwrap(), 1);
        let now = store
            .catalogue
            .product_by_gtin(Gtin::parse(water).unwrap())
            .unwrap()
            .unwrap();
        assert_eq!(now.tax_rate.basis_points(), 700);
    }
}
