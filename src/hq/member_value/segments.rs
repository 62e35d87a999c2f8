//! Saved segments: a named, typed query over the members ([`Definition`]) kept at HQ and
//! evaluated when asked, as of a day's scores; its members exported as CSV, or each issued
//! a signed coupon of a campaign through HQ's coupon issuing ([`HqStore::issue_coupon`]).
//!
//! A campaign issues at most one coupon per member: the coupon id derives from the
//! campaign and the member ([`campaign_coupon_id`]), so issuing again only reaches members
//! who joined the segment since. Coupons go only to members who consented to marketing,
//! whatever the definition says.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{MemberScore, SLIPPING_FACTOR, Segment};
use crate::domain::coupon::{Coupon, Offer, OfferTarget, OfferValue};
use crate::domain::gs1::Gtin;
use crate::hq::db::query;
use crate::hq::retry::retrying;
use crate::hq::store::{HqError, HqStore};

/// A segment's definition: every criterion given must hold (an empty list or an absent
/// range is no criterion).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields, default)]
pub struct Definition {
    /// RFM segments the member is in (any of them).
    pub segments: Vec<Segment>,
    pub r: Option<ScoreRange>,
    pub f: Option<ScoreRange>,
    pub m: Option<ScoreRange>,
    /// Only members slipping away (true) or only those not (false).
    pub slipping: Option<bool>,
    /// Tiers (any of them).
    pub tiers: Vec<String>,
    /// Home stores (any of them).
    pub home_stores: Vec<String>,
    /// Least net sales in the window, minor units.
    pub min_spend: Option<i64>,
    /// Only members who consented to marketing (coupons go only to them in any case).
    pub consent_marketing: bool,
}

/// Scores from `min` to `max`, both included, within 1–5.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScoreRange {
    pub min: u8,
    pub max: u8,
}

impl ScoreRange {
    fn holds(&self, score: u8) -> bool {
        (self.min..=self.max).contains(&score)
    }
}

impl Definition {
    /// Refuses a definition that could never be what was meant.
    pub fn validate(&self) -> Result<(), String> {
        for (name, range) in [("r", self.r), ("f", self.f), ("m", self.m)] {
            if let Some(r) = range
                && !(1 <= r.min && r.min <= r.max && r.max <= 5)
            {
                return Err(format!(
                    "{name}: a score range runs from min to max within 1–5 (got {}–{})",
                    r.min, r.max
                ));
            }
        }
        if matches!(self.min_spend, Some(s) if s < 0) {
            return Err("min_spend must not be negative".into());
        }
        Ok(())
    }

    /// Whether the definition reads scores (members who never bought cannot match).
    fn needs_scores(&self) -> bool {
        !self.segments.is_empty()
            || self.r.is_some()
            || self.f.is_some()
            || self.m.is_some()
            || self.min_spend.is_some()
            || self.slipping == Some(true)
    }

    /// Whether a member matches.
    fn matches(&self, m: &SegmentMember, slipping: bool) -> bool {
        let score = |f: fn(&SegmentMember) -> Option<u8>, range: Option<ScoreRange>| {
            range.is_none_or(|r| f(m).is_some_and(|s| r.holds(s)))
        };
        (!self.needs_scores() || m.segment.is_some())
            && (self.segments.is_empty() || m.segment.is_some_and(|s| self.segments.contains(&s)))
            && score(|m| m.r, self.r)
            && score(|m| m.f, self.f)
            && score(|m| m.m, self.m)
            && self.slipping.is_none_or(|want| want == slipping)
            && (self.tiers.is_empty() || self.tiers.contains(&m.tier))
            && (self.home_stores.is_empty()
                || m.home_store
                    .as_ref()
                    .is_some_and(|h| self.home_stores.contains(h)))
            && self.min_spend.is_none_or(|min| m.monetary >= min)
            && (!self.consent_marketing || m.consent_marketing)
    }
}

/// A saved segment.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SavedSegment {
    pub id: String,
    pub name: String,
    pub definition: Definition,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// A segment as HQ staff put it.
#[derive(Debug, Clone, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewSegment {
    pub name: String,
    pub definition: Definition,
}

/// A member of a segment, with the figures it was chosen by.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SegmentMember {
    pub member_id: String,
    pub name: String,
    pub tier: String,
    pub home_store: Option<String>,
    pub consent_marketing: bool,
    /// None for a member who never bought.
    pub segment: Option<Segment>,
    pub r: Option<u8>,
    pub f: Option<u8>,
    pub m: Option<u8>,
    pub recency_days: Option<i64>,
    pub frequency: i64,
    pub monetary: i64,
}

/// A segment's members as of a day.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct SegmentMembers {
    pub segment_id: String,
    pub as_of: NaiveDate,
    pub members: Vec<SegmentMember>,
}

/// Checks a segment or campaign id: 1–40 ASCII letters, digits, `-` or `_`.
pub fn check_id(what: &str, id: &str) -> Result<(), String> {
    if id.is_empty()
        || id.len() > 40
        || !id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(format!(
            "{what} id '{id}' must be 1–40 ASCII letters, digits, '-' or '_'"
        ));
    }
    Ok(())
}

/// The id of the coupon a campaign issues a member: `G` and 16 hex digits of a hash of
/// both, so issuing again gives the same id.
pub fn campaign_coupon_id(campaign_id: &str, member_id: &str) -> String {
    let mut hash = Sha256::new();
    hash.update(campaign_id.as_bytes());
    hash.update([0u8]);
    hash.update(member_id.as_bytes());
    format!("G{}", &hex::encode(hash.finalize())[..16])
}

/// A coupon issue to a segment's members.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CampaignRequest {
    /// Names the issue; issuing again under it reaches only members not yet issued one.
    pub campaign_id: String,
    /// Printed on each coupon.
    pub title: String,
    /// Amount off in minor units (give this or `percent_off_bp`).
    #[serde(default)]
    pub amount_off: Option<i64>,
    /// Percent off in basis points (1000 = 10 %).
    #[serde(default)]
    pub percent_off_bp: Option<u32>,
    /// The product (GTIN) it applies to; else `category`; else the whole basket.
    #[serde(default)]
    pub product: Option<String>,
    #[serde(default)]
    pub category: Option<String>,
    /// Least spend on the target, minor units.
    #[serde(default)]
    pub min_spend: i64,
    #[serde(default)]
    pub max_discount: Option<i64>,
    pub valid_from: DateTime<Utc>,
    pub valid_until: DateTime<Utc>,
    /// Who pays: a manufacturer, or `store` (the default).
    #[serde(default)]
    pub funded_by: Option<String>,
}

impl CampaignRequest {
    /// The offer each coupon carries.
    pub fn offer(&self) -> Result<Offer, String> {
        let value = match (self.amount_off, self.percent_off_bp) {
            (Some(a), None) => OfferValue::AmountOff(a),
            (None, Some(p)) => OfferValue::PercentOff(p),
            _ => return Err("give either amount_off or percent_off_bp".into()),
        };
        let target = match (&self.product, &self.category) {
            (Some(g), None) => {
                OfferTarget::Product(Gtin::parse(g).map_err(|e| format!("product '{g}': {e}"))?)
            }
            (None, Some(c)) => OfferTarget::Category(c.clone()),
            (None, None) => OfferTarget::Basket,
            (Some(_), Some(_)) => return Err("give product or category, not both".into()),
        };
        Ok(Offer {
            target,
            value,
            min_spend: self.min_spend,
            max_discount: self.max_discount,
        })
    }

    /// The campaign's coupon for one member.
    fn coupon(&self, member_id: &str) -> Result<Coupon, String> {
        Ok(Coupon {
            id: campaign_coupon_id(&self.campaign_id, member_id),
            member_id: member_id.to_string(),
            offer: self.offer()?,
            valid_from: self.valid_from,
            valid_until: self.valid_until,
            single_use: true,
            funded_by: Some(self.funded_by.clone().unwrap_or_else(|| "store".into())),
            title: self.title.clone(),
        })
    }
}

/// What a coupon issue to a segment did.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct CampaignIssue {
    pub campaign_id: String,
    pub segment_id: String,
    pub as_of: NaiveDate,
    /// Members of the segment.
    pub members: i64,
    /// Of them, without consent to marketing: issued nothing.
    pub without_consent: i64,
    /// Coupons issued now.
    pub issued: i64,
    /// Members issued this campaign's coupon before.
    pub already_issued: i64,
    /// The ids of the coupons issued now.
    pub coupon_ids: Vec<String>,
}

impl HqStore {
    /// Saves a segment under `id` (replacing its definition and name if it exists).
    pub async fn put_segment(
        &self,
        id: &str,
        segment: &NewSegment,
    ) -> Result<SavedSegment, HqError> {
        check_id("segment", id).map_err(HqError::Invalid)?;
        if segment.name.trim().is_empty() || segment.name.len() > 200 {
            return Err(HqError::Invalid(
                "a segment's name is 1–200 characters".into(),
            ));
        }
        segment.definition.validate().map_err(HqError::Invalid)?;
        let definition = serde_json::to_value(&segment.definition)
            .map_err(|e| HqError::Invalid(e.to_string()))?;
        let definition = &definition;
        retrying("saving a segment", || async move {
            let now = Utc::now();
            query(
                "INSERT INTO segments (id, name, definition, created_at, updated_at)
                 VALUES ($1, $2, $3, $4, $4)
                 ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name,
                    definition = EXCLUDED.definition, updated_at = EXCLUDED.updated_at",
            )
            .bind(id)
            .bind(&segment.name)
            .bind(definition)
            .bind(now)
            .execute(self.pool())
            .await
            .map_err(HqError::from)
        })
        .await?;
        self.segment(id)
            .await?
            .ok_or_else(|| HqError::Invalid(format!("segment {id} was saved and is gone")))
    }

    /// A saved segment.
    pub async fn segment(&self, id: &str) -> Result<Option<SavedSegment>, HqError> {
        let Some(r) = query(
            "SELECT id, name, definition, created_at, updated_at FROM segments WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(self.pool())
        .await?
        else {
            return Ok(None);
        };
        Ok(Some(SavedSegment {
            id: r.get(0),
            name: r.get(1),
            definition: serde_json::from_value(r.json(2)?)
                .map_err(|e| HqError::Invalid(format!("stored segment {id}: {e}")))?,
            created_at: r.get(3),
            updated_at: r.get(4),
        }))
    }

    /// Every saved segment, by id.
    pub async fn segments(&self) -> Result<Vec<SavedSegment>, HqError> {
        let rows =
            query("SELECT id, name, definition, created_at, updated_at FROM segments ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        let mut out = Vec::with_capacity(rows.len());
        for r in &rows {
            let id: String = r.get(0);
            out.push(SavedSegment {
                name: r.get(1),
                definition: serde_json::from_value(r.json(2)?)
                    .map_err(|e| HqError::Invalid(format!("stored segment {id}: {e}")))?,
                created_at: r.get(3),
                updated_at: r.get(4),
                id,
            });
        }
        Ok(out)
    }

    /// The members a definition selects as of `as_of` (the day's scores, computed if
    /// missing), in member id order.
    pub async fn evaluate(
        &self,
        definition: &Definition,
        as_of: NaiveDate,
    ) -> Result<Vec<SegmentMember>, HqError> {
        let scores: HashMap<String, MemberScore> = self
            .scores(as_of)
            .await?
            .into_iter()
            .map(|s| (s.member_id.clone(), s))
            .collect();
        let slipping: HashSet<String> = if definition.slipping.is_some() {
            self.slipping_away(as_of, SLIPPING_FACTOR)
                .await?
                .into_iter()
                .map(|s| s.member_id)
                .collect()
        } else {
            HashSet::new()
        };
        let rows =
            query("SELECT id, name, tier, home_store, consent_marketing FROM members ORDER BY id")
                .fetch_all(self.pool())
                .await?;
        let mut out = Vec::new();
        for r in &rows {
            let id: String = r.get(0);
            let s = scores.get(&id);
            let member = SegmentMember {
                name: r.get(1),
                tier: r.get(2),
                home_store: r.get(3),
                consent_marketing: r.get(4),
                segment: s.map(|s| s.segment),
                r: s.map(|s| s.r),
                f: s.map(|s| s.f),
                m: s.map(|s| s.m),
                recency_days: s.map(|s| s.recency_days),
                frequency: s.map_or(0, |s| s.frequency),
                monetary: s.map_or(0, |s| s.monetary),
                member_id: id,
            };
            if definition.matches(&member, slipping.contains(&member.member_id)) {
                out.push(member);
            }
        }
        Ok(out)
    }

    /// A saved segment's members as of `as_of`; `None` for an unknown segment.
    pub async fn segment_members(
        &self,
        id: &str,
        as_of: NaiveDate,
    ) -> Result<Option<SegmentMembers>, HqError> {
        let Some(segment) = self.segment(id).await? else {
            return Ok(None);
        };
        Ok(Some(SegmentMembers {
            segment_id: segment.id,
            as_of,
            members: self.evaluate(&segment.definition, as_of).await?,
        }))
    }

    /// Issues the campaign's coupon to every member of segment `id` (as of `as_of`) who
    /// consented to marketing and has none of it yet; `None` for an unknown segment.
    pub async fn issue_segment_coupons(
        &self,
        key: &SigningKey,
        id: &str,
        as_of: NaiveDate,
        request: &CampaignRequest,
    ) -> anyhow::Result<Option<CampaignIssue>> {
        check_id("campaign", &request.campaign_id).map_err(HqError::Invalid)?;
        // Every coupon of the campaign must sign: check one before anything is kept.
        let probe = request.coupon("probe").map_err(HqError::Invalid)?;
        probe
            .validate()
            .map_err(|e| HqError::Invalid(e.to_string()))?;
        let Some(members) = self.segment_members(id, as_of).await? else {
            return Ok(None);
        };
        self.keep_campaign(id, request).await?;
        let already: HashSet<String> =
            query("SELECT member_id FROM campaign_coupons WHERE campaign_id = $1")
                .bind(&request.campaign_id)
                .fetch_all(self.pool())
                .await?
                .iter()
                .map(|r| r.get(0))
                .collect();
        let mut issue = CampaignIssue {
            campaign_id: request.campaign_id.clone(),
            segment_id: id.to_string(),
            as_of,
            members: members.members.len() as i64,
            without_consent: 0,
            issued: 0,
            already_issued: 0,
            coupon_ids: Vec::new(),
        };
        for m in &members.members {
            if !m.consent_marketing {
                issue.without_consent += 1;
                continue;
            }
            if already.contains(&m.member_id) {
                issue.already_issued += 1;
                continue;
            }
            let coupon = request.coupon(&m.member_id).map_err(HqError::Invalid)?;
            let signed = self.issue_coupon(key, coupon).await?;
            let (campaign, member, coupon_id) = (&request.campaign_id, &m.member_id, signed.id());
            retrying("recording a campaign's coupon", || async move {
                query(
                    "INSERT INTO campaign_coupons (member_id, campaign_id, coupon_id, issued_at)
                     VALUES ($1, $2, $3, $4) ON CONFLICT (member_id, campaign_id) DO NOTHING",
                )
                .bind(member)
                .bind(campaign)
                .bind(coupon_id)
                .bind(Utc::now())
                .execute(self.pool())
                .await
                .map_err(HqError::from)
            })
            .await?;
            issue.issued += 1;
            issue.coupon_ids.push(coupon_id.to_string());
        }
        Ok(Some(issue))
    }

    /// Records a campaign's definition; one kept under the same id must be the same.
    async fn keep_campaign(
        &self,
        segment_id: &str,
        request: &CampaignRequest,
    ) -> Result<(), HqError> {
        let definition =
            serde_json::to_value(request).map_err(|e| HqError::Invalid(e.to_string()))?;
        let (definition, id) = (&definition, &request.campaign_id);
        retrying("recording a campaign", || async move {
            query(
                "INSERT INTO campaigns (id, segment_id, definition, created_at)
                 VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
            )
            .bind(id)
            .bind(segment_id)
            .bind(definition)
            .bind(Utc::now())
            .execute(self.pool())
            .await
            .map_err(HqError::from)
        })
        .await?;
        let kept = query("SELECT segment_id, definition FROM campaigns WHERE id = $1")
            .bind(id)
            .fetch_one(self.pool())
            .await?;
        let (kept_segment, kept_definition): (Option<String>, _) = (kept.get(0), kept.json(1)?);
        if kept_segment.as_deref() != Some(segment_id) || &kept_definition != definition {
            return Err(HqError::Invalid(format!(
                "campaign {id} was issued before with another segment or offer: give the new issue another campaign_id"
            )));
        }
        Ok(())
    }
}

/// A segment's members as CSV (a header line, then one line per member).
pub fn members_csv(members: &[SegmentMember]) -> Result<String, HqError> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let io = |e: csv::Error| HqError::Invalid(format!("writing CSV: {e}"));
    w.write_record([
        "member_id",
        "name",
        "tier",
        "home_store",
        "consent_marketing",
        "segment",
        "r",
        "f",
        "m",
        "recency_days",
        "frequency",
        "monetary",
    ])
    .map_err(io)?;
    let opt = |v: Option<u8>| v.map(|v| v.to_string()).unwrap_or_default();
    for m in members {
        w.write_record([
            m.member_id.clone(),
            m.name.clone(),
            m.tier.clone(),
            m.home_store.clone().unwrap_or_default(),
            m.consent_marketing.to_string(),
            m.segment.map(|s| s.name().to_string()).unwrap_or_default(),
            opt(m.r),
            opt(m.f),
            opt(m.m),
            m.recency_days.map(|d| d.to_string()).unwrap_or_default(),
            m.frequency.to_string(),
            m.monetary.to_string(),
        ])
        .map_err(io)?;
    }
    let bytes = w
        .into_inner()
        .map_err(|e| HqError::Invalid(format!("writing CSV: {e}")))?;
    String::from_utf8(bytes).map_err(|e| HqError::Invalid(format!("writing CSV: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::coupon::{CodeKind, validate_id};

    fn member(id: &str, segment: Option<Segment>, scores: Option<(u8, u8, u8)>) -> SegmentMember {
        SegmentMember {
            member_id: id.into(),
            name: format!("Name, \"{id}\""),
            tier: "gold".into(),
            home_store: Some("S1".into()),
            consent_marketing: id.ends_with('1'),
            segment,
            r: scores.map(|s| s.0),
            f: scores.map(|s| s.1),
            m: scores.map(|s| s.2),
            recency_days: scores.map(|_| 3),
            frequency: 4,
            monetary: 12_000,
        }
    }

    #[test]
    fn definitions_select_by_every_criterion_given() {
        let champion = member("M1", Some(Segment::Champions), Some((5, 5, 4)));
        let never = member("M2", None, None);
        let any = Definition::default();
        assert!(any.matches(&champion, false) && any.matches(&never, false));
        let scored = Definition {
            m: Some(ScoreRange { min: 4, max: 5 }),
            ..Definition::default()
        };
        assert!(scored.matches(&champion, false));
        assert!(!scored.matches(&never, false), "no scores, no match");
        let strict = Definition {
            segments: vec![Segment::Champions],
            tiers: vec!["gold".into()],
            home_stores: vec!["S1".into()],
            min_spend: Some(12_000),
            consent_marketing: true,
            slipping: Some(false),
            ..Definition::default()
        };
        assert!(strict.matches(&champion, false));
        assert!(!strict.matches(&champion, true), "slipping");
        assert!(
            !strict.matches(
                &member("M3", Some(Segment::Champions), Some((5, 5, 4))),
                false
            ),
            "no consent"
        );
        let more = Definition {
            min_spend: Some(12_001),
            ..strict.clone()
        };
        assert!(!more.matches(&champion, false));
        let tiers = Definition {
            tiers: vec!["standard".into()],
            ..Definition::default()
        };
        assert!(!tiers.matches(&never, false));
    }

    #[test]
    fn bad_definitions_and_ids_are_refused() {
        for (min, max) in [(0, 3), (4, 2), (1, 6)] {
            let d = Definition {
                r: Some(ScoreRange { min, max }),
                ..Definition::default()
            };
            assert!(d.validate().unwrap_err().contains("1–5"));
        }
        let d = Definition {
            min_spend: Some(-1),
            ..Definition::default()
        };
        assert!(d.validate().is_err());
        assert!(serde_json::from_str::<Definition>(r#"{"segments":["vip"]}"#).is_err());
        assert!(serde_json::from_str::<Definition>(r#"{"colour":"red"}"#).is_err());
        for id in ["", "a b", "x/y", &"z".repeat(41)] {
            assert!(check_id("segment", id).is_err(), "{id}");
        }
        assert!(check_id("segment", "best-2026_q4").is_ok());
    }

    #[test]
    fn campaign_coupon_ids_are_stable_valid_and_apart() {
        let a = campaign_coupon_id("BEST-OATS", "6200123412341234");
        assert_eq!(a, campaign_coupon_id("BEST-OATS", "6200123412341234"));
        assert_ne!(a, campaign_coupon_id("BEST-OATS", "6200123412345678"));
        assert_ne!(a, campaign_coupon_id("BEST-MILK", "6200123412341234"));
        assert_eq!(a.len(), 17);
        validate_id(CodeKind::Coupon, &a).unwrap();
    }

    #[test]
    fn csv_quotes_what_needs_quoting() {
        let text = members_csv(&[member("M1", Some(Segment::Loyal), Some((3, 4, 3)))]).unwrap();
        let mut lines = text.lines();
        assert_eq!(
            lines.next().unwrap(),
            "member_id,name,tier,home_store,consent_marketing,segment,r,f,m,recency_days,frequency,monetary"
        );
        assert_eq!(
            lines.next().unwrap(),
            "M1,\"Name, \"\"M1\"\"\",gold,S1,true,loyal,3,4,3,3,4,12000"
        );
        assert_eq!(members_csv(&[]).unwrap().lines().count(), 1);
    }
}
