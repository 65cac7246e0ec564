//! The review app in a real browser (Debian's headless Chromium): log in, take the next
//! item, correct a field by keyboard, accept, resolve a duplicate, see the change in the
//! audit log; OCR text that looks like HTML stays text; an admin disables an account. Screenshots go to
//! `LEDGERLINE_SCREENSHOTS` (the repository's `docs/` when refreshing them) or a temp dir.

mod browser;
mod common;

use browser::{chromium, Browser};
use common::*;

const ALT: u32 = 1;
const CTRL: u32 = 2;

/// The review server on the fixture, on a runtime of its own (kept alive by the caller),
/// and its address.
fn served(f: &Fixture) -> (tokio::runtime::Runtime, String) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .unwrap();
    let base = rt.block_on(serve(f));
    (rt, base)
}

/// Logs in as the fixture's admin from the login page, by keyboard.
fn log_in_as_admin(b: &mut Browser, base: &str) {
    submit_login(b, base, "admin", PASSWORD);
    b.wait("location.hash === '#/queue'");
}

/// Types a user name and password into the login page and presses Enter.
fn submit_login(b: &mut Browser, base: &str, user: &str, password: &str) {
    b.goto(base);
    b.wait("document.activeElement && document.activeElement.id === 'username'");
    b.type_text(user);
    b.press("Tab", 0);
    b.type_text(password);
    b.press("Enter", 0);
}

/// Sets an input's text as typing would, firing its input event.
fn type_into(b: &mut Browser, id: &str, text: &str) {
    b.eval(&format!(
        "{{ const el = document.getElementById('{id}'); el.value = '{text}'; el.dispatchEvent(new Event('input')); }}"
    ));
}

#[test]
fn a_data_entry_day_by_keyboard() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    index_fixture(&f);
    // OCR text that looks like markup, on the duplicate candidate.
    f.db.conn()
        .execute(
            "UPDATE records SET record = json_set(record, '$.death_place', '<img src=x onerror=\"window.__xss=1\">') WHERE record_id = ?1",
            [rid(4)],
        )
        .unwrap();
    let (_rt, base) = served(&f);
    let shots_tmp = tempfile::tempdir().unwrap();
    let shots = std::env::var_os("LEDGERLINE_SCREENSHOTS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| shots_tmp.path().to_path_buf());
    std::fs::create_dir_all(&shots).unwrap();

    let mut b = Browser::launch(&chrome);
    b.goto(&base);
    b.wait("document.activeElement && document.activeElement.id === 'username'");
    // Logged out: no screens to go to and no one to log out, but the language switch.
    let shown = |b: &mut Browser, id: &str| b.eval(&format!("document.getElementById('{id}').offsetParent !== null"));
    assert_eq!(
        (shown(&mut b, "nav"), shown(&mut b, "logout")),
        (false.into(), false.into())
    );
    assert_eq!(shown(&mut b, "lang"), true);
    b.screenshot(&shots.join("review-login.png"));
    b.type_text("data_entry");
    b.press("Tab", 0);
    b.type_text(PASSWORD);
    b.press("Enter", 0);

    // The first item: the record with the misread name, focus on its first field.
    b.wait("document.querySelector('#record h3')?.textContent === 'p1-r01'");
    b.wait("document.querySelector('.fields img.crop')?.complete && document.querySelector('.fields img.crop').naturalWidth > 0");
    assert_eq!(b.eval("document.activeElement.id"), "f-deceased_name");
    assert_eq!(b.eval("document.documentElement.lang"), "zh-CN");
    assert!(b.eval("document.body.innerText").as_str().unwrap().contains("逝者姓名"));
    let header = b.eval("document.querySelector('#record p.muted').textContent");
    assert!(
        header.as_str().unwrap().contains(" · 待审核 · "),
        "status in Chinese: {header}"
    );
    // Why the machine sent it, in Chinese: the row read short of columns, a repair on a
    // field (shown under it, beside validation's word, while it holds what was read).
    let about_row = b.eval("document.getElementById('record-findings').textContent");
    assert_eq!(
        about_row,
        "表格横线延伸到已识别的列之外，有列未识别，请对照原图补录（the table's rules run on past the columns read）",
        "in Chinese, the detail without the English name of what it is about (record: …)"
    );
    b.wait("document.getElementById('msg-household_address').textContent.includes('区划表修正')");
    // A repair says in Chinese what was read before it, not its English message (the
    // clerk holding the record sees its ID number, and so what it was misread as).
    let repaired = |b: &mut Browser, field: &str| {
        b.eval(&format!("document.getElementById('msg-{field}').textContent"))
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        repaired(&mut b, "household_address"),
        "省市县名称已按国家区划表修正（识别为「济甫市历城区山大路12号」）"
    );
    let id_repair = repaired(&mut b, "id_number");
    assert!(
        id_repair.starts_with("身份证号已按校验码修正（识别为「3701121g36"),
        "{id_repair}"
    );
    // A code says what it means; typed as the page writes it, the field says what it
    // will be stored as.
    assert_eq!(b.eval("document.getElementById('means-gender').textContent"), "女");
    type_into(&mut b, "f-gender", "男");
    b.wait("document.getElementById('means-gender').textContent === '→ 1 男'");
    type_into(&mut b, "f-gender", "2");
    b.wait("document.getElementById('means-gender').textContent === '女'");
    b.screenshot(&shots.join("review-record.png"));
    b.press("KeyA", CTRL);
    b.type_text("王秀英");
    b.press("KeyA", ALT);

    // Accepted: the next record comes up (the one with a failing ID checksum).
    b.wait("document.querySelector('#record h3')?.textContent === 'p1-r02'");
    b.wait("[...document.querySelectorAll('.fields .msg')].some(m => m.textContent.includes('校验'))");
    // Live validation as you type: fixing the last digit clears the message.
    let good = id_of((1950, 7, 1), 45);
    b.eval("document.getElementById('f-id_number').focus()");
    b.press("KeyA", CTRL);
    b.type_text(&good);
    b.wait("[...document.querySelectorAll('.fields .msg')].every(m => !m.textContent.includes('校验'))");
    b.press("KeyK", ALT); // skip it for now

    // Skip the next record; the duplicate candidate comes up.
    b.wait("document.querySelector('#record h3')?.textContent === 'p1-r04'");
    b.press("KeyK", ALT);
    b.wait("document.getElementById('pair')");
    assert!(
        b.eval("document.querySelectorAll('#pair tr.diff').length")
            .as_u64()
            .unwrap()
            >= 3
    );
    // Markup from OCR is shown as text and never runs.
    assert!(b
        .eval("document.body.innerText")
        .as_str()
        .unwrap()
        .contains("<img src=x"));
    assert_eq!(b.eval("window.__xss === undefined"), true);
    // Why they match, in the interface's language.
    let why = b.eval("document.querySelector('#pair details').innerText");
    assert!(why.as_str().unwrap().contains("完全一致"), "{why}");
    // Every weight the model added up is shown, the prior and the fields against the
    // match too, so that they sum to the pair's weight (6.5).
    let rows = b.eval(
        "[...document.querySelectorAll('#pair-why tr')].map(r => [r.className, r.cells[2].textContent.replace('−', '-')])",
    );
    let rows: Vec<(String, f64)> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r[0].as_str().unwrap().to_string(),
                r[1].as_str().unwrap().parse().unwrap(),
            )
        })
        .collect();
    let (total, added): (Vec<_>, Vec<_>) = rows.iter().partition(|(class, _)| class == "total");
    assert_eq!(total.len(), 1, "{rows:?}");
    assert_eq!((rows[0].0.as_str(), rows.len()), ("prior", 9), "{rows:?}");
    let sum: f64 = added.iter().map(|(_, w)| w).sum();
    assert!((sum - 6.5).abs() < 0.01 && total[0].1 == 6.5, "{rows:?}");
    assert!(why.as_str().unwrap().contains("−3.20"), "{why}");
    b.screenshot(&shots.join("review-duplicates.png"));
    b.press("KeyY", ALT);

    // Then the page OCR could not read, to key by hand.
    b.wait("document.getElementById('keying')");
    assert_eq!(b.eval("document.activeElement.id"), "k-deceased_name");
    // The page beside the form, not above it.
    let beside = b.eval(
        "document.getElementById('keying-page').getBoundingClientRect().right \
         <= document.getElementById('k-deceased_name').getBoundingClientRect().left",
    );
    assert_eq!(beside, true);
    // A page with no table may lie any way: the clerk turns it a quarter at a time.
    let shape = "(() => { const r = document.getElementById('keying-image').getBoundingClientRect(); return r.width / r.height; })()";
    // Drawn once the page image has come (the canvas has a size of its own before).
    b.wait("document.getElementById('keying-image').dataset.turns === '0'");
    let lying = b.eval(shape).as_f64().unwrap();
    b.press("KeyR", ALT);
    b.wait(&format!("Math.abs({shape} * {lying} - 1) < 0.02"));
    // Kept for whoever opens the page next: opened anew, it lies as it was turned.
    b.wait("document.getElementById('keying-image').dataset.kept === '1'");
    b.eval("document.getElementById('keying-image').dataset.before = 'yes'; render()");
    b.wait("(el => el && !el.dataset.before && el.dataset.turns === '1')(document.getElementById('keying-image'))");
    // Three more quarters (the button this time): upright again, as the page lay.
    b.eval("for (let i = 0; i < 3; i++) document.getElementById('key-turn').click()");
    b.wait(&format!("Math.abs({shape} - {lying}) < 0.01"));
    b.wait("document.getElementById('keying-image').dataset.kept === '0'");
    assert_eq!(
        b.eval("document.activeElement.id"),
        "k-deceased_name",
        "turning keeps the clerk's place"
    );
    // Keyed as the page writes it, checked and shown in its stored form as typed.
    type_into(&mut b, "k-gender", "女");
    b.wait("document.getElementById('key-means-gender').textContent === '→ 2 女'");
    type_into(&mut b, "k-death_date", "2013年2月30日");
    b.wait("document.getElementById('k-death_date').parentElement.querySelector('.msg').textContent.length > 0");
    type_into(&mut b, "k-death_date", "2013年2月28日");
    b.wait("document.getElementById('key-means-death_date').textContent === '→ 2013-02-28'");
    b.screenshot(&shots.join("review-keying.png"));
    b.press("KeyK", ALT);
    b.wait("document.getElementById('queue-empty')");

    // Search: 王秀荚 as the workspace holds it (indexed before the review).
    b.goto(&format!("{base}/#/search"));
    b.wait("document.getElementById('q')");
    b.eval("document.getElementById('status').value = 'needs_review'");
    b.type_text("王秀");
    b.press("Enter", 0);
    b.wait("document.querySelector('#results .hit')");
    let hit = b.eval("document.querySelector('#results .hit').innerText");
    let hit = hit.as_str().unwrap();
    assert!(
        hit.contains("王秀荚") && hit.contains(" 女 ") && hit.contains("待审核") && hit.contains("姓名："),
        "{hit}"
    );
    b.screenshot(&shots.join("review-search.png"));

    // The correction is in the audit log.
    b.goto(&format!("{base}/#/record/{}", rid(1)));
    b.wait("document.querySelector('#record h3')?.textContent === 'p1-r01'");
    // Verified: its fields are no longer marked doubtful for the machine's confidence.
    assert_eq!(
        b.eval("document.querySelectorAll('#record .conf-low, #record .conf-mid').length"),
        0
    );
    b.press("KeyH", ALT);
    b.wait("document.getElementById('audit')?.innerText.includes('王秀英')");
    let audit = b.eval("document.getElementById('audit').innerText");
    let audit = audit.as_str().unwrap();
    assert!(
        audit.contains("王秀荚") && audit.contains("data_entry") && audit.contains("更正") && audit.contains("已核实"),
        "{audit}"
    );
    b.screenshot(&shots.join("review-audit.png"));

    b.goto(&format!("{base}/#/dashboard"));
    b.wait("document.getElementById('dashboard')");
    // A verified-per-day chart for each batch, as elements, not as text.
    let charts = b.eval("document.querySelectorAll('.card.progress svg.chart').length");
    assert_eq!(charts.as_i64(), Some(1), "one progress chart for the one batch");
    let text = b.eval("document.querySelector('main').innerText");
    assert!(!text.as_str().unwrap().contains("[object"), "{text}");
    b.screenshot(&shots.join("review-dashboard.png"));

    // The pair decision and the accepted record are in the journal.
    let status: String =
        f.db.conn()
            .query_row("SELECT status FROM pairs", [], |r| r.get(0))
            .unwrap();
    assert_eq!(status, "same");
    let verified: String =
        f.db.conn()
            .query_row("SELECT status FROM records WHERE record_id = ?1", [rid(1)], |r| {
                r.get(0)
            })
            .unwrap();
    assert_eq!(verified, "verified");
}

#[test]
fn an_admin_disables_and_enables_an_account() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    log_in_as_admin(&mut b, &base);
    // The queue asked for again, its answer held back until the admin has moved on to
    // 用户: it must not draw itself over that screen when it comes.
    b.eval(
        "(() => { const f = window.fetch; \
           window.fetch = (u, o) => String(u).includes('/api/queue/next') \
             ? new Promise((ok) => setTimeout(() => ok(f(u, o)), 800)) : f(u, o); \
           location.hash = '#/queue/again'; return true; })()",
    );
    b.goto(&format!("{base}/#/users"));
    let row = |name: &str| {
        format!("[...document.querySelectorAll('tr')].find(tr => tr.cells[0]?.textContent.startsWith('{name}'))")
    };
    b.wait(&format!("{}?.querySelector('button.toggle-user')", row("reviewer")));
    // When each password was set, as a date; none too old in a fresh fixture.
    assert_eq!(
        b.eval(&format!(
            "(c => /^\\d{{4}}\\/\\d{{1,2}}\\/\\d{{1,2}}$/.test(c.textContent))({}.querySelector('.password-set'))",
            row("reviewer")
        )),
        true
    );
    std::thread::sleep(std::time::Duration::from_millis(1200));
    assert_eq!(
        b.eval(&format!(
            "!!{} && !document.querySelector('#item-kind')",
            row("reviewer")
        )),
        true,
        "the late queue answer drew nothing over the users screen"
    );
    assert_eq!(
        b.eval(&format!("{}.querySelector('button') === null", row("admin"))),
        true,
        "no button to disable one's own account"
    );
    let disabled = |f: &Fixture| {
        ledgerline_review::auth::list_users(&f.db)
            .unwrap()
            .iter()
            .any(|u| u.username == "reviewer" && u.disabled)
    };
    // The admin's own login is the newest on the screen's list of logins.
    assert_eq!(
        b.eval(
            "[...document.querySelector('#login-history tr:nth-child(2)').cells].slice(1, 4).map(c => c.textContent).join('|')"
        ),
        "admin|登录|admin"
    );
    b.eval(&format!("{}.querySelector('button').click()", row("reviewer")));
    b.wait(&format!("{}?.cells[0].textContent.includes('已停用')", row("reviewer")));
    assert!(disabled(&f));
    // The screen's history of accounts says who did it, newest first.
    let newest = "document.querySelector('#account-history tr:nth-child(2)')";
    b.wait(&format!("{newest}?.textContent.includes('停用账户')"));
    assert_eq!(
        b.eval(&format!(
            "[...{newest}.cells].slice(1, 4).map(c => c.textContent).join('|')"
        )),
        "admin|停用账户|reviewer"
    );
    b.eval(&format!("{}.querySelector('button').click()", row("reviewer")));
    b.wait(&format!(
        "(r => r && r.querySelector('button') && !r.cells[0].textContent.includes('已停用'))({})",
        row("reviewer")
    ));
    assert!(!disabled(&f));
}

/// An admin adds an account with a temporary password (the form's default; a password
/// the rules refuse is told by the rule, in Chinese); its holder, logged in, finds only
/// the password form, whatever screen they ask for, until they change it, and then
/// starts on the queue.
#[test]
fn a_temporary_password_is_changed_at_first_login() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    log_in_as_admin(&mut b, &base);
    b.goto(&format!("{base}/#/users"));
    b.wait("document.querySelector('#new-user')");
    type_into(&mut b, "new-user", "trainee");
    type_into(&mut b, "new-pass", "Trainee@2026");
    b.eval("document.getElementById('new-user').closest('form').requestSubmit()");
    b.wait("document.getElementById('new-user').closest('form').querySelector('.err').textContent === '密码不可用：不能包含用户名'");
    type_into(&mut b, "new-pass", "given by the admin");
    assert_eq!(b.eval("document.getElementById('new-temporary').checked"), true);
    b.eval("document.getElementById('new-user').closest('form').requestSubmit()");
    b.wait("[...document.querySelectorAll('td')].some(td => td.textContent === 'trainee (待改密码)')");
    b.eval("document.getElementById('logout').click()");
    b.wait("document.getElementById('username')");

    submit_login(&mut b, &base, "trainee", "given by the admin");
    b.wait("document.getElementById('password-due')");
    assert_eq!(b.eval("document.getElementById('nav').hidden"), true);
    b.goto(&format!("{base}/#/queue"));
    b.wait("document.getElementById('current-password')");
    assert_eq!(
        b.eval("!!document.getElementById('password-due') && !document.querySelector('#item-kind, #queue-empty')"),
        true,
        "the queue is not drawn while the password is due"
    );
    assert!(b
        .eval("document.getElementById('password-hint').textContent")
        .as_str()
        .is_some_and(|hint| hint.contains("16 个字符以上的口令句")));
    type_into(&mut b, "current-password", "given by the admin");
    type_into(&mut b, "new-password", "picked on the first day");
    type_into(&mut b, "new-password-again", "chosen by another");
    b.eval("document.getElementById('new-password').closest('form').requestSubmit()");
    b.wait("document.getElementById('password-error').textContent === '两次输入的新密码不一致'");
    type_into(&mut b, "new-password-again", "picked on the first day");
    b.eval("document.getElementById('new-password').closest('form').requestSubmit()");
    b.wait("location.hash === '#/queue' && !!document.querySelector('#item-kind, #queue-empty')");
    assert_eq!(b.eval("document.getElementById('nav').hidden"), false);
}

/// A password older than the server allows (90 days by default) brings its holder to the
/// password form, saying why, not the one for a temporary password.
#[test]
fn a_password_too_old_is_changed_at_login() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    f.db.conn()
        .execute(
            "UPDATE users SET password_set_at = ?1 WHERE username = 'reviewer'",
            [ledgerline_review::db::now() - 91 * 86_400],
        )
        .unwrap();
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    submit_login(&mut b, &base, "reviewer", PASSWORD);
    b.wait("document.getElementById('password-due')");
    assert_eq!(
        b.eval("document.getElementById('password-due').textContent"),
        "您的密码已超过使用期限，请先修改密码再开始工作。"
    );
    assert_eq!(b.eval("document.getElementById('nav').hidden"), true);
}

/// The app offers a role only what the server lets it do: an archivist starts on the
/// dashboard with no queue or accounts in the bar (the queue refused them with an error
/// on every login), asking for the queue lands there too, and a record opened from
/// search reads, with no buttons to change it and its fields not to be typed in.
#[test]
fn an_archivist_is_offered_only_what_the_role_may_do() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    submit_login(&mut b, &base, "archivist", PASSWORD);
    b.wait("location.hash === '#/dashboard' && !!document.querySelector('#main .view .card')");
    let hidden = "['#nav-queue', '#nav-users'].map(s => document.querySelector(s).hidden).join()";
    assert_eq!(b.eval(hidden), "true,true");
    assert_eq!(
        b.eval("document.querySelector('#main .err') === null"),
        true,
        "no refusal shown"
    );
    b.goto(&format!("{base}/#/record/{}", rid(1)));
    b.wait("!!document.querySelector('#record-readonly')");
    assert_eq!(
        b.eval(
            "[document.querySelector('#accept'), document.querySelector('#save'), document.querySelector('#reject')] \
               .every(x => x === null) && [...document.querySelectorAll('#record input[name]')].every(i => i.readOnly)"
        ),
        true
    );
    b.goto(&format!("{base}/#/queue"));
    b.wait("document.querySelector('header nav a.on')?.getAttribute('href') === '#/dashboard'");
    // A data-entry clerk still starts on the queue, with the buttons.
    let mut clerk = Browser::launch(&chrome);
    submit_login(&mut clerk, &base, "data_entry", PASSWORD);
    clerk.wait("location.hash === '#/queue' && !!document.querySelector('#item-kind')");
    assert_eq!(clerk.eval(hidden), "false,true");
    clerk.wait("!!document.querySelector('#accept') && document.querySelector('#record-readonly') === null");
}

/// A reviewer finds a page a clerk finished on the dashboard, with who finished it and
/// its rows, opens it whole and reopens its keying there; the page leaves the list.
#[test]
fn a_reviewer_reopens_a_keyed_page_from_the_dashboard() {
    use ledgerline_review::client::Client;
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    let (rt, base) = served(&f);
    rt.block_on(async {
        let mut clerk = Client::new(&base);
        clerk.login("data_entry", PASSWORD).await.unwrap();
        let row = serde_json::json!({"row": 1, "fields": {"deceased_name": "赵桂兰", "gender": "2", "death_date": "2013-02-28"}});
        for (path, body) in [("rows", row), ("done", serde_json::json!({}))] {
            let r = clerk
                .send(hyper::Method::POST, &format!("/api/pages/{KEY_PAGE}/{path}"), &body)
                .await
                .unwrap();
            assert_eq!(r.status, 200, "{path}: {}", r.json);
        }
    });
    let mut b = Browser::launch(&chrome);
    submit_login(&mut b, &base, "reviewer", PASSWORD);
    b.wait("location.hash === '#/queue'");
    b.goto(&format!("{base}/#/dashboard"));
    let listed = format!("document.querySelector('.keyed-pages tr[data-page=\"{KEY_PAGE}\"]')");
    b.wait(&format!("!!{listed}"));
    assert_eq!(
        b.eval(&format!("[0, 1, 3].map(i => {listed}.cells[i].textContent).join('|')")),
        format!("vol1-{KEY_PAGE}.png|data_entry|1"),
        "file, who finished it, rows"
    );
    b.eval(&format!("{listed}.querySelector('button.open-page').click()"));
    b.wait("!!document.querySelector('#page-reopen')");
    b.eval("document.querySelector('#page-reopen').click()");
    b.wait(&format!(
        "{listed} === null && document.querySelector('#overlay').hidden"
    ));
    let status: String =
        f.db.read()
            .unwrap()
            .query_row("SELECT status FROM pages WHERE page_id = ?1", [KEY_PAGE], |r| r.get(0))
            .unwrap();
    assert_eq!(status, "needs_keying");
}

/// Every screen and panel, in Chinese and in English, as an admin (who may open them
/// all): no script error, and nothing drawn as `[object …]`, `undefined` or `NaN`. The
/// dashboard once drew its charts as `[object HTMLDivElement]` and search threw on its
/// first hit, while the screens' own tests looked elsewhere.
#[test]
fn every_screen_in_both_languages_draws_without_a_script_error() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    index_fixture(&f);
    // A QA sample drawn: its items in the queue, its state on the dashboard.
    ledgerline_review::qa::start(&f.ws, &f.db, BATCH, 0.65, "archivist").unwrap();
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    b.before_every_page(
        "window.__errors = []; \
         addEventListener('error', (e) => __errors.push(String(e.message))); \
         addEventListener('unhandledrejection', (e) => __errors.push(String(e.reason)));",
    );
    // A refusal says what it is in the interface's language.
    submit_login(&mut b, &base, "admin", "not the password");
    b.wait("document.body.innerText.includes('用户名或密码不对')");
    log_in_as_admin(&mut b, &base);
    // What shows each screen drawn: the queue also draws a record, so the record screen
    // waits for its own.
    let record = format!("#/record/{}", rid(2));
    let record_drawn = format!("document.querySelector('#record h3')?.textContent === '{}'", rid(2));
    let screens: [(&str, &str); 6] = [
        ("#/queue", "document.querySelector('#item-kind, #queue-empty')"),
        (&record, &record_drawn),
        ("#/search", "document.querySelector('#q')"),
        ("#/dashboard", "document.querySelector('#dashboard')"),
        ("#/users", "document.querySelector('#new-user')"),
        ("#/password", "document.querySelector('#current-password')"),
    ];
    for lang in ["zh-CN", "en"] {
        if b.eval("document.documentElement.lang") != lang {
            b.eval("document.getElementById('lang').click()");
            b.wait(&format!("document.documentElement.lang === '{lang}'"));
        }
        for (hash, ready) in screens {
            b.goto(&format!("{base}/{hash}"));
            b.wait(ready);
            match hash {
                "#/search" => {
                    b.eval("document.getElementById('q').value = '王'; document.getElementById('status').value = 'needs_review'");
                    b.eval("document.querySelector('main form').requestSubmit()");
                    b.wait("document.querySelector('#results .hit')");
                }
                "#/dashboard" => {
                    let qa = b.eval("document.querySelector('#dashboard .qa-state').textContent");
                    let inspecting = if lang == "en" {
                        "inspecting · 0/1"
                    } else {
                        "抽检中 · 0/1"
                    };
                    assert!(qa.as_str().unwrap().starts_with(inspecting), "{qa}");
                }
                h if h == record => {
                    b.press("KeyP", ALT);
                    b.wait("document.getElementById('page-image')");
                    // The page in the middle of the overlay.
                    let margins = b.eval(
                        "(() => { const o = document.getElementById('overlay'); \
                          const r = document.querySelector('#page-image img').getBoundingClientRect(); \
                          return [r.left, o.clientWidth - r.right]; })()",
                    );
                    let (left, right) = (margins[0].as_f64().unwrap(), margins[1].as_f64().unwrap());
                    assert!((left - right).abs() < 2.0 && left > 0.0, "page not centred: {margins}");
                    // Zoomed in, the page grows and the row's box with it.
                    let sizes = "[document.querySelector('#page-image img').getBoundingClientRect().width, \
                                  document.getElementById('row-highlight').getBoundingClientRect().width]";
                    let before = b.eval(sizes);
                    b.press("Equal", 0);
                    let after = b.eval(sizes);
                    let w = |v: &serde_json::Value, i: usize| v[i].as_f64().unwrap();
                    assert!((w(&after, 0) / w(&before, 0) - 1.25).abs() < 0.01, "{before} {after}");
                    assert!((w(&after, 1) / w(&before, 1) - 1.25).abs() < 0.01, "{before} {after}");
                    b.press("Escape", 0);
                    b.press("KeyH", ALT);
                    b.wait("document.getElementById('audit')");
                }
                _ => {}
            }
            let drawn = b.eval("document.querySelector('main').innerText");
            let drawn = drawn.as_str().unwrap();
            for wrong in ["[object", "undefined", "NaN"] {
                assert!(!drawn.contains(wrong), "{lang} {hash} draws {wrong}: {drawn}");
            }
            assert_eq!(b.eval("window.__errors"), serde_json::json!([]), "{lang} {hash}");
        }
    }
}

/// The whole page of a record read turned is shown as it was read: turned half round, it
/// is shown reversed both ways in the same frame; turned a quarter round, it is shown as
/// tall as it was wide and the row's box, wide on the page, stands upright.
#[test]
fn a_page_read_turned_is_shown_as_read() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    log_in_as_admin(&mut b, &base);
    let shown = "(() => { const i = document.querySelector('#page-image img').getBoundingClientRect(); \
                  const r = document.getElementById('row-highlight').getBoundingClientRect(); \
                  const m = new DOMMatrix(getComputedStyle(document.getElementById('page-image')).transform); \
                  return [i.width, i.height, (r.top + r.bottom) / 2 - i.top, r.width, r.height, m.a, m.d]; })()";
    let mut upright = None;
    for quarter_turns in [0, 2, 1] {
        f.page_read_turned(quarter_turns);
        b.goto(&format!("{base}/#/record/{}", rid(2)));
        b.wait(&format!(
            "document.querySelector('#record h3')?.textContent === '{}'",
            rid(2)
        ));
        b.press("KeyP", ALT);
        b.wait("document.getElementById('row-highlight')");
        let v = b.eval(shown);
        let n = |i: usize| v[i].as_f64().unwrap();
        let (width, height, row_middle, box_w, box_h) = (n(0), n(1), n(2), n(3), n(4));
        match quarter_turns {
            0 => {
                assert!(box_w > box_h && (n(5), n(6)) == (1.0, 1.0), "{v}");
                // The page is laid out from its size, not from the picture's arrival: with
                // the picture gone (not loaded yet, or failed), the frame and box stay.
                let unloaded = b.eval(&format!(
                    "(() => {{ document.querySelector('#page-image img').removeAttribute('src'); return {shown}; }})()"
                ));
                assert_eq!(unloaded, v, "the page's frame moves with its picture");
                upright = Some((width, height, row_middle));
            }
            2 => {
                // The fixture's row lies mid-page, where turning leaves it: the page is
                // shown turned (x and y both reversed), in the same place and size.
                let (w0, h0, middle0) = upright.unwrap();
                assert!((width - w0).abs() < 1.0 && (height - h0).abs() < 1.0, "{v}");
                assert!((row_middle - (h0 - middle0)).abs() < 2.0, "{v}");
                assert_eq!((n(5), n(6)), (-1.0, -1.0), "{v}");
            }
            _ => {
                let (w0, h0, _) = upright.unwrap();
                assert!((width - h0).abs() < 1.0 && (height - w0).abs() < 1.0, "{v}");
                assert!(box_h > box_w, "{v}");
            }
        }
        b.press("Escape", 0);
    }
}

#[test]
fn a_page_read_short_of_rows_is_keyed_on_after_its_rows_read() {
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    f.key_page_read_short(2);
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    submit_login(&mut b, &base, "data_entry", PASSWORD);
    b.wait("location.hash === '#/queue'");
    // Records and the duplicate pair come first: skipped until the page to key.
    for _ in 0..10 {
        // The item drawn, its keys set (the view shows `loading` first, keys unset).
        b.wait("document.getElementById('item-kind') && document.querySelector('#record h3, #pair, #keying')");
        if b.eval("!!document.getElementById('keying')") == true {
            break;
        }
        b.eval("document.querySelector('#main .view').dataset.left = 'yes'");
        b.press("KeyK", ALT);
        b.wait("!document.querySelector('#main .view[data-left]')");
    }
    b.wait("document.getElementById('keying')");
    // The rows read are listed, and the next row to key follows them.
    assert_eq!(b.eval("document.getElementById('key-row').textContent"), "3");
    let listed = b.eval("[...document.querySelectorAll('#keyed li')].map(l => l.textContent)");
    assert_eq!(listed, serde_json::json!(["1: 李桂英", "2: 李桂英"]));
    // Its cells lie on the page as it was read: there is nothing to turn.
    assert_eq!(b.eval("document.getElementById('key-turn') === null"), true);
    b.wait("document.getElementById('keying-image').dataset.turns === '0'");
    // The rows read are shaded on the page (the fixture's two cells, 80 pixels a row).
    assert_eq!(
        b.eval("document.getElementById('keying-image').dataset.readBand"),
        "0,80,200,240"
    );
    let tint =
        "(([x, y]) => [...document.getElementById('keying-image').getContext('2d').getImageData(x, y, 1, 1).data])";
    let inside = b.eval(&format!("{tint}([100, 120])"));
    let below = b.eval(&format!("{tint}([100, 300])"));
    let green_over_red = |v: &serde_json::Value| v[1].as_i64().unwrap() - v[0].as_i64().unwrap();
    assert!(
        green_over_red(&inside) > 20 && green_over_red(&below).abs() < 10,
        "{inside} {below}"
    );
    b.press("KeyR", ALT);
    assert_eq!(b.eval("document.getElementById('keying-image').dataset.turns"), "0");
    // The next row keyed is row 3.
    type_into(&mut b, "k-deceased_name", "赵桂兰");
    type_into(&mut b, "k-death_date", "2013-02-28");
    b.press("Enter", CTRL);
    b.wait("document.querySelectorAll('#keyed li').length === 3");
    assert_eq!(
        b.eval("document.querySelector('#keyed li:last-child').textContent"),
        "3: 赵桂兰"
    );
    assert_eq!(b.eval("document.getElementById('key-row').textContent"), "4");
    // Marked finished a row too soon: the next screen offers it back, rows kept.
    b.press("KeyE", ALT);
    b.wait("!document.getElementById('keying') && document.getElementById('key-undo')");
    assert!(b
        .eval("document.getElementById('key-undo').textContent")
        .as_str()
        .unwrap()
        .contains("已标记录入完成"));
    b.eval("document.getElementById('key-reopen').click()");
    b.wait("document.getElementById('keying') && !document.getElementById('key-undo')");
    assert_eq!(b.eval("document.querySelectorAll('#keyed li').length"), 3);
    assert_eq!(b.eval("document.getElementById('key-row').textContent"), "4");
    // Finished again, and found short of a row later from a record of the page: its
    // whole-page view reopens the keying, and the queue brings the page back.
    b.press("KeyE", ALT);
    b.wait("document.getElementById('key-undo')");
    b.eval(&format!("location.hash = '#/record/{KEY_PAGE}-r03'"));
    b.wait("document.getElementById('show-page')");
    b.eval("document.getElementById('show-page').click()");
    b.wait("document.getElementById('page-reopen')");
    b.eval("document.getElementById('page-reopen').click()");
    b.wait("document.getElementById('overlay').hidden");
    b.eval("location.hash = '#/queue'");
    b.wait("document.getElementById('keying') && document.getElementById('key-row').textContent === '4'");
}

/// The labels of one of the app's translation tables (`const NAME = { … };`).
fn app_labels(table: &str) -> &'static str {
    let app = include_str!("../assets/app.js");
    let labels = &app[app.find(&format!("const {table} = {{")).unwrap()..];
    &labels[..labels.find("};").unwrap()]
}

/// Whether a table's text gives `key` a label, the key written bare (`key: '…'`) or
/// quoted (`'key': '…'`).
fn labels(text: &str, key: &str) -> bool {
    text.contains(&format!(" {key}: '")) || text.contains(&format!("'{key}': '"))
}

/// Each of `keys` has its label in a table of one language.
fn assert_labelled(table: &str, keys: impl IntoIterator<Item = String>) {
    let text = app_labels(table);
    for key in keys {
        assert!(labels(text, &key), "{table}: no label for {key:?}");
    }
}

/// Each of `keys` has its label in the table's `zh` and `en` halves.
fn assert_labelled_in_both_languages(table: &str, keys: impl IntoIterator<Item = String>) {
    let text = app_labels(table);
    let (zh, en) = text.split_at(text.find("en: {").unwrap());
    for key in keys {
        for (lang, half) in [("zh", zh), ("en", en)] {
            assert!(labels(half, &key), "{table}: no {lang} label for {key:?}");
        }
    }
}

/// A pair's explanation shows the linkage model's comparison levels; the Chinese
/// interface has a label for each level the model can write.
#[test]
fn every_comparison_level_has_a_chinese_label() {
    let levels = ledgerline_dedupe::compare::CompareField::ALL
        .iter()
        .flat_map(|f| f.levels());
    assert_labelled("COMPARISONS_ZH", levels.map(|l| l.to_string()));
}

/// A search hit says what matched; the Chinese interface has a label for each kind.
#[test]
fn every_kind_of_search_match_has_a_chinese_label() {
    assert_labelled("MATCHED_ZH", ledgerline_search::Why::ALL.map(|w| w.label().to_string()));
}

/// A finding under a field says what it is in Chinese: every kind of finding validation
/// or OCR can make has its label.
#[test]
fn every_kind_of_finding_has_a_chinese_label() {
    let codes = ledgerline_schemas::FindingCode::ALL.iter();
    assert_labelled("FINDINGS_ZH", codes.map(|c| c.as_str().to_string()));
}

/// A refusal from the server leads with its Chinese sentence: every refusal the API can
/// answer with has one.
#[test]
fn every_refusal_has_a_chinese_sentence() {
    let refusals = ledgerline_review::api::Refusal::ALL.iter();
    assert_labelled("ERRORS_ZH", refusals.map(|r| r.code().to_string()));
}

/// Every field of the record, review status, record type and role has a label in both
/// languages.
#[test]
fn every_field_status_type_and_role_has_a_label_in_both_languages() {
    use ledgerline_schemas::{Field, RecordType, ReviewStatus};
    assert_labelled_in_both_languages("FIELD_NAMES", Field::ALL.iter().map(|f| f.name().to_string()));
    let words = (ReviewStatus::ALL.iter().map(|s| format!("status.{}", s.as_str())))
        .chain(RecordType::ALL.iter().map(|t| format!("type.{}", t.as_str())))
        .chain(
            ledgerline_search::Role::ALL
                .iter()
                .map(|r| format!("role.{}", r.name())),
        )
        .chain(
            (ledgerline_review::auth::account_actions::ALL.iter())
                .chain(&ledgerline_review::auth::login_actions::ALL)
                .map(|a| format!("action.{a}")),
        );
    assert_labelled_in_both_languages("I18N", words);
}

/// Two people on one record: the second to save sees both versions side by side, takes
/// the saved one as the base, and keeps their own edit on top of it.
#[test]
fn a_save_over_someone_elses_shows_both_and_keeps_mine() {
    use ledgerline_review::records::{self, Edit, Editor};
    let chrome = chromium().expect("chromium is not installed: run scripts/ensure-deps.sh");
    let f = fixture();
    let (_rt, base) = served(&f);
    let mut b = Browser::launch(&chrome);
    submit_login(&mut b, &base, "reviewer", PASSWORD);
    b.wait("location.hash === '#/queue'");
    b.goto(&format!("{base}/#/record/{}", rid(2)));
    b.wait(&format!(
        "document.querySelector('#record h3')?.textContent === '{}'",
        rid(2)
    ));

    // Meanwhile reviewer2 corrects the name and saves first.
    let theirs: Edit = serde_json::from_value(serde_json::json!({
        "version": 0, "action": "save", "fields": {"deceased_name": "李建图"}
    }))
    .unwrap();
    let editor = Editor {
        username: "reviewer2",
        role: ledgerline_search::Role::Reviewer,
        unmasked: true,
    };
    records::save(&f.db, &rid(2), &theirs, &editor).unwrap().unwrap();

    type_into(&mut b, "f-household_address", "济南市历城区洪家楼5号");
    b.press("KeyS", ALT);
    b.wait("document.getElementById('conflict')");
    let both = b.eval("document.getElementById('conflict').innerText");
    let both = both.as_str().unwrap();
    assert!(
        both.contains("洪家楼5号") && both.contains("洪家楼3号") && both.contains("李建图"),
        "{both}"
    );
    assert!(
        both.contains("李建国（您未改动）"),
        "the name was not this reviewer's edit: {both}"
    );

    b.eval("document.getElementById('conflict-rebase').click()");
    b.wait("document.querySelector('#record p.muted').textContent.includes('版本 1')");
    let value = |b: &mut Browser, id: &str| b.eval(&format!("document.getElementById('{id}').value"));
    assert_eq!(value(&mut b, "f-deceased_name"), "李建图", "theirs kept");
    assert_eq!(
        value(&mut b, "f-household_address"),
        "济南市历城区洪家楼5号",
        "mine on top"
    );
    b.press("KeyS", ALT);
    b.wait("document.getElementById('toast').textContent === '已暂存'");
    let view = records::view(&f.db, &rid(2), true).unwrap().unwrap();
    let field = |name: &str| view.fields.iter().find(|x| x.field == name).unwrap().value.clone();
    assert_eq!(
        (field("deceased_name"), field("household_address"), view.version),
        (Some("李建图".into()), Some("济南市历城区洪家楼5号".into()), 2)
    );
}
