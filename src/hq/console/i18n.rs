//! The console's two languages: every label is a [`T`] with its English and Simplified
//! Chinese text side by side, so a label without a translation does not compile. The
//! language comes from `?lang=`, then the `lang` cookie, then `Accept-Language`.

use axum::http::HeaderMap;

/// A language of the console.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    En,
    Zh,
}

impl Lang {
    pub const fn code(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh_CN",
        }
    }

    /// The `lang` attribute of the page.
    pub const fn html(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }

    pub fn parse(text: &str) -> Option<Lang> {
        let t = text.trim().to_ascii_lowercase().replace('-', "_");
        if t == "en" || t.starts_with("en_") {
            Some(Lang::En)
        } else if t == "zh" || t.starts_with("zh_") {
            Some(Lang::Zh)
        } else {
            None
        }
    }

    /// The language a request asks for: `?lang=`, the `lang` cookie, `Accept-Language`'s
    /// first known language, else English.
    pub fn of(query_lang: Option<&str>, headers: &HeaderMap) -> Lang {
        query_lang
            .and_then(Lang::parse)
            .or_else(|| crate::hq::api::session::cookie(headers, "lang").and_then(Lang::parse))
            .or_else(|| {
                headers
                    .get(axum::http::header::ACCEPT_LANGUAGE)
                    .and_then(|v| v.to_str().ok())
                    .and_then(|v| {
                        v.split(',')
                            .filter_map(|p| Lang::parse(p.split(';').next().unwrap_or("")))
                            .next()
                    })
            })
            .unwrap_or(Lang::En)
    }

    pub fn t(self, t: T) -> &'static str {
        t.text(self)
    }
}

macro_rules! texts {
    ($($key:ident => $en:literal, $zh:literal;)*) => {
        /// A label of the console.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        #[allow(non_camel_case_types)]
        pub enum T { $($key),* }

        impl T {
            pub const ALL: &'static [T] = &[$(T::$key),*];

            pub const fn text(self, lang: Lang) -> &'static str {
                match self {
                    $(T::$key => match lang { Lang::En => $en, Lang::Zh => $zh }),*
                }
            }
        }
    };
}

texts! {
    Console => "StorePOS HQ console", "StorePOS 总部控制台";
    Login => "Log in", "登录";
    Logout => "Log out", "退出登录";
    LoginName => "Login", "账号";
    Password => "Password", "密码";
    LoginRefused => "Wrong login or password.", "账号或密码错误。";
    LoginTooMany => "Too many failed logins: wait 15 minutes and try again.", "登录失败次数过多，请 15 分钟后再试。";
    Dashboard => "Dashboard", "概览";
    Members => "Members", "会员";
    Complaints => "Complaints", "投诉";
    Reports => "Reports", "报表";
    Tills => "Tills", "收银机";
    Audit => "Audit log", "审计日志";
    Language => "中文", "English";
    Today => "Today", "今天";
    ThisWeek => "This week", "本周";
    LastYear => "Last year", "去年同期";
    Store => "Store", "门店";
    Net => "Net sales", "净销售额";
    Bills => "Bills", "单数";
    Growth => "Year on year", "同比";
    Search => "Search", "搜索";
    SearchHint => "Card, phone, name or pinyin (e.g. zhangwei, zw)", "卡号、手机号、姓名或拼音（如 zhangwei、zw）";
    NoneFound => "Nothing found.", "没有找到。";
    Number => "Number", "编号";
    Name => "Name", "姓名";
    Phone => "Phone", "手机号";
    HomeStore => "Home store", "所属门店";
    Tier => "Tier", "等级";
    Balance => "Points balance", "积分余额";
    Matched => "Found by", "匹配方式";
    Member => "Member", "会员";
    Cards => "Cards", "会员卡";
    Ledger => "Points ledger", "积分流水";
    Kind => "Kind", "类型";
    Points => "Points", "积分";
    When => "When", "时间";
    Source => "Source", "来源";
    Adjust => "Adjust points", "调整积分";
    Reason => "Reason", "原因";
    Save => "Save", "保存";
    Adjusted => "Points adjusted.", "积分已调整。";
    Visits => "Visits", "到店次数";
    History => "Recent bills", "最近购物";
    Total => "Total", "合计";
    OpenComplaints => "Open complaints", "未结投诉";
    Queue => "Queue by deadline (overdue first)", "按时限排列（超时优先）";
    Case => "Case", "投诉单";
    State => "State", "状态";
    Severity => "Severity", "严重程度";
    Category => "Category", "类别";
    Channel => "Channel", "渠道";
    Opened => "Opened", "受理时间";
    Due => "Resolve by", "解决时限";
    Overdue => "Overdue", "已超时";
    Handler => "Handler", "处理人";
    Content => "Complaint", "投诉内容";
    Steps => "Steps", "处理记录";
    Note => "Note", "备注";
    Outcome => "Outcome", "处理结果";
    Satisfaction => "Satisfaction (1–5)", "满意度（1–5）";
    Assign => "Assign", "分派";
    Handle => "Start handling", "开始处理";
    Resolve => "Resolve", "解决";
    Close => "Close", "关闭";
    Reopen => "Reopen", "重新打开";
    AddNote => "Add note", "添加备注";
    AllStates => "All states", "全部状态";
    StateOpen => "Open", "待处理";
    StateInProgress => "In progress", "处理中";
    StateResolved => "Resolved", "已解决";
    StateClosed => "Closed", "已关闭";
    SevLow => "Low", "低";
    SevNormal => "Normal", "一般";
    SevHigh => "High", "高";
    SevCritical => "Critical", "紧急";
    Period => "Period", "周期";
    Date => "Date", "日期";
    By => "Rows by", "分组";
    AllStores => "Whole chain", "全部门店";
    Show => "Show", "查看";
    DownloadCsv => "Download CSV", "下载 CSV";
    Day => "Day", "日";
    Week => "Week", "周";
    Month => "Month", "月";
    Quarter => "Quarter", "季度";
    Year => "Year", "年";
    ByChain => "Chain", "全连锁";
    ByStore => "Store", "门店";
    ByDepartment => "Department", "部门";
    ByCategory => "Category", "品类";
    ByProduct => "Product", "商品";
    ByHour => "Hour", "小时";
    Row => "Row", "行";
    Current => "This period", "本期";
    Previous => "Previous period", "上期";
    Terminal => "Terminal", "收银机编号";
    Registered => "Registered", "注册时间";
    Acked => "Events received", "已收事件";
    LastUpload => "Last upload", "最近上传";
    Never => "never", "从未";
    Staff => "Staff", "员工";
    Action => "Action", "操作";
    Target => "Target", "对象";
    Before => "Before", "修改前";
    After => "After", "修改后";
    Filter => "Filter", "筛选";
    Forbidden => "You may not see this page.", "您无权查看此页面。";
    NotFound => "Not found.", "未找到。";
    Refused => "Refused", "已拒绝";
    Back => "Back", "返回";
    RoleAdmin => "Administrator", "管理员";
    RoleMarketing => "Marketing", "市场";
    RoleCustomerService => "Customer service", "客服";
    RoleFinance => "Finance", "财务";
    RoleStoreManager => "Store manager", "店长";
    NoData => "No sales in this period.", "本期没有销售。";
    RowsShown => "The {shown} largest of {total} rows; the CSV has them all.", "显示销售额最高的 {shown} 行（共 {total} 行）；CSV 包含全部。";
    Chart => "Net sales, this period against last year", "净销售额：本期与去年同期";
    Trend => "Net sales part by part, against the same parts last year", "净销售额走势：本期与去年同期";
    CardBlocked => "blocked", "已冻结";
    KindEarn => "earned", "获得";
    KindRedeem => "redeemed", "兑换";
    KindReverse => "reversed", "冲回";
    KindExpire => "expired", "过期";
    KindAdjust => "adjusted", "人工调整";
    KindClawback => "clawed back", "追回";
    ChannelCounter => "counter", "柜台";
    ChannelPhone => "phone", "电话";
    ChannelWeb => "web", "网站";
    ChannelSocial => "social media", "社交媒体";
    ChannelEmail => "e-mail", "电子邮件";
    ChannelApp => "app", "应用";
    OverdueResponse => "response overdue", "响应超时";
    OverdueResolution => "resolution overdue", "解决超时";
    Assignee => "Assign to (login)", "分派给（账号）";
    Receipt => "Receipt", "小票";
    Sale => "sale", "销售";
    Return => "return", "退货";
    Campaigns => "Campaigns", "营销活动";
    Issued => "Issued", "已发放";
    Redeemed => "Redeemed", "已核销";
    RedemptionRate => "Redemption rate", "核销率";
    RedeemedRate => "Redeemed (rate)", "已核销（核销率）";
    Cost => "Cost", "成本";
    Redeemers => "Redeeming members", "核销会员数";
    TargetedSales => "Targeted sales", "目标商品销售额";
    Segment => "Segment", "细分群体";
    Campaign => "Campaign", "活动";
    SingleCoupons => "Coupons issued one by one", "单独发放的优惠券";
    CouponIssues => "Coupon issues", "优惠券发放";
    ListPeriods => "Shopping-list periods", "购物清单周期";
    ListPeriodOf => "List period containing", "所在清单周期";
    AllPeriods => "All periods", "全部周期";
    Lists => "Lists", "清单数";
    ListVsHoldout => "Members (lists / control)", "会员数（清单组 / 对照组）";
    SalesPerMember => "Sales per member (lists / control)", "人均销售额（清单组 / 对照组）";
    LiftPerMember => "Lift per member (95% interval)", "人均提升（95% 置信区间）";
    RelativeLift => "Relative lift", "相对提升";
    NotMeasured => "too few members to measure", "人数太少，无法测算";
    PeriodOver => "over", "已结束";
    PeriodRunning => "running", "进行中";
    Deals => "Deals", "促销优惠";
    Deal => "Deal", "优惠";
    FundedBy => "Funded by", "出资方";
    FundedByChain => "the chain", "本连锁";
    ManufacturerReport => "Manufacturer report (anonymised)", "厂商报告（匿名）";
    ManufacturerNote => "Counts and amounts per funding party and segment only: no member names or numbers.", "仅按出资方和细分群体统计数量和金额，不含会员姓名或编号。";
    ListsReached => "Lists reached", "覆盖清单数";
    Reserved => "Budget reserved", "预留预算";
    NoneYet => "None yet.", "暂无。";
    SegNational => "National-brand loyal", "忠于全国品牌";
    SegStoreBrand => "Store-brand loyal", "忠于自有品牌";
    SegSwitcher => "Switcher", "品牌转换者";
    UsageLow => "light user", "低用量";
    UsageMid => "medium user", "中用量";
    UsageHigh => "heavy user", "高用量";
    Reconciliation => "Reconciliation", "对账";
    CouponConflicts => "Coupons redeemed twice", "重复核销的优惠券";
    CouponConflictsNote => "Offline tills redeemed these coupons again after the first redemption HQ kept; the cost is the second discount.", "离线收银机在总部保留首次核销后再次核销了这些优惠券；成本为第二次的折扣金额。";
    Count => "Count", "数量";
    PointOverdrafts => "Point overdrafts", "积分透支";
    PointOverdraftsNote => "Points redemptions that took more than the member's balance held (offline at another store).", "积分兑换超出会员余额（在其他门店离线时发生）。";
    Shortfall => "Shortfall", "透支额";
    ShortfallPoints => "Points overdrawn", "透支积分";
    TillProblems => "Refused data from tills", "被拒收的收银机数据";
    RefusedEvents => "Refused events", "被拒收的事件";
    SeqConflicts => "Sequence conflicts", "序号冲突";
    Coupon => "Coupon", "优惠券";
    FirstRedemption => "First redemption (kept)", "首次核销（保留）";
    SecondRedemption => "Second redemption", "第二次核销";
    Transfer => "Transfer", "积分转账";
    Sequence => "Sequence", "序号";
    Rule => "Rule", "规则";
    StoreSettings => "Store settings", "门店设置";
    Operators => "Operators", "操作员";
    ChooseStore => "Store", "选择门店";
    StoreName => "Store name", "门店名称";
    Address => "Address", "地址";
    StoreLanguage => "Receipt and till language", "小票和收银机语言";
    LangZh => "Chinese", "中文";
    LangEn => "English", "英文";
    Unset => "(till's own configuration)", "（使用收银机本地配置）";
    CashRounding => "Cash rounding step (e.g. 0.10)", "现金舍入单位（如 0.10）";
    TimeZone => "Time zone (IANA, e.g. Asia/Shanghai)", "时区（IANA 格式，如 Asia/Shanghai）";
    PointsProgram => "Points programme (JSON; empty: the till's own)", "积分规则（JSON；留空则使用收银机本地配置）";
    SettingsSaved => "Settings saved.", "设置已保存。";
    NoSettings => "HQ sets nothing for this store yet: its tills use their own configuration.", "总部尚未为此门店设置，收银机使用本地配置。";
    OperatorId => "Operator number", "操作员编号";
    OperatorRole => "Role", "角色";
    NewPin => "PIN (4–8 digits)", "密码（4–8 位数字）";
    AddOperator => "Add or replace an operator", "新增或更新操作员";
    OperatorNote => "An operator already held under this number is replaced, PIN included.", "若该编号已存在，将整体替换（包括密码）。";
    OperatorSaved => "Operator saved.", "操作员已保存。";
    OpCashier => "cashier", "收银员";
    OpSupervisor => "supervisor", "主管";
    OpManager => "manager", "店长";
    NoStores => "HQ knows no store yet.", "总部尚无门店。";
    NotJson => "not valid JSON", "不是有效的 JSON";
    // Tills' tokens and members' cards.
    TillStatus => "Status", "状态";
    TillBacklog => "Backlog", "待上传";
    TillVersion => "Version", "版本";
    TillActive => "active", "正常";
    TillRevoked => "revoked", "已吊销";
    TillActions => "Token", "令牌";
    RotateToken => "New token", "更换令牌";
    RevokeToken => "Revoke", "吊销";
    NewTokenShown => "New token for this till, shown this once only: set it as the till's hq.token now. The old token no longer works.", "该收银机的新令牌，仅显示这一次：请立即设为收银机的 hq.token。旧令牌已失效。";
    RevokeAsk => "Revoke this till's token? The till is refused at once: it can neither upload its sales nor look up members until it is registered again. Its sales stay in the reports.", "吊销该收银机的令牌？收银机将立即被拒绝：在重新注册之前，既不能上传销售，也不能查询会员。其销售记录仍保留在报表中。";
    RevokeConfirm => "Revoke the token", "确认吊销";
    KeepTill => "Keep it", "不吊销";
    TillRevokedDone => "Till revoked: its token is refused; its sales stay in the reports.", "收银机已吊销：其令牌被拒绝，销售记录仍保留在报表中。";
    BlockCard => "Block a lost card", "冻结挂失卡";
    ReplaceCard => "Replace a card", "换卡";
    CardLabel => "Card", "卡号";
    NewCardNumber => "New card number", "新卡号";
    BlockAction => "Block", "冻结";
    ReplaceAction => "Replace", "换卡";
    CardBlockedDone => "Card blocked.", "卡已冻结。";
    CardReplacedDone => "Card replaced.", "已换卡。";
    // The catalogue, store prices and promotions pages.
    Catalogue => "Catalogue", "商品目录";
    StorePrices => "Store prices", "门店价格";
    Promotions => "Promotions", "促销";
    Gtin => "GTIN", "商品条码";
    ProductName => "Product name", "商品名称";
    NameEn => "English name", "英文名称";
    Price => "Price", "价格";
    ChainPrice => "Chain price", "连锁统一价";
    StorePrice => "Store price", "门店价";
    MemberPrice => "Member price", "会员价";
    VatRate => "VAT rate (%)", "增值税率（%）";
    Currency => "Currency (ISO code)", "币种（ISO 代码）";
    Brand => "Brand", "品牌类型";
    BrandNational => "national brand", "全国品牌";
    BrandStore => "store brand", "自有品牌";
    BrandUnknown => "not known", "未知";
    Manufacturer => "Manufacturer", "生产商";
    BonusPoints => "Bonus points (+50 or x2)", "奖励积分（+50 或 ×2）";
    Weighed => "Sold by weight (price per kg)", "称重商品（按千克计价）";
    RestrictedSale => "Age-restricted", "限制销售（需核验年龄）";
    Plu => "Short code (PLU)", "商品简码";
    ExternalId => "External id", "外部编号";
    Flags => "Flags", "标记";
    WeighedShort => "by weight", "称重";
    RestrictedShort => "restricted", "限售";
    EditProduct => "Add or change a product", "新增或修改商品";
    ProductNote => "A product already held under this GTIN is replaced.", "若该条码已存在，将整体替换。";
    ProductSaved => "Product saved.", "商品已保存。";
    Change => "Change", "修改";
    NextPage => "Next page", "下一页";
    FirstPage => "First page", "第一页";
    SearchProducts => "GTIN or product name", "商品条码或名称";
    SetPrice => "Set this store's price", "设置门店价";
    OwnPrice => "Store price (empty: the chain's)", "门店价（留空则使用连锁统一价）";
    BackToChain => "Back to the chain's price", "恢复连锁统一价";
    PriceSaved => "Price saved.", "价格已保存。";
    PriceNote => "The store's tills sell at it from their next sync.", "该门店收银机下次同步后按此价格销售。";
    PromotionId => "Promotion id", "促销编号";
    PromotionName => "Name on the receipt", "小票显示名称";
    Starts => "Starts (UTC)", "开始时间（世界协调时）";
    Ends => "Ends (UTC, not included)", "结束时间（世界协调时，不含）";
    DateHint => "YYYY-MM-DD or YYYY-MM-DD HH:MM", "年-月-日 或 年-月-日 时:分";
    MemberOnly => "Members only", "仅限会员";
    PromoMemberPrice => "member price", "会员价";
    PromoPercentOff => "percent off", "按比例折扣";
    PromoAmountOff => "amount off each", "每件立减";
    PromoBuyGet => "buy some, get more", "买赠";
    PromoMix => "any N for a price", "任选组合价";
    PromoBundle => "bundle price", "套装价";
    PromoProducts => "Products (GTINs; empty: all or a category)", "商品（条码，以空格或逗号分隔；留空则为全部或按品类）";
    PromoCategory => "Or one category", "或指定品类";
    PercentOff => "Percent off (%)", "折扣比例（%）";
    Amount => "Amount (off each, or the group's price)", "金额（每件立减额，或组合/套装总价）";
    Buy => "Buy (units)", "购买件数";
    Get => "Get (units)", "赠送件数";
    GroupUnits => "Units in the group", "组合件数";
    Days => "Days (none: every day)", "适用日（不选则每天）";
    HoursFrom => "From hour (store time)", "起始整点（门店时间）";
    HoursTo => "To hour (empty: all day)", "结束整点（留空则全天）";
    Mon => "Mon", "周一";
    Tue => "Tue", "周二";
    Wed => "Wed", "周三";
    Thu => "Thu", "周四";
    Fri => "Fri", "周五";
    Sat => "Sat", "周六";
    Sun => "Sun", "周日";
    AllProducts => "all products", "全部商品";
    Runs => "Runs", "有效期";
    EditPromotion => "Add or change a promotion", "新增或修改促销";
    PromotionNote => "A promotion already held under this id is replaced.", "若该编号已存在，将整体替换。";
    PromotionSaved => "Promotion saved.", "促销已保存。";
    ErrWindow => "the promotion must end after it starts", "结束时间必须晚于开始时间";
    ErrHours => "hours must be two different hours from 0 to 24", "时段须为 0 到 24 之间两个不同的整点";
    ErrPercent => "the percentage must be from 0 to 100", "折扣比例须在 0 到 100 之间";
    ErrNegative => "amounts and prices must not be negative", "金额和价格不能为负数";
    ErrBuyGet => "buy and get must both be at least 1", "购买件数和赠送件数都必须至少为 1";
    ErrCount => "a group needs from 2 to 100 units", "组合须为 2 到 100 件";
    ErrBundle => "a bundle needs at least 2 different products", "套装至少需要 2 种不同商品";
    ErrUnknownProduct => "not in HQ's catalogue", "总部商品目录中没有此商品";
    ErrNotGtin => "not a valid GTIN", "不是有效的商品条码";
    ErrNotDate => "not a date", "不是有效的日期";
    ErrNotNumber => "not a whole number", "不是有效的整数";
    ErrNotAmount => "not an amount", "不是有效的金额";
    ErrBothTargets => "give products or a category, not both", "商品和品类只能填写一项";
    ErrRequired => "required", "必填";
    // Segments, their members and coupon issues; deals and their budgets.
    Segments => "Segments", "会员细分";
    DealsBudgets => "Deals and budgets", "优惠与预算";
    SegmentId => "Segment id", "细分编号";
    SegmentName => "Segment name", "细分名称";
    Criteria => "Criteria", "筛选条件";
    Updated => "Updated", "更新时间";
    SeeMembers => "Members", "查看会员";
    EditSegment => "Add or change a segment", "新增或修改细分";
    SegmentNote => "Every criterion given must hold; a segment already held under this id is replaced.", "须同时满足所填的全部条件；若该编号已存在，将整体替换。";
    SegmentSaved => "Segment saved.", "细分已保存。";
    RfmSegments => "RFM segments", "RFM 价值分群";
    RfmSegmentsAny => "RFM segments (any of them; none: no criterion)", "RFM 价值分群（任一即可；不选则不限）";
    RfmSegment => "RFM segment", "价值分群";
    RfmScores => "R / F / M scores", "R / F / M 评分";
    RfmChampions => "champions", "重要价值";
    RfmLoyal => "loyal", "忠诚";
    RfmPotential => "potential loyalists", "潜力";
    RfmNew => "new", "新会员";
    RfmNeedsAttention => "needs attention", "需要关注";
    RfmAtRisk => "at risk", "流失风险";
    RfmCantLose => "can't lose", "不可流失";
    RfmHibernating => "hibernating", "休眠";
    RfmLost => "lost", "已流失";
    ScoreR => "Recency score (R)", "最近购买评分（R）";
    ScoreF => "Frequency score (F)", "购买频次评分（F）";
    ScoreM => "Monetary score (M)", "消费金额评分（M）";
    ScoreHint => "1–5; empty: no criterion", "1–5；留空则不限";
    From => "From", "从";
    To => "To", "到";
    SlippingAway => "Slipping away", "流失倾向";
    Any => "any", "不限";
    SlippingOnly => "only members slipping away", "仅限有流失倾向的会员";
    NotSlipping => "only members not slipping away", "仅限无流失倾向的会员";
    TiersAny => "Tiers (any of them, separated by commas)", "等级（任一即可，以逗号分隔）";
    HomeStoresAny => "Home stores (any of them, separated by commas)", "所属门店（任一即可，以逗号分隔）";
    MinSpendYear => "Least net spend in 365 days", "365 天内最低净消费";
    ConsentOnly => "Only members who consented to marketing", "仅限同意接收营销信息的会员";
    EveryMember => "every member", "全部会员";
    ScoresOf => "Scores of the day", "评分日期";
    MembersInSegment => "Members in the segment:", "细分内会员数：";
    FirstShown => "shown here, the first", "此处显示前";
    MarketingConsent => "Marketing consent", "同意营销";
    Yes => "yes", "是";
    No => "no", "否";
    DaysSince => "Days since last purchase", "距上次购买天数";
    Purchases => "Purchases", "购买次数";
    IssueCouponsTitle => "Issue a coupon to the segment", "向该细分发放优惠券";
    IssueCoupons => "Issue coupons", "发放优惠券";
    CampaignId => "Campaign id", "活动编号";
    CouponTitle => "Title printed on the coupon", "优惠券上印的标题";
    AmountOff => "Amount off", "立减金额";
    OfferValue => "Value (amount, or percent)", "优惠额度（金额或百分比）";
    WholeBasket => "whole basket", "整单";
    MinSpend => "Least spend on the target", "最低消费金额";
    MaxDiscount => "Largest discount of one coupon", "单张券最高优惠";
    ValidFrom => "Valid from (UTC)", "生效时间（世界协调时）";
    ValidUntil => "Valid until (UTC, not included)", "失效时间（世界协调时，不含）";
    FundedByField => "Funded by (a manufacturer; empty: the chain)", "出资方（生产商；留空则为本连锁）";
    CouponNote => "One signed coupon per member who consented to marketing; issuing again under the same campaign id reaches only members not issued one yet.", "每位同意营销的会员一张签名优惠券；以同一活动编号再次发放时，只发给尚未领取的会员。";
    CouponsIssued => "coupons issued", "已发放优惠券";
    AlreadyIssued => "issued before", "此前已发放";
    WithoutConsent => "without marketing consent", "未同意营销";
    NoSigningKey => "This HQ has no coupon-signing key, so it cannot issue coupons: give hq.key_file a key HQ can read and start HQ again.", "总部没有优惠券签名密钥，无法发放优惠券：请为 hq.key_file 配置可读取的密钥并重新启动总部服务。";
    Offer => "Offer", "优惠内容";
    Budget => "Budget", "预算";
    BudgetLeft => "Left", "剩余预算";
    BudgetNote => "Each list offer reserves its largest discount from its deal's budget; the lists to come share out what is left.", "每条清单优惠从其预算中预留最高优惠金额；之后的清单只分配剩余预算。";
    AllSegments => "all nine segments", "全部九个细分";
    DealUnreadable => "no longer reads against HQ's catalogue: lists skip it", "已与总部商品目录不符，清单将跳过此优惠";
    EditDeal => "Add or change a deal", "新增或修改优惠";
    DealId => "Deal id", "优惠编号";
    ManufacturerFunds => "Funded by manufacturer (empty: the chain)", "出资生产商（留空则为本连锁）";
    TargetValue => "Product (id or GTIN) or category", "商品（编号或条码）或品类";
    DealSegments => "Segments (none: all nine)", "适用细分（不选则全部九个）";
    SwitchToStoreBrand => "Offer this store-brand product to national-brand loyal heavy users", "向忠于全国品牌的高用量会员推荐此自有品牌商品";
    DealNote => "Amounts are in the chain's currency; a deal already held under this id is replaced.", "金额以本连锁币种计；若该编号已存在，将整体替换。";
    DealSaved => "Deal saved.", "优惠已保存。";
    DealRefused => "Deal not saved", "优惠未保存";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_label_has_both_texts_and_the_chinese_is_chinese() {
        for t in T::ALL {
            assert!(!t.text(Lang::En).is_empty(), "{t:?}");
            let zh = t.text(Lang::Zh);
            assert!(!zh.is_empty(), "{t:?}");
            // Every Chinese label but the language switch's has Han characters.
            if *t != T::Language {
                assert!(
                    zh.chars().any(|c| ('\u{4E00}'..='\u{9FFF}').contains(&c)),
                    "{t:?}: {zh}"
                );
            }
        }
    }

    #[test]
    fn the_language_comes_from_the_query_then_the_cookie_then_the_browser() {
        let mut h = HeaderMap::new();
        assert_eq!(Lang::of(None, &h), Lang::En);
        h.insert(
            "accept-language",
            "zh-CN,zh;q=0.9,en;q=0.8".parse().unwrap(),
        );
        assert_eq!(Lang::of(None, &h), Lang::Zh);
        h.insert("cookie", "lang=en".parse().unwrap());
        assert_eq!(Lang::of(None, &h), Lang::En);
        assert_eq!(Lang::of(Some("zh_CN"), &h), Lang::Zh);
    }
}
