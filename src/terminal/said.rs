//! What the till says when it refuses, in either of its languages.
//!
//! [`Said`] is one sentence: an English template with `{}` holes (the message id, the way
//! gettext keys its catalogues) and the values that fill them, already formatted (money as
//! the store's money). `Display` writes the English; [`Said::in_chinese`] fills the Chinese
//! template that [`CHINESE`] keeps for the same id. The [`said!`](crate::said) macro builds
//! one. A sentence made from another error's text has no template and is said as it came.
//! A test reads the terminal's sources and holds that every template has its Chinese.

use std::fmt;

/// One sentence the till says: its English template and the values in its holes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Said {
    template: Option<&'static str>,
    args: Vec<String>,
    text: String,
}

/// Builds a [`Said`] from an English template with `{}` holes and the values for them.
#[macro_export]
macro_rules! said {
    ($template:literal $(, $arg:expr)* $(,)?) => {
        $crate::terminal::said::Said::new($template, vec![$($arg.to_string()),*])
    };
}

impl Said {
    /// `template` with its `{}` holes filled by `args`, in order.
    pub fn new(template: &'static str, args: Vec<String>) -> Said {
        debug_assert_eq!(
            holes(template),
            args.len(),
            "{template}: one value for each hole"
        );
        Said {
            template: Some(template),
            text: fill(template, &args),
            args,
        }
    }

    /// The English template this sentence was made from; none for a sentence made from
    /// another error's text.
    pub fn template(&self) -> Option<&'static str> {
        self.template
    }

    /// The sentence in Simplified Chinese, or as it came when its template has none.
    pub fn in_chinese(&self) -> String {
        match self.template.and_then(chinese_template) {
            Some(zh) => fill(zh, &self.args),
            None => self.text.clone(),
        }
    }
}

impl fmt::Display for Said {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl From<String> for Said {
    /// Another error's text, said as it came.
    fn from(text: String) -> Said {
        Said {
            template: None,
            args: Vec::new(),
            text,
        }
    }
}

fn holes(template: &str) -> usize {
    template.matches("{}").count()
}

fn fill(template: &str, args: &[String]) -> String {
    let mut out = String::with_capacity(template.len() + 16);
    let mut parts = template.split("{}");
    if let Some(first) = parts.next() {
        out.push_str(first);
    }
    for (i, part) in parts.enumerate() {
        out.push_str(args.get(i).map_or("", String::as_str));
        out.push_str(part);
    }
    out
}

/// The Chinese for an English template, if the catalogue has it.
pub fn chinese_template(template: &str) -> Option<&'static str> {
    CHINESE
        .iter()
        .find(|(en, _)| *en == template)
        .map(|(_, zh)| *zh)
}

/// Every refusal's sentence in Simplified Chinese, keyed by its English template. The
/// holes stand in the same order in both.
pub const CHINESE: &[(&str, &str)] = &[
    // Tenders.
    ("a tender must be positive", "付款金额必须大于零"),
    (
        "{} tender {} exceeds the {} due; only cash gives change",
        "{}付款 {} 超过应付的 {}；只有现金可以找零",
    ),
    (
        "a card payment needs its reference",
        "刷卡付款需要输入交易参考号",
    ),
    (
        "a tender names exactly one of cash, card, voucher, points",
        "每次付款只能选一种：现金、银行卡、礼券或积分",
    ),
    // Points.
    (
        "points worth {} exceed the {} due",
        "积分抵扣 {} 超过应付的 {}",
    ),
    (
        "points worth {} exceed the {} that points may pay on this sale",
        "积分抵扣 {} 超过本单积分最多可付的 {}",
    ),
    (
        "line {}: refund amount {} is negative",
        "第 {} 行：退款金额 {} 为负数",
    ),
    (
        "line {}: {} refunded in all, but the line sold for {}",
        "第 {} 行：累计退款 {}，但该行售价只有 {}",
    ),
    (
        "identify the member before paying with points",
        "用积分付款前请先识别会员",
    ),
    (
        "redeem a positive number of points (got {})",
        "抵扣的积分必须大于零（输入了 {}）",
    ),
    (
        "at least {} points per redemption (asked for {})",
        "每次至少抵扣 {} 积分（输入了 {}）",
    ),
    (
        "at most {} points per sale (asked for {})",
        "每单最多抵扣 {} 积分（输入了 {}）",
    ),
    (
        "only {} points available (asked for {})",
        "可用积分只有 {}（输入了 {}）",
    ),
    (
        "nothing is due, so no points can be redeemed",
        "没有应付金额，不能抵扣积分",
    ),
    ("'{}' is not a number of points", "“{}”不是积分数"),
    // Shift and sign-in.
    ("the float cannot be negative", "备用金不能为负数"),
    ("a shift is already open", "已有班次在进行中"),
    ("a reason is required", "请填写原因"),
    ("the amount must be positive", "金额必须大于零"),
    (
        "a tender was already taken: finish or void the sale",
        "已收过款：请完成或作废本单",
    ),
    (
        "finish or suspend the current sale first",
        "请先完成或挂起当前交易",
    ),
    ("'{}' is not a suspended basket id", "“{}”不是挂单号"),
    ("no suspended basket {}", "没有挂单 {}"),
    (
        "finish, suspend or void the sale before signing out",
        "签退前请完成、挂起或作废本单",
    ),
    // Items and discounts.
    ("'{}' is not a PLU code", "“{}”不是商品编码（PLU）"),
    ("'{}' is not a percentage", "“{}”不是百分比"),
    (
        "give either percent or amount",
        "请输入折扣百分比或折扣金额，二选一",
    ),
    // Members, enrolment and complaints.
    ("a name of 1–64 characters is needed", "姓名需 1 至 64 个字"),
    (
        "phone {} already belongs to member {} ({}); look them up instead",
        "手机号 {} 已属于会员 {}（{}）；请直接查找该会员",
    ),
    (
        "card {} is not one of {}'s cards",
        "卡号 {} 不是 {} 的会员卡",
    ),
    ("say what the complaint is about", "请写明投诉内容"),
    ("say what the note is", "请写明备注内容"),
    ("a note is at most {} characters", "备注最多 {} 个字"),
    ("'{}' is not a complaint id", "“{}”不是投诉编号"),
    (
        "satisfaction is 1 (very unhappy) to 5",
        "满意度为 1（非常不满意）至 5",
    ),
    (
        "could not draw an unused card number; try again",
        "未能生成未用的卡号，请重试",
    ),
    ("no member is on this sale", "本单没有会员"),
    // Returns.
    ("'{}' is not a receipt code", "“{}”不是小票号"),
    (
        "receipt {} is from store {} terminal {}; return it there",
        "小票 {} 来自门店 {} 的收银机 {}；请到那里退货",
    ),
    (
        "no sale with receipt {} on this terminal",
        "本机没有小票号为 {} 的交易",
    ),
    ("receipt {} is itself a return", "小票 {} 本身是一笔退货"),
    ("name at least one line to return", "请至少选择一行退货"),
    ("receipt {} has no line {}", "小票 {} 没有第 {} 行"),
    (
        "line {}: {} is sold by the unit: return whole units, not {}",
        "第 {} 行：{} 按件销售，须整件退货，不能退 {}",
    ),
    (
        "line {}: {} may be returned, not {}",
        "第 {} 行：最多可退 {}，不能退 {}",
    ),
    // Member cards.
    (
        "give a card, phone, id or name",
        "请输入卡号、手机号、会员号或姓名",
    ),
    (
        "the swipe could not be read ({}); swipe again",
        "刷卡未能读取（{}）；请重刷",
    ),
    (
        "'{}' is not a card UID (8–20 hex digits); tap again",
        "“{}”不是卡片编号（8 至 20 位十六进制）；请重新贴卡",
    ),
    (
        "card {} was reported lost or replaced; ask for the member's new card or look them up by phone",
        "卡号 {} 已挂失或已换卡；请用会员的新卡，或用手机号查找",
    ),
    (
        "points were already tendered: void the sale to change the member",
        "已用积分付款：要更换会员请先作废本单",
    ),
    (
        "this shopping list belongs to another member, not {}",
        "这张购物清单属于其他会员，不是 {}",
    ),
    // Coupons.
    (
        "this till has no HQ coupon key (loyalty.coupon_key): coupons cannot be checked",
        "本机没有总部的优惠券公钥（loyalty.coupon_key）：无法核验优惠券",
    ),
    (
        "coupon {} is not known at this till yet; scan its QR code instead",
        "本机还不认识优惠券 {}；请改扫其二维码",
    ),
    (
        "shopping list {} is not known at this till yet; scan its QR code instead",
        "本机还不认识购物清单 {}；请改扫其二维码",
    ),
    ("coupon {} is stored damaged", "本机存的优惠券 {} 已损坏"),
    ("coupon {} is already on this sale", "优惠券 {} 已在本单中"),
    ("list {} is stored damaged", "本机存的购物清单 {} 已损坏"),
    ("HQ's answer refused: {}", "总部的应答未通过核验：{}"),
    // Shift and suspended sales.
    (
        "finish or void the open sale first",
        "请先完成或作废当前交易",
    ),
    (
        "the counted cash cannot be negative",
        "清点的现金不能为负数",
    ),
    ("cannot park the basket: {}", "无法挂单：{}"),
    (
        "suspended basket {} is unreadable: {}",
        "挂单 {} 无法读取：{}",
    ),
    // Devices.
    (
        "cash drawer: {}; open it with the key",
        "钱箱：{}；请用钥匙打开",
    ),
    (
        "receipt printer: {}; sale {} is complete, reprint its receipt when the printer is ready",
        "小票打印机：{}；第 {} 单已完成，打印机就绪后请重打小票",
    ),
    (
        "receipt printer: {}; print {} again",
        "小票打印机：{}；请重新打印{}",
    ),
    (
        "customer display: {}; the sale goes on without it",
        "顾客显示屏：{}；交易照常进行",
    ),
    ("receipt printer: {}", "小票打印机：{}"),
    // Faults and scripts.
    (
        "no randomness for a card number: {}",
        "无法生成随机卡号：{}",
    ),
    ("member sheet: {}", "会员资料：{}"),
    ("set_clock: '{}': {}", "set_clock：“{}”：{}"),
    (
        "report '{}' is not known; \"x\" shows the open shift, close_shift gives the Z report",
        "没有报表“{}”；\"x\" 显示当前班次，close_shift 给出 Z 报表",
    ),
    // Shopping lists and coupons.
    (
        "HQ sent no list for member {} this period, and this till has no HQ link (hq.token) to ask for one: nothing printed",
        "总部本期没有给会员 {} 发购物清单，本机也没有连接总部（hq.token）去申请：未打印",
    ),
    (
        "HQ cannot be reached ({}), so no list can be made for member {} now: nothing printed; ask again when HQ is back",
        "连不上总部（{}），现在无法为会员 {} 生成购物清单：未打印；总部恢复后再试",
    ),
    (
        "HQ made no list for member {} ({}): {}",
        "总部没有为会员 {} 生成购物清单（{}）：{}",
    ),
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sentence_fills_its_holes_in_either_language() {
        let said = crate::said!("points worth {} exceed the {} due", "10.00", "5.50");
        assert_eq!(said.to_string(), "points worth 10.00 exceed the 5.50 due");
        assert_eq!(said.in_chinese(), "积分抵扣 10.00 超过应付的 5.50");
        let raw = Said::from(String::from("disk full"));
        assert_eq!(raw.in_chinese(), "disk full");
        assert_eq!(raw.template(), None);
    }

    #[test]
    fn every_chinese_template_has_the_english_ones_holes() {
        for (en, zh) in CHINESE {
            assert_eq!(holes(en), holes(zh), "{en} / {zh}");
            assert!(!zh.is_ascii(), "{en}: not translated");
        }
        let mut ids: Vec<_> = CHINESE.iter().map(|(en, _)| en).collect();
        ids.sort();
        ids.dedup();
        assert_eq!(ids.len(), CHINESE.len(), "a template is listed twice");
    }

    /// Reads the terminal's and the touch UI's sources: every sentence made with `said!` or from a literal has
    /// its Chinese, so a new refusal cannot reach the Chinese screen in English.
    #[test]
    fn every_sentence_the_terminal_says_has_its_chinese() {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        let mut missing = Vec::new();
        let mut seen = 0;
        let files = ["terminal", "ui"]
            .iter()
            .flat_map(|d| std::fs::read_dir(src.join(d)).unwrap());
        for entry in files {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "rs") || path.ends_with("said.rs") {
                continue;
            }
            let source = std::fs::read_to_string(&path).unwrap();
            for template in templates_in(&source) {
                seen += 1;
                if chinese_template(&template).is_none() {
                    missing.push(format!("{}: {template}", path.display()));
                }
            }
        }
        assert!(seen > 20, "the sentences were not found ({seen})");
        assert!(
            missing.is_empty(),
            "no Chinese for:\n{}",
            missing.join("\n")
        );
    }

    /// The string literals after `said!(` in `source`, as Rust reads them: escaped
    /// quotes unescaped, `\` line breaks joined.
    fn templates_in(source: &str) -> Vec<String> {
        let mut found = Vec::new();
        for (at, _) in source.match_indices("said!(") {
            let rest = source[at + 6..].trim_start();
            let Some(body) = rest.strip_prefix('"') else {
                continue;
            };
            let mut literal = String::new();
            let mut chars = body.chars().peekable();
            while let Some(c) = chars.next() {
                match c {
                    '"' => break,
                    '\\' => match chars.next() {
                        Some('\n') => while chars.next_if(|c| c.is_whitespace()).is_some() {},
                        Some('n') => literal.push('\n'),
                        Some(other) => literal.push(other),
                        None => break,
                    },
                    c => literal.push(c),
                }
            }
            found.push(literal);
        }
        found
    }
}
