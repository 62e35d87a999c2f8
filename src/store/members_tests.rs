//! Tests of the member repository and of member lookup, on real SQLite.

use super::*;
use crate::store::schema::migrate_catalogue;

fn db() -> Connection {
    let mut conn = Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
    migrate_catalogue(&mut conn).unwrap();
    conn
}

fn member(id: &str, name: &str, phone: Option<&str>, email: Option<&str>) -> Member {
    Member {
        id: id.into(),
        name: name.into(),
        phone: phone.map(str::to_string),
        email: email.map(str::to_string),
        address: None,
        customer_type: None,
        cards: vec![MemberCard {
            number: format!("CARD{id}"),
            status: CardStatus::Active,
        }],
        card_opened: None,
        tier: "standard".into(),
        home_store: None,
        consent: Consent::default(),
        points_balance: 0,
    }
}

fn add(conn: &Connection, id: &str, name: &str, phone: Option<&str>, email: Option<&str>) {
    upsert(conn, &member(id, name, phone, email), None).unwrap();
}

/// The ids and kinds of match of a lookup, in order.
fn found(conn: &Connection, query: &str, limit: usize) -> Vec<(String, MatchedBy)> {
    find(conn, query, limit)
        .unwrap()
        .into_iter()
        .map(|m| (m.member.id, m.matched))
        .collect()
}

fn ids(conn: &Connection, query: &str) -> Vec<String> {
    found(conn, query, 50)
        .into_iter()
        .map(|(id, _)| id)
        .collect()
}

#[test]
fn existing_lookups_keep_working() {
    let conn = db();
    add(&conn, "M1", "张伟", Some("13800138000"), None);
    assert_eq!(by_id(&conn, "M1").unwrap().unwrap().name, "张伟");
    assert_eq!(by_card(&conn, "CARDM1").unwrap().unwrap().id, "M1");
    assert_eq!(by_phone(&conn, "13800138000").unwrap().len(), 1);
    assert_eq!(count(&conn).unwrap(), 1);
    assert!(by_card(&conn, "NOPE").unwrap().is_none());
}

#[test]
fn finds_by_card_with_its_status() {
    let conn = db();
    let mut m = member("M1", "Alice Smith", None, None);
    m.cards.push(MemberCard {
        number: "6200000000000001".into(),
        status: CardStatus::Blocked,
    });
    upsert(&conn, &m, None).unwrap();
    assert_eq!(
        found(&conn, "CARDM1", 10),
        [(
            "M1".to_string(),
            MatchedBy::Card {
                number: "CARDM1".into(),
                blocked: false
            }
        )]
    );
    let blocked = find(&conn, " 6200000000000001 ", 10).unwrap();
    assert_eq!(blocked.len(), 1);
    assert_eq!(
        blocked[0].matched,
        MatchedBy::Card {
            number: "6200000000000001".into(),
            blocked: true
        }
    );
    assert_eq!(blocked[0].member.cards.len(), 2);
}

#[test]
fn a_member_matched_twice_appears_once_with_the_stronger_match() {
    let conn = db();
    // As the CSV importer stores them: the card number is also the member id.
    let mut m = member("6200123412341234", "Bob", None, None);
    m.cards[0].number = m.id.clone();
    m.cards[0].status = CardStatus::Blocked;
    upsert(&conn, &m, None).unwrap();
    assert_eq!(
        found(&conn, "6200123412341234", 10),
        [(
            "6200123412341234".to_string(),
            MatchedBy::Card {
                number: "6200123412341234".into(),
                blocked: true
            }
        )]
    );
}

#[test]
fn finds_by_id_phone_and_email() {
    let conn = db();
    add(
        &conn,
        "2201",
        "Carol",
        Some("13800138000"),
        Some("Carol@Example.COM"),
    );
    assert_eq!(found(&conn, "2201", 10), [("2201".into(), MatchedBy::Id)]);
    for query in ["13800138000", "138 0013-8000"] {
        assert_eq!(found(&conn, query, 10), [("2201".into(), MatchedBy::Phone)]);
    }
    for query in ["carol@example.com", "CAROL@EXAMPLE.COM"] {
        assert_eq!(found(&conn, query, 10), [("2201".into(), MatchedBy::Email)]);
    }
    assert!(found(&conn, "carol@example.org", 10).is_empty());
}

#[test]
fn four_to_six_digits_find_phones_by_their_last_digits() {
    let conn = db();
    add(&conn, "A", "Ann", Some("13800138000"), None);
    add(&conn, "B", "Ben", Some("13912348000"), None);
    add(&conn, "C", "Cid", Some("13912341234"), None);
    assert_eq!(
        found(&conn, "8000", 10),
        [
            ("A".into(), MatchedBy::Phone),
            ("B".into(), MatchedBy::Phone)
        ]
    );
    assert_eq!(ids(&conn, "48000"), ["B"]);
    assert_eq!(ids(&conn, "138000"), ["A"]);
    assert_eq!(ids(&conn, "1234"), ["C"]);
    // Seven digits and more are whole phones only.
    assert!(ids(&conn, "2348000").is_empty());
    // Three digits are too few to mean anything.
    assert!(ids(&conn, "000").is_empty());
}

#[test]
fn english_names_match_by_prefix_of_the_name_or_of_any_word() {
    let conn = db();
    add(&conn, "1", "John Smith", None, None);
    add(&conn, "2", "Mary-Jane O'Brien", None, None);
    add(&conn, "3", "Johnny Walker", None, None);
    assert_eq!(ids(&conn, "smi"), ["1"]);
    assert_eq!(ids(&conn, "SMITH"), ["1"]);
    assert_eq!(ids(&conn, "john s"), ["1"]);
    assert_eq!(ids(&conn, "john"), ["1", "3"]);
    assert_eq!(ids(&conn, "jane"), ["2"]);
    assert_eq!(ids(&conn, "obrien"), ["2"]);
    assert_eq!(ids(&conn, "o'brien"), ["2"]);
    assert_eq!(ids(&conn, "mary jane"), ["2"]);
    // Prefixes only: the middle of an English word does not match.
    assert!(ids(&conn, "mith").is_empty());
    assert!(
        found(&conn, "walk", 10)
            .iter()
            .all(|(_, by)| *by == MatchedBy::Name)
    );
}

#[test]
fn cjk_names_match_by_any_part() {
    let conn = db();
    add(&conn, "1", "张伟", None, None);
    add(&conn, "2", "王小明", None, None);
    add(&conn, "3", "欧阳娜娜", None, None);
    add(&conn, "4", "约翰·史密斯", None, None);
    assert_eq!(ids(&conn, "张"), ["1"]);
    assert_eq!(ids(&conn, "伟"), ["1"]);
    assert_eq!(ids(&conn, "小明"), ["2"]);
    assert_eq!(ids(&conn, "明"), ["2"]);
    assert_eq!(ids(&conn, "阳娜"), ["3"]);
    assert_eq!(ids(&conn, "娜娜"), ["3"]);
    assert_eq!(ids(&conn, "史密斯"), ["4"]);
    assert_eq!(ids(&conn, "约翰史密斯"), ["4"]);
    assert!(ids(&conn, "张小").is_empty());
}

#[test]
fn stronger_matches_come_first() {
    let conn = db();
    add(&conn, "4", "李王", None, None);
    add(&conn, "3", "王伟", None, None);
    add(&conn, "2", "王", None, None);
    add(&conn, "5", "Li Wang", None, None);
    add(&conn, "6", "Wang", None, None);
    add(&conn, "7", "Wangari Maathai", None, None);
    // Exact name, then prefix of the name, then a later part of it.
    assert_eq!(ids(&conn, "王"), ["2", "3", "4"]);
    // Latin names from their start, then the pinyin of 王 and 王伟, then a later word.
    assert_eq!(ids(&conn, "wang"), ["6", "7", "2", "3", "5"]);

    // A card, an id and a phone before the phone suffixes of others.
    let mut card_holder = member("X", "Xavier", None, None);
    card_holder.cards[0].number = "5678".into();
    upsert(&conn, &card_holder, None).unwrap();
    add(&conn, "5678", "Yvonne", None, None);
    add(&conn, "Z", "Zoe", Some("13900005678"), None);
    add(&conn, "W", "Walt", Some("5678"), None);
    // "5678" is too short for a whole phone: Walt's and Zoe's phones match by their last
    // digits, the shorter phone first.
    assert_eq!(
        found(&conn, "5678", 10),
        [
            (
                "X".to_string(),
                MatchedBy::Card {
                    number: "5678".into(),
                    blocked: false
                }
            ),
            ("5678".to_string(), MatchedBy::Id),
            ("W".to_string(), MatchedBy::Phone),
            ("Z".to_string(), MatchedBy::Phone),
        ]
    );
    // A whole phone that is also someone's card number: the card first.
    let mut phone_card = member("P", "Pat", None, None);
    phone_card.cards[0].number = "13900005678".into();
    upsert(&conn, &phone_card, None).unwrap();
    assert_eq!(ids(&conn, "13900005678"), ["P", "Z"]);
}

#[test]
fn the_limit_is_respected() {
    let conn = db();
    for i in 0..30 {
        add(&conn, &format!("M{i:02}"), &format!("王{i}"), None, None);
    }
    assert_eq!(find(&conn, "王", 7).unwrap().len(), 7);
    assert_eq!(ids(&conn, "王").len(), 30);
    assert!(find(&conn, "王", 0).unwrap().is_empty());
    assert!(find(&conn, "   ", 10).unwrap().is_empty());
}

#[test]
fn upsert_keeps_the_search_terms_right_after_a_change() {
    let conn = db();
    add(
        &conn,
        "M1",
        "张伟",
        Some("13800138000"),
        Some("zw@example.com"),
    );
    add(
        &conn,
        "M1",
        "李娜 Lina",
        Some("13911112222"),
        Some("ln@example.com"),
    );
    for stale in [
        "张",
        "伟",
        "8000",
        "13800138000",
        "zw@example.com",
        "zw",
        "zhangwei",
    ] {
        assert!(
            ids(&conn, stale).is_empty(),
            "{stale} still finds the member"
        );
    }
    for fresh in [
        "李",
        "娜",
        "lin",
        "2222",
        "13911112222",
        "ln@example.com",
        "ln",
        "linuo",
    ] {
        assert_eq!(ids(&conn, fresh), ["M1"], "{fresh}");
    }
    let terms: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM member_search WHERE member_id = 'M1'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    // 李娜 lina, 娜 lina, lina; the phone; the e-mail; the pinyin lina and linuo (娜 is nà
    // or nuó) and the initials ln.
    assert_eq!(terms, 8);
}

#[test]
fn rebuilding_the_index_covers_members_written_directly() {
    let conn = db();
    conn.execute(
        "INSERT INTO members (id, name, phone, email) VALUES ('D1', 'Dora Explorer', '13700001111', NULL)",
        [],
    )
    .unwrap();
    assert!(ids(&conn, "dora").is_empty());
    assert_eq!(rebuild_search_index(&conn).unwrap(), 1);
    assert_eq!(ids(&conn, "expl"), ["D1"]);
    assert_eq!(ids(&conn, "1111"), ["D1"]);
}

#[test]
fn the_migration_indexes_members_stored_before_it() {
    let mut conn = db();
    // A catalogue as it was before the search index existed.
    conn.execute_batch(
        "DROP TABLE member_search;
         INSERT INTO members (id, name, phone, email)
             VALUES ('E1', '欧阳娜娜', '13600002222', 'NN@example.com');
         PRAGMA user_version = 2;",
    )
    .unwrap();
    migrate_catalogue(&mut conn).unwrap();
    assert_eq!(ids(&conn, "娜娜"), ["E1"]);
    assert_eq!(ids(&conn, "2222"), ["E1"]);
    assert_eq!(ids(&conn, "nn@example.com"), ["E1"]);
}

#[test]
fn names_are_normalised_for_search() {
    assert_eq!(name_key("  O'Brien-SMITH  Jr. "), "obrien smith jr");
    assert_eq!(name_key("约翰·史密斯"), "约翰史密斯");
    assert_eq!(name_key("ÉLODIE  Dupont"), "élodie dupont");
    let key = name_key("王小明 Wang");
    let terms: Vec<_> = name_terms(&key).collect();
    assert_eq!(
        terms,
        [
            (NAME_START, "王小明 wang"),
            (NAME_INNER, "小明 wang"),
            (NAME_INNER, "明 wang"),
            (NAME_WORD, "wang"),
        ]
    );
}

/// The names of the members a lookup finds, in order.
fn names(conn: &Connection, query: &str) -> Vec<String> {
    find(conn, query, 50)
        .unwrap()
        .into_iter()
        .map(|m| m.member.name)
        .collect()
}

#[test]
fn chinese_names_are_found_by_pinyin_and_its_initials() {
    let conn = db();
    add(&conn, "1", "张伟", None, None);
    add(&conn, "2", "李娜", None, None);
    add(&conn, "3", "欧阳娜娜", None, None);
    add(&conn, "4", "Emily Chen", None, None);
    add(&conn, "5", "张小伟", None, None);
    for query in ["zw", "zhangwei", "ZhangWei", "Zhang Wei", "zhangw", "ZW"] {
        assert_eq!(
            found(&conn, query, 10),
            [("1".to_string(), MatchedBy::Pinyin)],
            "{query}"
        );
    }
    // Prefixes of the whole pinyin and of the initials, in term order.
    assert_eq!(names(&conn, "zhang"), ["张伟", "张小伟"]);
    assert_eq!(names(&conn, "z"), ["张伟", "张小伟"]);
    assert_eq!(names(&conn, "zx"), ["张小伟"]);
    assert_eq!(names(&conn, "zhangxiaow"), ["张小伟"]);
    assert_eq!(names(&conn, "ouyang"), ["欧阳娜娜"]);
    assert_eq!(names(&conn, "oynn"), ["欧阳娜娜"]);
    assert_eq!(names(&conn, "lina"), ["李娜"]);
    // Latin names are found as before, and not through pinyin.
    assert_eq!(
        found(&conn, "emily", 10),
        [("4".to_string(), MatchedBy::Name)]
    );
    assert_eq!(
        found(&conn, "chen", 10),
        [("4".to_string(), MatchedBy::Name)]
    );
    // Chinese queries work as before.
    assert_eq!(
        found(&conn, "张伟", 10),
        [("1".to_string(), MatchedBy::Name)]
    );
    assert_eq!(ids(&conn, "伟"), ["1", "5"]);
    // Only from the start: neither the middle of the pinyin nor of the initials.
    assert!(ids(&conn, "wei").is_empty());
    assert!(ids(&conn, "hangwei").is_empty());
    assert!(ids(&conn, "w").is_empty());
    // Letters only: a query with digits is not pinyin.
    assert!(ids(&conn, "zw1").is_empty());
}

#[test]
fn polyphonic_characters_are_found_by_every_reading() {
    let conn = db();
    // 曾 is céng or zēng (the family name); 单 dān, chán or shàn (the family name).
    add(&conn, "1", "曾伟", None, None);
    add(&conn, "2", "单明", None, None);
    add(&conn, "3", "吕芳", None, None);
    for query in ["zengwei", "cengwei", "zw", "cw"] {
        assert_eq!(ids(&conn, query), ["1"], "{query}");
    }
    for query in ["shanming", "danming", "sm", "dm"] {
        assert_eq!(ids(&conn, query), ["2"], "{query}");
    }
    // ü as input methods type it (v) and as it is often written without the dots (u).
    for query in ["lvfang", "lufang", "lf"] {
        assert_eq!(ids(&conn, query), ["3"], "{query}");
    }
}

#[test]
fn pinyin_spellings_are_bounded_and_most_common_first() {
    let (full, initials) = pinyin_spellings(&name_key("张伟"));
    assert_eq!(
        (full, initials),
        (vec!["zhangwei".to_string()], vec!["zw".to_string()])
    );
    let (full, _) = pinyin_spellings(&name_key("曾伟"));
    assert_eq!(full, ["cengwei", "zengwei"]);
    // Latin and other characters are left out; a name without Han characters has none.
    let (full, initials) = pinyin_spellings(&name_key("李娜 Lina"));
    assert_eq!(full, ["lina", "linuo"]);
    assert_eq!(initials, ["ln"]);
    assert_eq!(pinyin_spellings("emily chen"), (Vec::new(), Vec::new()));
    // A long name of many-reading characters keeps a bounded number of terms.
    let (full, initials) = pinyin_spellings(&name_key(&"单和长行".repeat(16)));
    assert!(full.len() <= MAX_PINYIN_SPELLINGS, "{}", full.len());
    assert!(initials.len() <= MAX_PINYIN_SPELLINGS);
    assert!(full[0].starts_with("danhe"), "{}", full[0]);
}

#[test]
fn pinyin_prefixes_are_searched_through_the_index() {
    let conn = db();
    let plan: Vec<String> = conn
        .prepare(&format!("EXPLAIN QUERY PLAN {PREFIX_QUERY}"))
        .unwrap()
        .query_map(params![PINYIN, "zw", "zw\u{10FFFF}"], |r| r.get(3))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert!(
        plan.iter()
            .any(|step| step.contains("SEARCH member_search USING PRIMARY KEY")),
        "{plan:?}"
    );
    assert!(
        !plan.iter().any(|step| step.contains("TEMP B-TREE")),
        "{plan:?}"
    );
}

#[test]
fn the_pinyin_migration_indexes_members_stored_before_it() {
    let mut conn = db();
    // A catalogue as it was before search by pinyin: the other terms only.
    conn.execute_batch(
        "INSERT INTO members (id, name) VALUES ('P1', '张伟'), ('P2', 'Emily Chen');
         PRAGMA user_version = 3;",
    )
    .unwrap();
    conn.execute(
        "INSERT INTO member_search (kind, term, member_id) VALUES (?1, '张伟', 'P1')",
        [NAME_START],
    )
    .unwrap();
    assert!(ids(&conn, "zw").is_empty());
    migrate_catalogue(&mut conn).unwrap();
    assert_eq!(ids(&conn, "zw"), ["P1"]);
    assert_eq!(ids(&conn, "zhangwei"), ["P1"]);
    assert_eq!(ids(&conn, "张伟"), ["P1"]);
    let version: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .unwrap();
    assert_eq!(version, crate::store::CATALOGUE_VERSION);
}
