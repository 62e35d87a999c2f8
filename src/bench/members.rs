//! `storepos bench members`: member lookup at the till over a generated membership
//! (1,000,000 members by default). Members get Chinese or English names, an 11-digit mobile
//! phone, one or two cards (some blocked) and often an e-mail address; they are written
//! through the real `members::upsert` in one transaction, then random existing members are
//! looked up through `members::find` by card and by phone, and names are searched by a
//! family-name prefix, by the full name, by part of a Chinese name, and, as the till's
//! Latin-only keyboard types Chinese names, by their pinyin (whole or a prefix) and by
//! their pinyin initials.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Result, ensure};
use hdrhistogram::Histogram;

use super::work_dir;
use crate::config::Config;
use crate::domain::member::{CardStatus, Consent, Member, MemberCard};
use crate::store::members::{self, MatchedBy, MemberMatch, name_key, pinyin_spellings};

#[derive(Debug, clap::Args)]
pub struct MembersBenchArgs {
    /// Members to generate.
    #[arg(long, default_value_t = 1_000_000)]
    pub members: u64,
    /// Timed lookups of random existing members, by card and by phone (each).
    #[arg(long, default_value_t = 100_000)]
    pub lookups: u64,
    /// Timed name searches of each kind (family-name prefix, full name, part of a Chinese
    /// name, pinyin, pinyin initials).
    #[arg(long, default_value_t = 20_000)]
    pub searches: u64,
    /// Results a lookup asks for: a till screen's worth.
    #[arg(long, default_value_t = 20)]
    pub limit: usize,
    /// Where to build the store (default: a temporary directory).
    #[arg(long, value_name = "DIR")]
    pub dir: Option<PathBuf>,
}

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "彭", "曾",
    "肖", "田", "董", "袁", "潘", "于", "蒋", "蔡", "余", "杜", "叶", "程", "苏", "魏", "吕", "丁",
    "任", "沈", "姚", "卢", "姜", "崔", "钟", "谭", "陆", "汪", "范", "金",
];
const COMPOUND_SURNAMES: &[&str] = &["欧阳", "司马", "上官", "诸葛", "东方", "慕容"];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "兰", "霞", "平", "刚", "华", "飞", "鑫", "波", "斌", "宇", "浩", "凯", "健", "俊", "帆",
    "帅", "旭", "宁", "龙", "林", "欣", "怡", "佳", "琪", "涵", "萱", "雨", "轩", "博", "文", "诺",
    "思", "源", "晨", "阳", "婷", "雪", "慧", "玉", "秀", "英", "红", "梅",
];
const FIRST_NAMES: &[&str] = &[
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Margaret",
    "Steven",
    "Sandra",
    "Paul",
    "Ashley",
    "Andrew",
    "Emily",
    "Kevin",
    "Michelle",
    "Brian",
    "Amanda",
    "George",
    "Melissa",
];
const LAST_NAMES: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "O'Brien",
];
const MOBILE_PREFIXES: &[u64] = &[
    130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155, 157, 158, 159, 166, 177, 180,
    181, 182, 185, 186, 187, 188, 189, 198, 199,
];

/// splitmix64: a small, good-enough generator, seeded per member so any member can be
/// generated again from its index alone.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a>(&mut self, from: &[&'a str]) -> &'a str {
        from[self.below(from.len())]
    }

    /// True with probability `percent` / 100.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// A bijection on 0..10^digits (for 1 ≤ digits ≤ 12): distinct members get distinct numbers
/// in no particular order.
fn scatter(i: u64, digits: u32) -> u64 {
    let modulus = 10u64.pow(digits);
    // Odd and not a multiple of 5, hence invertible modulo any power of ten.
    ((u128::from(i % modulus) * 7_777_777_777 + 1_234_567) % u128::from(modulus)) as u64
}

/// Member `i` of the generated membership, with whether it is written in Chinese.
fn generated(i: u64) -> (Member, bool) {
    let mut rng = Rng(i.wrapping_mul(0x2545_F491_4F6C_DD1D) ^ 0x5EED);
    let chinese = rng.chance(70);
    let name = if chinese {
        let surname = if rng.chance(2) {
            rng.pick(COMPOUND_SURNAMES)
        } else {
            // Common surnames are much more common: favour the start of the list.
            SURNAMES[rng.below(SURNAMES.len()).min(rng.below(SURNAMES.len()))]
        };
        let mut name = surname.to_string();
        for _ in 0..1 + rng.below(2) {
            name.push_str(rng.pick(GIVEN));
        }
        name
    } else {
        format!("{} {}", rng.pick(FIRST_NAMES), rng.pick(LAST_NAMES))
    };
    let prefixes = MOBILE_PREFIXES.len() as u64;
    let phone = format!(
        "{}{:08}",
        MOBILE_PREFIXES[(i % prefixes) as usize],
        scatter(i / prefixes, 8)
    );
    let primary = format!("620000{:010}", scatter(i, 10));
    let mut cards = vec![MemberCard {
        number: primary.clone(),
        status: CardStatus::Active,
    }];
    if rng.chance(25) {
        // A replacement card; the first one was reported lost in a third of the cases.
        if rng.chance(33) {
            cards[0].status = CardStatus::Blocked;
        }
        cards.push(MemberCard {
            number: format!("628800{:010}", scatter(i, 10)),
            status: CardStatus::Active,
        });
    }
    let email = rng.chance(40).then(|| {
        if chinese {
            format!("m{i}@example.cn")
        } else {
            format!("{}{i}@example.com", name_key(&name).replace(' ', "."))
        }
    });
    let member = Member {
        id: primary,
        name,
        phone: Some(phone),
        email,
        address: None,
        customer_type: None,
        cards,
        card_opened: None,
        tier: ["standard", "silver", "gold"][rng.below(3)].into(),
        home_store: None,
        consent: Consent::default(),
        points_balance: rng.below(20_000) as i64,
    };
    (member, chinese)
}

/// A timed series of lookups of one kind.
struct Series {
    name: &'static str,
    latency: Histogram<u64>,
    results: u64,
}

impl Series {
    fn new(name: &'static str) -> Result<Self> {
        Ok(Series {
            name,
            latency: Histogram::new(3)?,
            results: 0,
        })
    }

    fn time(
        &mut self,
        conn: &rusqlite::Connection,
        query: &str,
        limit: usize,
    ) -> Result<Vec<MemberMatch>> {
        let t = Instant::now();
        let found = members::find(conn, query, limit)?;
        self.latency.record(t.elapsed().as_nanos() as u64)?;
        self.results += found.len() as u64;
        Ok(found)
    }

    fn print(&self, target_ms: f64, quantile: f64) {
        let ms = |q: f64| self.latency.value_at_quantile(q) as f64 / 1e6;
        let verdict = if ms(quantile) < target_ms {
            "met"
        } else {
            "MISSED"
        };
        println!(
            "{}: {} lookups, {:.1} results on average: p50 {:.3} ms, p99 {:.3} ms, p99.9 {:.3} ms, max {:.3} ms (target p{} < {target_ms} ms: {verdict})",
            self.name,
            self.latency.len(),
            self.results as f64 / self.latency.len().max(1) as f64,
            ms(0.5),
            ms(0.99),
            ms(0.999),
            self.latency.max() as f64 / 1e6,
            quantile * 100.0,
        );
    }
}

pub fn members(config: &Config, args: &MembersBenchArgs) -> Result<()> {
    ensure!(
        args.members > 0 && args.limit > 0,
        "members and limit must be positive"
    );
    ensure!(
        args.members <= 100_000_000,
        "at most 100,000,000 members (the generated phone numbers would repeat)"
    );
    let (_temp, dir) = work_dir(args.dir.as_ref())?;
    let store_dir = dir.join("store");
    let _ = std::fs::remove_dir_all(&store_dir);
    let mut store = crate::store::Store::open_configured(config, &store_dir)?;
    let (mut cards, mut blocked, mut emails) = (0u64, 0u64, 0u64);
    let started = Instant::now();
    let tx = store.catalogue.conn_mut().transaction()?;
    for i in 0..args.members {
        let (member, _) = generated(i);
        cards += member.cards.len() as u64;
        blocked += member
            .cards
            .iter()
            .filter(|c| c.status == CardStatus::Blocked)
            .count() as u64;
        emails += u64::from(member.email.is_some());
        members::upsert(&tx, &member, None)?;
    }
    tx.commit()?;
    let seconds = started.elapsed().as_secs_f64();
    drop(store);
    let path = store_dir.join(crate::store::CATALOGUE_FILE);
    let size = std::fs::metadata(&path)?.len();
    println!(
        "generated {} members ({cards} cards, {blocked} blocked; {emails} e-mail addresses) through members::upsert in one transaction: {seconds:.2} s = {:.0} members/s; {} is {:.1} MB",
        args.members,
        args.members as f64 / seconds,
        path.display(),
        size as f64 / 1e6
    );

    // Reopen so lookups start from a fresh connection, as a till would after start-up.
    let store = crate::store::Store::open_configured(config, &store_dir)?;
    let conn = store.catalogue.conn();
    let mut rng = Rng(0x00C0_FFEE);
    let mut by_card = Series::new("card")?;
    let mut by_phone = Series::new("phone")?;
    for _ in 0..args.lookups {
        let (member, _) = generated(rng.next() % args.members);
        let card = &member.cards[rng.below(member.cards.len())];
        let found = by_card.time(conn, &card.number, args.limit)?;
        let expected = MatchedBy::Card {
            number: card.number.clone(),
            blocked: card.status == CardStatus::Blocked,
        };
        ensure!(
            found.first().map(|m| (&m.member.id, &m.matched)) == Some((&member.id, &expected)),
            "card {} did not find member {} as {expected:?}",
            card.number,
            member.id
        );
        let phone = member.phone.as_deref().unwrap_or_default();
        let found = by_phone.time(conn, phone, args.limit)?;
        ensure!(
            found
                .iter()
                .any(|m| m.member.id == member.id && m.matched == MatchedBy::Phone),
            "phone {phone} did not find member {}",
            member.id
        );
    }

    let mut family = Series::new("name: family-name prefix")?;
    let mut full = Series::new("name: full name")?;
    let mut part = Series::new("name: part of a Chinese name")?;
    let mut pinyin = Series::new("name: pinyin (whole or a prefix)")?;
    let mut initials = Series::new("name: pinyin initials")?;
    for _ in 0..args.searches {
        let (member, chinese) = generated(rng.next() % args.members);
        let key = name_key(&member.name);
        // A Chinese family name is the name's first character(s); an English one is the
        // last word, of which a cashier types the first letters.
        let prefix: String = if chinese {
            key.chars().take(1 + rng.below(2)).collect()
        } else {
            let last = key.rsplit(' ').next().unwrap_or(&key);
            last.chars().take(2 + rng.below(3)).collect()
        };
        let found = family.time(conn, &prefix, args.limit)?;
        ensure!(!found.is_empty(), "'{prefix}' found nobody");
        let found = full.time(conn, &member.name, args.limit)?;
        ensure!(
            found
                .first()
                .is_some_and(|m| name_key(&m.member.name) == key),
            "'{}' did not find that name first",
            member.name
        );
        // Part of a Chinese name: its given name, or the last two characters.
        let (other, _) = (0..)
            .map(|_| generated(rng.next() % args.members))
            .find(|(_, chinese)| *chinese)
            .expect("Chinese names are common");
        let chars: Vec<char> = other.name.chars().collect();
        let take = if chars.len() > 2 { 1 + rng.below(2) } else { 1 };
        let inner: String = chars[chars.len() - take..].iter().collect();
        let found = part.time(conn, &inner, args.limit)?;
        ensure!(
            found.iter().all(|m| m.member.name.contains(&inner)) && !found.is_empty(),
            "'{inner}' found a name without it, or nobody"
        );
        // A Chinese name typed in pinyin: the whole of it or its first letters (at least
        // three), then its initials, as a cashier would on a Latin keyboard.
        let (full, first_letters) = pinyin_spellings(&name_key(&other.name));
        let spelled = &full[0];
        let shortest = spelled.len().min(3);
        let typed = &spelled[..shortest + rng.below(spelled.len() - shortest + 1)];
        for (series, query) in [(&mut pinyin, typed), (&mut initials, &first_letters[0])] {
            let found = series.time(conn, query, args.limit)?;
            ensure!(!found.is_empty(), "'{query}' ({}) found nobody", other.name);
            // Every pinyin match spells the query; the others are Latin names it begins.
            for m in &found {
                let (full, firsts) = pinyin_spellings(&name_key(&m.member.name));
                let spells = full.iter().chain(&firsts).any(|s| s.starts_with(query));
                ensure!(
                    match m.matched {
                        MatchedBy::Pinyin => spells,
                        MatchedBy::Name => name_key(&m.member.name)
                            .split(' ')
                            .any(|word| word.starts_with(query)),
                        _ => false,
                    },
                    "'{query}' found {} as {:?}",
                    m.member.name,
                    m.matched
                );
            }
        }
    }
    by_card.print(2.0, 0.99);
    by_phone.print(2.0, 0.99);
    for series in [&family, &full, &part, &pinyin, &initials] {
        series.print(20.0, 0.99);
    }
    Ok(())
}
