// ledgerline review app: plain DOM, no build step. Every value from the server is put
// in the page as text (textContent), never as HTML, so OCR text like <script> stays text.
'use strict';

const I18N = {
  zh: {
    'nav.queue': '审核队列', 'nav.search': '检索', 'nav.dashboard': '批次看板', 'nav.users': '用户',
    logout: '退出', login: '登录', username: '用户名', password: '密码', lang: 'English',
    'queue.empty': '队列已清空，没有待处理的条目。', 'queue.next': '下一条',
    accept: '通过', save: '暂存', reject: '作废', skip: '跳过', page: '原图', audit: '修改记录',
    same: '同一人', merge: '合并所选值', different: '不是同一人', allFields: '显示全部字段', readonly: '只读：你的角色可以查看记录，不能修改。',
    'keyed.pages': '手工录入完成的页', 'keyed.by': '录入人', 'keyed.rows': '行数', 'keyed.elsewhere': '（在别处完成）', 'keyed.latest': '只列出最近完成的 {n} 页。', file: '文件',
    'kind.record': '待审核记录', 'kind.pair': '疑似重复', 'kind.page': '手工录入', 'kind.qa': '质量抽检',
    'qa.help': '批次验收抽检（GB/T 2828.1）：请对照原图逐项核对。完全无误请直接“通过”；有误请更正后通过或作废——这会计为不合格。',
    second: '二次审核：上一位审核人改动较多', machine: '识别为', version: '版本',
    'saved.verified': '已通过', 'saved.rejected': '已作废', 'saved.needs_review': '已暂存',
    'saved.second': '改动较多，已转二次审核', stale: '保存冲突', 'stale.help': '他人已先保存此记录。下表左列为您的输入，右列为当前内容。',
    'stale.reload': '以当前版本为底，保留我的修改', yours: '您的输入', untouched: '您未改动', theirs: '当前内容',
    invalid: '请先修正标红的字段', leased: '该条目正由他人处理', field: '字段', value: '值',
    when: '时间', who: '操作人', action: '操作', before: '修改前', after: '修改后',
    'pair.weight': '匹配权重', 'pair.explain': '匹配依据', 'pair.prior': '先验（未比较任何字段时）', 'pair.nameFrequency': '姓名常见度（常见姓名减分，少见姓名加分）', 'pair.total': '合计', 'pair.pick': '点击单元格选择合并值（或在行上按 1 / 2）',
    'key.row': '行号', 'key.turn': '转动原图', 'key.save': '保存此行', 'key.done': '本页录入完成', 'key.finished': '已标记录入完成：', 'key.reopen': '撤销，继续录入', 'key.reopenPage': '重新打开本页录入', 'key.reopened': '本页已重新打开，回到录入队列', 'key.rows': '已录入', 'key.help': '逐行录入原图中的内容；Enter 到下一格。',
    batch: '批次', agency: '机构', pages: '页数', records: '记录数', verified: '已核实', done: '完成度',
    waiting: '待处理', 'waiting.parts': '记录 / 疑似重复 / 待录入页', throughput: '每人每日工作量', items: '条目', corrected: '修改字段', progress: '每日核实进度',
    'search.q': '姓名、拼音、身份证号、地点、年份、日期', 'search.go': '检索', 'search.total': '条匹配',
    type: '类型', from: '日期 自', to: '至', 'dates.help': '火化或安葬日期（都没有时为死亡日期）', status: '状态', role: '角色', add: '添加', disable: '停用', enable: '启用', disabled: '已停用',
    keys: '快捷键', notFound: '未找到', error: '出错了', loading: '加载中…',
    'status.machine': '机器通过', 'status.needs_review': '待审核', 'status.verified': '已核实', 'status.rejected': '已作废',
    qa: '质量抽检', 'qa.none': '未抽检', 'qa.pending': '抽检中', 'qa.pass': '合格', 'qa.fail': '不合格', 'qa.defects': '不合格品',
    'progress.none': '尚无核实的记录。',
    'action.correct': '更正', 'action.key': '手工录入', 'action.accept': '通过', 'action.save': '暂存', 'action.reject': '作废',
    'action.same': '同一人', 'action.different': '不是同一人', 'action.merge': '合并',
    'action.user_add': '新建账户', 'action.user_update': '重设角色和密码', 'action.user_disable': '停用账户', 'action.user_enable': '启用账户',
    'action.password_change': '本人修改密码', 'action.login': '登录', 'action.login_failed': '密码错误', 'action.login_locked': '密码错误次数过多，账户锁定', 'action.logout': '退出登录', 'action.session_timeout': '超时退出',
    'logins.history': '登录记录',
    'accounts.history': '账户变更记录', account: '账户',
    'nav.password': '修改密码', 'password.change': '修改密码', 'password.current': '当前密码', 'password.new': '新密码',
    'password.again': '再次输入新密码', 'password.mismatch': '两次输入的新密码不一致', 'password.changed': '密码已修改',
    'password.due': '管理员为您设置的是临时密码，请先修改密码再开始工作。', 'password.expired': '您的密码已超过使用期限，请先修改密码再开始工作。',
    'password.rules': '密码不可用', 'password.hint': '至少 8 个字符，含大写字母、小写字母、数字、其他字符（空格、符号等）中的三类，或为 16 个字符以上的口令句；不能包含用户名。',
    'password.rule.too_short': '至少 8 个字符', 'password.rule.too_few_kinds': '须含大写字母、小写字母、数字、其他字符中的三类，或为 16 个字符以上的口令句',
    'password.rule.holds_user_name': '不能包含用户名', 'password.rule.guessed_first': '这是最常被猜到的密码之一', 'password.rule.same_as_current': '不能与当前密码相同', 'password.rule.used_before': '不能与最近用过的 5 个密码相同',
    'password.temporary': '临时密码（首次登录须修改）', 'password.due.short': '待改密码', 'password.set': '密码设置于', 'password.expired.short': '已过期',
    'role.data_entry': '录入员', 'role.reviewer': '审核员', 'role.archivist': '档案员', 'role.dba': '数据库管理员', 'role.admin': '管理员',
    'type.cremation': '火化', 'type.burial': '安葬', 'gender.0': '未知', 'gender.1': '男', 'gender.2': '女', 'gender.9': '未说明',
  },
  en: {
    'nav.queue': 'Queue', 'nav.search': 'Search', 'nav.dashboard': 'Batches', 'nav.users': 'Users',
    logout: 'Log out', login: 'Log in', username: 'User name', password: 'Password', lang: '中文',
    'queue.empty': 'The queue is empty: nothing waiting.', 'queue.next': 'Next',
    accept: 'Accept', save: 'Save', reject: 'Reject', skip: 'Skip', page: 'Page image', audit: 'History',
    same: 'Same person', merge: 'Merge chosen values', different: 'Different people', allFields: 'Show all fields', readonly: 'Read only: your role may look at records, not change them.',
    'keyed.pages': 'Pages keyed by hand', 'keyed.by': 'Keyed by', 'keyed.rows': 'Rows', 'keyed.elsewhere': '(finished elsewhere)', 'keyed.latest': 'Only the latest {n} finished are listed.', file: 'File',
    'kind.record': 'Record to review', 'kind.pair': 'Possible duplicate', 'kind.page': 'Key by hand', 'kind.qa': 'QA sample',
    'qa.help': 'Batch acceptance sample (ISO 2859-1): check every field against the page. Accept it unchanged if it is right; correcting or rejecting it counts as nonconforming.',
    second: 'Second review: the previous reviewer changed a lot', machine: 'OCR read', version: 'version',
    'saved.verified': 'Accepted', 'saved.rejected': 'Rejected', 'saved.needs_review': 'Saved',
    'saved.second': 'Many changes: sent to a second reviewer', stale: 'Conflict', 'stale.help': 'Someone saved this record first. Left: what you typed; right: what it holds now.',
    'stale.reload': 'Start from the current version, keep my changes', yours: 'Yours', untouched: 'not changed by you', theirs: 'Current',
    invalid: 'Fix the fields marked red first', leased: 'Someone else is working on this item', field: 'Field', value: 'Value',
    when: 'When', who: 'Who', action: 'Action', before: 'Before', after: 'After',
    'pair.weight': 'Match weight', 'pair.explain': 'Why they match', 'pair.prior': 'Prior (before any field is compared)', 'pair.nameFrequency': 'How common the name is (common names count less, rare ones more)', 'pair.total': 'Total', 'pair.pick': 'Click a cell to choose the merged value (or press 1 / 2 on a row)',
    'key.row': 'Row', 'key.turn': 'Turn the page', 'key.save': 'Save row', 'key.done': 'Page finished', 'key.finished': 'Marked finished: ', 'key.reopen': 'Undo, key on', 'key.reopenPage': 'Reopen keying', 'key.reopened': 'Reopened: the page is back in the keying queue', 'key.rows': 'Keyed', 'key.help': 'Key the rows from the page image; Enter moves to the next cell.',
    batch: 'Batch', agency: 'Agency', pages: 'Pages', records: 'Records', verified: 'Verified', done: 'Done',
    waiting: 'Waiting', 'waiting.parts': 'records / pairs / pages to key', throughput: 'Work per person per day', items: 'Items', corrected: 'Fields corrected', progress: 'Verified per day',
    'search.q': 'Name, pinyin, ID number, place, year, date', 'search.go': 'Search', 'search.total': 'match',
    type: 'Type', from: 'Date from', to: 'to', 'dates.help': 'cremation or burial date (the death date when neither)', status: 'Status', role: 'Role', add: 'Add', disable: 'Disable', enable: 'Enable', disabled: 'disabled',
    keys: 'Keys', notFound: 'Not found', error: 'Error', loading: 'Loading…',
    'status.machine': 'machine-accepted', 'status.needs_review': 'needs review', 'status.verified': 'verified', 'status.rejected': 'rejected',
    qa: 'QA sample', 'qa.none': 'not sampled', 'qa.pending': 'inspecting', 'qa.pass': 'passed', 'qa.fail': 'failed', 'qa.defects': 'nonconforming',
    'progress.none': 'Nothing verified yet.',
    'action.correct': 'corrected', 'action.key': 'keyed', 'action.accept': 'accepted', 'action.save': 'saved', 'action.reject': 'rejected',
    'action.same': 'same person', 'action.different': 'different people', 'action.merge': 'merged',
    'action.user_add': 'account created', 'action.user_update': 'role and password set', 'action.user_disable': 'account disabled', 'action.user_enable': 'account enabled',
    'action.password_change': 'password changed by its holder', 'action.login': 'logged in', 'action.login_failed': 'wrong password', 'action.login_locked': 'locked after wrong passwords', 'action.logout': 'logged out', 'action.session_timeout': 'session timed out',
    'logins.history': 'Logins',
    'accounts.history': 'Changes to accounts', account: 'Account',
    'nav.password': 'Password', 'password.change': 'Change password', 'password.current': 'Current password', 'password.new': 'New password',
    'password.again': 'New password again', 'password.mismatch': 'The two new passwords differ', 'password.changed': 'Password changed',
    'password.due': 'An administrator set a temporary password for you: change it before you start.', 'password.expired': 'Your password is older than this server allows: change it before you start.',
    'password.rules': 'The password cannot be used', 'password.hint': 'At least 8 characters of three kinds of lower case, upper case, digits and others (a space, a sign), or a passphrase of 16 characters or more; not holding the user name.',
    'password.rule.too_short': 'at least 8 characters', 'password.rule.too_few_kinds': 'three kinds of lower case, upper case, digits and others, or a passphrase of 16 characters or more',
    'password.rule.holds_user_name': 'not holding the user name', 'password.rule.guessed_first': 'one of the passwords guessed first', 'password.rule.same_as_current': 'not the current one', 'password.rule.used_before': 'not one of the last 5 this account had',
    'password.temporary': 'Temporary password (to change at first login)', 'password.due.short': 'password to change', 'password.set': 'Password set', 'password.expired.short': 'expired',
    'role.data_entry': 'data entry', 'role.reviewer': 'reviewer', 'role.archivist': 'archivist', 'role.dba': 'DBA', 'role.admin': 'admin',
    'type.cremation': 'cremation', 'type.burial': 'burial', 'gender.0': 'unknown', 'gender.1': 'male', 'gender.2': 'female', 'gender.9': 'unstated',
  },
};

const FIELD_NAMES = {
  zh: {
    deceased_name: '逝者姓名', gender: '性别', ethnicity: '民族', age: '年龄', id_type: '证件类型', id_number: '身份证号',
    birth_date: '出生日期', death_date: '死亡日期', death_cause: '死亡原因', death_place: '死亡地点',
    household_address: '户籍地址', household_division: '户籍区划代码', cremation_date: '火化日期',
    cremation_cert_no: '火化证号', cremation_cert_status: '火化证状态', ashes_disposition: '骨灰去向', burial_date: '安葬日期', grave_number: '墓穴号',
    cemetery_name: '公墓名称', family_name: '家属姓名', family_relation: '与逝者关系', family_phone: '家属电话',
    agency_name: '殡葬服务机构',
  },
  en: {
    deceased_name: 'Name of the deceased', gender: 'Sex', ethnicity: 'Ethnicity', age: 'Age', id_type: 'ID document type', id_number: 'ID number',
    birth_date: 'Date of birth', death_date: 'Date of death', death_cause: 'Cause of death', death_place: 'Place of death',
    household_address: 'Registered address', household_division: 'Division code (GB/T 2260)', cremation_date: 'Cremation date',
    cremation_cert_no: 'Cremation certificate no.', cremation_cert_status: 'Certificate status', ashes_disposition: 'Where the ashes went', burial_date: 'Burial date', grave_number: 'Grave number',
    cemetery_name: 'Cemetery', family_name: 'Family member', family_relation: 'Relation to the deceased', family_phone: 'Family phone',
    agency_name: 'Funeral agency',
  },
};

const FINDINGS_ZH = {
  id_checksum: '身份证号校验位不符', id_format: '身份证号格式不对', id_birth_date: '身份证号中的出生日期无效',
  id_birth_mismatch: '身份证号与出生日期不一致', id_sex_mismatch: '身份证号与性别不一致', id_address: '身份证号的地址码不存在',
  id_division_mismatch: '身份证号与户籍区划不一致', date_invalid: '日期无效', date_order: '日期先后矛盾', date_range: '日期超出合理范围',
  age_mismatch: '年龄与出生、死亡日期不符', age_range: '年龄超出合理范围', code_table: '不在国家代码表中',
  division_not_yet: '该区划代码当时尚未设立', division_retired: '该区划代码当时已撤销', phone_shape: '电话号码格式不对',
  source_row: '行号无效', confidence: '置信度无效', not_a_record: '不是一条记录',
  unreadable: '未能识别，请对照原图录入', unlabelled_column: '此列表头对应不上任何字段，请指明',
  columns_missed: '表格横线延伸到已识别的列之外，有列未识别，请对照原图补录',
  id_repaired: '身份证号已按校验码修正', division_repaired: '省市县名称已按国家区划表修正',
  date_repaired: '日期已修正为与本行其他日期相符的一个', dates_disagree: '死亡、火化、安葬日期先后不合',
  gender_from_id: '性别取自身份证号', age_from_id: '年龄由身份证号与死亡日期推算',
  pattern_repaired: '已按本列的编号格式修正', column_word: '已按本列常写的词修正', cemetery_ending: '公墓名称的结尾已修正',
  batch_word: '已按本批次其他页常写的词修正', id_from_batch: '身份证号已按本批次他页同名记录修正，请核对',
  confirmed_across_pages: '本批次他页同一身份证号的记录读出相同内容，已确认',
  contradicted_across_pages: '本批次他页同一身份证号的记录读出不同内容，其一有误，请核对',
  lone_grave_zone: '墓区在本批次其他墓位号中均未出现，可能误读，请核对',
  id_division_lookalike: '住址区县与身份证号登记地仅一字之差，可能误读，请核对',
};

// The linkage model's comparison levels (dedupe's CompareField::levels), in a pair's
// explanation; a test checks that every level has its label here.
const COMPARISONS_ZH = {
  'unknown': '无从比较', 'different': '不同', 'same': '相同', 'similar': '相近', 'exact': '完全一致',
  'one character different': '差一个字', 'same pinyin, look-alike or placeholder': '同音、形近字或占位',
  'two characters, a checksum failing': '差两位，校验不符', 'one character (OCR confusion or transposition)': '差一位（识别混淆或位置颠倒）',
  'within a year': '相差一年以内', 'day/month swapped or one digit off': '日月颠倒或差一位数字',
};

// What a search hit matched on (the search crate's Why labels, `LABEL: DETAIL`); a test
// checks that every label has its translation here.
const MATCHED_ZH = {
  'pinyin': '拼音', 'year': '年份', 'birth year': '出生年份', 'date': '日期', 'id_number': '身份证号', 'id_number prefix': '身份证号前缀',
  'id_number birth date': '身份证号中的出生日期', 'name': '姓名', 'name look-alike': '形近姓名', 'text': '地址、机构或家属',
  'cremation_cert_no': '火化证号', 'grave_number': '墓穴号',
};
const matchedText = (m) => {
  const [label, ...detail] = m.split(': ');
  const zh = lang === 'zh' && MATCHED_ZH[label];
  if (!zh) return m;
  const rest = detail.join(': ');
  return `${zh}：${rest === 'exact' ? COMPARISONS_ZH.exact : rest}`;
};

let lang = localStorage.getItem('lang') === 'en' ? 'en' : 'zh';
let me = null;
// Whether the logged-in role may make a call (`'PUT /api/records/{record_id}'`): the
// server's one table of who may call what, told at login (`may`). The app offers only
// what the server would allow.
const may = (call) => !!me?.may?.includes(call);
// Where a role starts: the queue for those who work it, the dashboard for the others.
const home = () => (may('GET /api/queue/next') ? '#/queue' : '#/dashboard');
const t = (k) => I18N[lang][k] ?? I18N.en[k] ?? k;
const fieldName = (f) => FIELD_NAMES[lang][f] || f;
const comparisonText = (c) => (lang === 'zh' && COMPARISONS_ZH[c]) || c;
// The server's refusals ({error, message}) in Chinese, its English message kept after.
const ERRORS_ZH = {
  bad_credentials: '用户名或密码不对', locked: '登录失败次数过多，请稍后再试', unauthenticated: '请先登录',
  forbidden: '您的角色不能进行此操作', csrf: '页面已过期，请刷新后重试', not_found: '未找到', stale: '他人已先保存此记录，您的修改未保存',
  leased: '该条目正由他人处理', not_leased: '此条目不在您手中，请从队列重新领取', invalid: '请先修正标红的字段',
  exists: '此行已有记录，请在该记录中更正', protected: '您的角色不能修改身份证号和电话', no_index: '尚未建立检索索引（请运行 ledgerline index）',
  no_workspace: '服务器未连接工作区', bad_query: '检索条件有误', bad_cell: '单元格编号有误', internal: '服务器出错',
  page_read: '此页已由机器识别，按识别时的方向显示，不能手动转动', not_keyed: '此页的录入尚未完成，无需撤销',
  password_change_due: '请先修改密码', wrong_password: '当前密码不对',
};
// A server's code said in Chinese from `table`, its English detail kept after it; the
// detail alone in English, or for a code the table lacks.
const inChinese = (table, code, detail) => {
  const zh = lang === 'zh' && table[code];
  if (!zh) return detail;
  return detail ? `${zh}（${detail}）` : zh;
};
const errorText = (data, fallback = 'error') => inChinese(ERRORS_ZH, data?.error, data?.message) || t(fallback);
// A password refused says the rule it breaks in the user's language.
const passwordError = (data) => (data?.error === 'invalid' && data.rule ? `${t('password.rules')}：${t('password.rule.' + data.rule)}` : errorText(data));
// A repair says in Chinese what it did and what was read before it (识别为「济甫市…」),
// not its English message; other findings keep theirs after the Chinese, without the
// English name of the field it stands under (`household_address: `).
const findingText = (x) => {
  if (lang === 'zh' && FINDINGS_ZH[x.code] && x.read != null) return `${FINDINGS_ZH[x.code]}（${t('machine')}「${x.read}」）`;
  const named = lang === 'zh' && FINDINGS_ZH[x.code] && x.message?.startsWith(`${x.field}: `);
  return inChinese(FINDINGS_ZH, x.code, named ? x.message.slice(x.field.length + 2) : x.message);
};
const $ = (sel, root = document) => root.querySelector(sel);

// h('div', {class: 'x', onclick: f}, 'text', child) — strings become text nodes.
function h(tag, props, ...kids) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v == null || v === false) continue;
    if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
    else if (k === 'class') el.className = v;
    else if (k === 'value') el.value = v;
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const kid of kids.flat(Infinity)) {
    if (kid == null || kid === false) continue;
    el.append(kid instanceof Node ? kid : document.createTextNode(String(kid)));
  }
  return el;
}

function toast(msg) {
  const el = $('#toast');
  el.textContent = msg;
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 2500);
}

async function api(method, path, body) {
  const headers = { Accept: 'application/json' };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (method !== 'GET' && me) headers['X-CSRF-Token'] = me.csrf_token;
  const res = await fetch(path, { method, headers, credentials: 'same-origin', body: body === undefined ? undefined : JSON.stringify(body) });
  const data = await res.json().catch(() => ({}));
  if (res.status === 401 && path !== '/api/login') { me = null; render(); }
  return { status: res.status, ok: res.ok, data };
}

const enc = encodeURIComponent;

// ---- keyboard: one table of shortcuts for the current screen ----
let shortcuts = {};
function setKeys(map) { shortcuts = map; }
document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && !$('#overlay').hidden) { closeOverlay(); e.preventDefault(); return; }
  const combo = (e.ctrlKey ? 'Ctrl+' : '') + (e.altKey ? 'Alt+' : '') + (e.code.startsWith('Key') ? e.code.slice(3) : e.key);
  const f = shortcuts[combo];
  if (f) { e.preventDefault(); f(e); }
});
const keyHelp = (pairs) => h('div', { class: 'keys' }, t('keys') + ': ', pairs.map(([k, label]) => [h('kbd', {}, k), ' ', label, '  ']));

// ---- screens ----
function render() {
  // Each screen draws into a view of its own. One still waiting for the server when the
  // user moved on (the queue's first item, asked for at login, while the admin already
  // opened 用户) finds its view gone from the page and draws nothing, instead of
  // drawing itself over the screen the user is on.
  const main = h('div', { class: 'view' });
  $('#main').replaceChildren(main);
  setKeys({});
  // Logged out, the bar keeps only the name and the language switch.
  for (const id of ['#nav', '#who', '#logout']) $(id).hidden = !me;
  if (!me) return loginScreen(main);
  $('#who').textContent = `${me.username} · ${t('role.' + me.role)}`;
  // A temporary password is changed before anything else: the server refuses the rest.
  if (me.password_change_due) { $('#nav').hidden = true; return passwordScreen(main); }
  $('#nav-users').hidden = !may('GET /api/users');
  $('#nav-queue').hidden = !may('GET /api/queue/next');
  const screens = { queue: queueScreen, record: recordScreen, search: searchScreen, dashboard: dashboardScreen, users: usersScreen, password: passwordScreen };
  const [_, asked, ...rest] = (location.hash || home()).split('/');
  // An unknown screen, or the queue for a role that does not work it, is the role's home.
  const screen = screens[asked] && (asked !== 'queue' || may('GET /api/queue/next')) ? asked : home().slice(2);
  document.querySelectorAll('header nav a').forEach((a) => a.classList.toggle('on', a.getAttribute('href') === `#/${screen}`));
  screens[screen](main, rest.map(decodeURIComponent).join('/'));
}

function loginScreen(main) {
  const err = h('p', { class: 'err', id: 'login-error' });
  const user = h('input', { id: 'username', autocomplete: 'username', autofocus: true });
  const pass = h('input', { id: 'password', type: 'password', autocomplete: 'current-password' });
  const form = h('form', { class: 'card login', onsubmit: async (e) => {
    e.preventDefault();
    const r = await api('POST', '/api/login', { username: user.value, password: pass.value });
    if (r.ok) { me = r.data; if (!location.hash) location.hash = home(); render(); } else err.textContent = errorText(r.data);
  } }, h('h2', {}, 'ledgerline'), h('label', { for: 'username' }, t('username')), user,
  h('label', { for: 'password' }, t('password')), pass, h('p', {}, h('button', { class: 'primary', type: 'submit' }, t('login'))), err);
  main.append(form);
  user.focus();
}

// The logged-in person's own password; the only screen while it is a temporary one, or
// one older than the server allows.
function passwordScreen(main) {
  const err = h('p', { class: 'err', id: 'password-error' });
  const field = (id, autocomplete) => h('input', { id, type: 'password', autocomplete });
  const current = field('current-password', 'current-password');
  const next = field('new-password', 'new-password');
  const again = field('new-password-again', 'new-password');
  const form = h('form', { class: 'card login', onsubmit: async (e) => {
    e.preventDefault();
    if (next.value !== again.value) { err.textContent = t('password.mismatch'); return; }
    const r = await api('POST', '/api/me/password', { current_password: current.value, new_password: next.value });
    if (!r.ok) { err.textContent = passwordError(r.data); return; }
    me = r.data;
    toast(t('password.changed'));
    location.hash = home();
    render();
  } }, h('h2', {}, t('password.change')),
  me.password_change_due ? h('p', { id: 'password-due' }, t(me.password_expired ? 'password.expired' : 'password.due')) : null,
  [['current-password', 'password.current', current], ['new-password', 'password.new', next], ['new-password-again', 'password.again', again]]
    .map(([id, label, input]) => [h('label', { for: id }, t(label)), input]),
  h('p', { class: 'muted', id: 'password-hint' }, t('password.hint')),
  h('p', {}, h('button', { class: 'primary', type: 'submit' }, t('password.change'))), err);
  main.append(form);
  current.focus();
}

async function queueScreen(main) {
  main.append(h('p', { class: 'muted' }, t('loading')));
  const r = await api('GET', '/api/queue/next');
  if (!main.isConnected) return;
  main.replaceChildren();
  if (!r.ok) return main.append(h('p', { class: 'err' }, errorText(r.data)));
  const item = r.data.item;
  if (justKeyed) main.append(undoKeyingBanner(justKeyed));
  justKeyed = null;
  if (!item) {
    setKeys({ 'Alt+N': () => render() });
    return main.append(h('div', { class: 'card', id: 'queue-empty' }, t('queue.empty'), ' ', h('button', { onclick: render }, t('queue.next'))));
  }
  const next = () => render();
  const skip = async () => { await api('POST', `/api/queue/${enc(item.item_id)}/skip`); next(); };
  main.append(h('p', { class: 'muted', id: 'item-kind' }, t('kind.' + item.kind), ' · ', item.batch_id, item.second_review ? [' · ', h('strong', {}, t('second'))] : null));
  if (item.kind === 'qa') main.append(h('p', { class: 'card', id: 'qa-banner' }, t('qa.help')));
  if (item.kind === 'record' || item.kind === 'qa') recordEditor(main, r.data.record, { onDone: next, onSkip: skip });
  else if (item.kind === 'pair') pairEditor(main, r.data.pair, { onDone: next, onSkip: skip });
  else keyingEditor(main, r.data.page, { onDone: next, onSkip: skip });
}

// The page a clerk has just marked finished, offered back on the next screen: 本页录入完成
// pressed a row too soon would otherwise leave the page's last rows unkeyed for good.
let justKeyed = null;
function undoKeyingBanner(page) {
  const status = h('span', { class: 'err' });
  const reopen = async () => {
    const r = await api('POST', `/api/pages/${enc(page.page_id)}/reopen`);
    if (r.ok) render(); else status.textContent = errorText(r.data);
  };
  return h('p', { class: 'card', id: 'key-undo' }, t('key.finished'), page.file_name, ' ',
    h('button', { id: 'key-reopen', onclick: reopen }, t('key.reopen')), ' ', status);
}

async function recordScreen(main, id) {
  const r = await api('GET', `/api/records/${enc(id)}`);
  if (!main.isConnected) return;
  if (!r.ok) return main.append(h('p', { class: 'err' }, errorText(r.data, 'notFound')));
  recordEditor(main, r.data, { onDone: () => recordScreen(main.replaceChildren() || main, id) });
}

function confClass(c) {
  if (c == null) return '';
  return c >= 0.8 ? 'conf-high' : c >= 0.5 ? 'conf-mid' : 'conf-low';
}

// What a form's inputs hold, an empty one as null.
function typedValues(inputs) {
  return Object.fromEntries(Object.entries(inputs).map(([k, el]) => [k, el.value.trim() === '' ? null : el.value]));
}

// A field's findings under it: red for an error, amber for a warning.
function showFindingsIn(el, list) {
  el.textContent = list.map(findingText).join('；');
  el.className = 'msg' + (list.some((x) => x.severity === 'error') ? '' : ' warn');
}

// Validation while typing, for the record editor and for keying: each field's findings
// (through `show`), and under it what its text will be stored as (女 → 2, 2013年4月11日 →
// 2013-04-11) or what its code means.
function liveValidation(inputs, show, meanings) {
  let timer;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const r = await api('POST', '/api/validate', { fields: typedValues(inputs) });
      if (!r.ok) return;
      const by = {};
      for (const x of r.data.findings) (by[x.field] ||= []).push(x);
      for (const p of r.data.problems) (by[p.field] ||= []).push({ severity: 'error', message: p.message });
      for (const f of Object.keys(inputs)) show(f, by[f] || []);
      for (const [f, el] of Object.entries(meanings)) {
        const std = r.data.standard[f];
        const typed = inputs[f].value.trim();
        el.textContent = !std ? '' : std.value !== typed ? `→ ${std.value}${std.meaning ? ' ' + std.meaning : ''}` : (std.meaning ?? '');
      }
    }, 120);
  };
}

// The record view: every field with its crop, value, confidence and findings.
function recordEditor(main, view, { onDone, onSkip }) {
  // An archivist opens records from search to look at them: no buttons that would be refused.
  const editable = may('PUT /api/records/{record_id}');
  let showAll = false;
  const inputs = {};
  const msgs = {};
  const meanings = {};
  const card = h('div', { class: 'card', id: 'record' });
  const status = h('p', { class: 'err', id: 'record-error' });
  main.append(card);

  const header = h('div', {},
    h('h3', {}, view.record_id),
    h('p', { class: 'muted' }, `${view.batch_id} · ${view.page_file} · ${lang === 'zh' ? '第' + view.row + '行' : 'row ' + view.row} · ${t('status.' + view.status)} · ${t('version')} ${view.version}`,
      view.updated_by ? ` · ${view.updated_by}` : ''),
    // What the machine found about the row as a whole (columns it could not find).
    view.record_findings?.length ? h('p', { class: 'msg', id: 'record-findings' }, view.record_findings.map(findingText).join('；')) : null);
  const grid = h('div', { class: 'fields' });
  // A record a person verified or rejected is theirs, field by field: the machine's
  // confidence (still shown as a number) no longer colours it as doubtful.
  const settled = view.status === 'verified' || view.status === 'rejected';
  const drawFields = () => {
    grid.replaceChildren();
    for (const f of view.fields) {
      const relevant = showAll || f.cell || f.value != null || f.machine_value != null || f.findings.length || f.machine_findings?.length;
      if (!relevant) continue;
      const input = h('input', { name: f.field, id: 'f-' + f.field, value: f.value ?? '', autocomplete: 'off', spellcheck: 'false', readonly: !editable });
      input.addEventListener('input', liveValidate);
      input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.ctrlKey && !e.altKey) { e.preventDefault(); focusNext(input); } });
      inputs[f.field] = input;
      const hidden = view.masked && (f.field === 'id_number' || f.field === 'family_phone');
      const crop = f.cell && !hidden ? h('img', { class: 'crop', alt: '', src: `/api/pages/${enc(view.page_id)}/cells/${f.cell}/crop` }) : h('span', { class: 'muted' }, '—');
      meanings[f.field] = h('div', { class: 'meaning', id: 'means-' + f.field }, f.meaning ?? '');
      grid.append(h('label', { for: 'f-' + f.field }, fieldName(f.field),
        f.confidence != null ? h('div', { class: 'muted' }, `${Math.round(f.confidence * 100)}%`) : null),
      h('div', { class: settled ? '' : confClass(f.confidence) }, input, meanings[f.field], f.machine_value != null ? h('div', { class: 'was' }, `${t('machine')}: ${f.machine_value}`) : null),
      crop);
      msgs[f.field] = h('div', { class: 'msg', id: 'msg-' + f.field });
      grid.append(msgs[f.field]);
      showFindings(f.field, f.findings);
    }
  };
  // The machine's findings on a field (an unreadable cell, a repair) stand beside
  // validation's while the field holds what the machine read.
  const opened = Object.fromEntries(view.fields.map((f) => [f.field, f]));
  const showFindings = (field, list) => {
    const f = opened[field];
    const read = f && (inputs[field]?.value ?? '') === (f.value ?? '') ? f.machine_findings ?? [] : [];
    if (msgs[field]) showFindingsIn(msgs[field], [...list, ...read]);
  };
  const values = () => typedValues(inputs);
  const liveValidate = liveValidation(inputs, showFindings, meanings);
  const focusNext = (el) => {
    const list = Object.values(inputs);
    const i = list.indexOf(el);
    (list[i + 1] || list[0]).focus();
  };

  async function submit(action) {
    const r = await api('PUT', `/api/records/${enc(view.record_id)}`, { version: view.version, fields: values(), action });
    if (r.ok) {
      toast(r.data.second_review ? t('saved.second') : t('saved.' + r.data.status));
      if (action === 'save') { view.version = r.data.version; return; }
      return onDone();
    }
    if (r.status === 409 && r.data.error === 'stale') return conflictView(r.data);
    if (r.status === 422) {
      status.textContent = t('invalid') + ' ' + (r.data.problems || []).join('；');
      for (const x of r.data.findings || []) if (x.severity === 'error') showFindings(x.field, [x]);
      return;
    }
    status.textContent = errorText(r.data);
  }

  function conflictView(err) {
    const mine = values();
    const cur = err.current;
    // What this person changed, against the version they opened.
    const edited = Object.fromEntries(Object.entries(mine).filter(([k, v]) => (view.fields.find((f) => f.field === k)?.value ?? null) !== v));
    const rows = cur.fields.filter((f) => (mine[f.field] ?? null) !== (f.value ?? null) && f.field in mine);
    // A field only the other person changed shows the value this person had, marked as
    // not theirs: taking the saved version keeps the other person's value there.
    const yours = (f) => f in edited ? mine[f] ?? '—' : h('span', { class: 'muted' }, `${mine[f] ?? '—'}（${t('untouched')}）`);
    const box = h('div', { class: 'card conflict', id: 'conflict' }, h('h3', {}, t('stale')), h('p', {}, errorText(err)), h('p', { class: 'muted' }, t('stale.help')),
      h('table', {}, h('tr', {}, h('th', {}, t('field')), h('th', {}, t('yours')), h('th', {}, t('theirs'))),
        rows.map((f) => h('tr', {}, h('td', {}, fieldName(f.field)), h('td', {}, yours(f.field)), h('td', {}, f.value ?? '—')))),
      h('div', { class: 'actions' }, h('button', { class: 'primary', id: 'conflict-rebase', onclick: () => {
        // Take the saved version as the base and put the person's own edits back on top.
        view = cur;
        for (const f of view.fields) if (f.field in edited) f.value = edited[f.field];
        main.replaceChildren();
        recordEditor(main, view, { onDone, onSkip });
      } }, t('stale.reload'))));
    card.after(box);
    $('#conflict-rebase').focus();
  }

  const buttons = h('div', { class: 'actions' },
    editable ? [
      h('button', { class: 'primary', id: 'accept', onclick: () => submit('accept') }, t('accept')),
      h('button', { id: 'save', onclick: () => submit('save') }, t('save')),
      h('button', { class: 'danger', id: 'reject', onclick: () => submit('reject') }, t('reject')),
    ] : h('span', { class: 'muted', id: 'record-readonly' }, t('readonly')),
    onSkip ? h('button', { id: 'skip', onclick: onSkip }, t('skip')) : null,
    h('button', { id: 'show-page', onclick: () => pageOverlay(view.page_id, view.row) }, t('page')),
    h('button', { id: 'show-audit', onclick: () => auditPanel(view.record_id, card) }, t('audit')),
    h('label', {}, h('input', { type: 'checkbox', id: 'all-fields', onchange: (e) => { showAll = e.target.checked; drawFields(); } }), ' ', t('allFields')));
  card.append(header, grid, status, buttons,
    keyHelp([...(editable ? [['Ctrl+Enter / Alt+A', t('accept')], ['Alt+S', t('save')], ['Alt+X', t('reject')]] : []),
      ...(onSkip ? [['Alt+K', t('skip')]] : []), ['Alt+P', t('page')], ['Alt+H', t('audit')], ['Enter', '↓']]));
  drawFields();
  const changes = editable ? { 'Ctrl+Enter': () => submit('accept'), 'Alt+A': () => submit('accept'), 'Alt+S': () => submit('save'), 'Alt+X': () => submit('reject') } : {};
  setKeys({
    ...changes,
    'Alt+K': () => onSkip && onSkip(), 'Alt+P': () => pageOverlay(view.page_id, view.row), 'Alt+H': () => auditPanel(view.record_id, card),
  });
  // Start where the machine was least sure.
  const first = [...view.fields].filter((f) => inputs[f.field]).sort((a, b) => (a.findings.length ? -1 : 0) - (b.findings.length ? -1 : 0) || (a.confidence ?? 1) - (b.confidence ?? 1))[0];
  (first ? inputs[first.field] : Object.values(inputs)[0])?.focus();
}

const fmtTime = (s) => new Date(s * 1000).toLocaleString(lang === 'zh' ? 'zh-CN' : 'en-GB');
const fmtDate = (s) => new Date(s * 1000).toLocaleDateString(lang === 'zh' ? 'zh-CN' : 'en-GB');

// Audit entries, one a row: when, who, what, of what (`whatOf`, headed `whatHeader`), and
// the value before and after (`shown` of the entry and the value).
const auditTable = (entries, whatHeader, whatOf, shown) =>
  h('table', {}, h('tr', {}, [t('when'), t('who'), t('action'), whatHeader, t('before'), t('after')].map((x) => h('th', {}, x))),
    entries.map((e) => h('tr', {}, h('td', {}, fmtTime(e.at)), h('td', {}, e.username), h('td', {}, t('action.' + e.action)),
      h('td', {}, whatOf(e)), h('td', {}, shown(e, e.before)), h('td', {}, shown(e, e.after)))));

async function auditPanel(recordId, after) {
  const r = await api('GET', `/api/records/${enc(recordId)}/audit`);
  if (!r.ok) return toast(errorText(r.data));
  $('#audit')?.remove();
  // An entry without a field is the record's own: its before and after are statuses.
  const shown = (e, v) => (e.field ? v : I18N[lang]['status.' + v] ?? v) ?? '';
  after.after(h('div', { class: 'card', id: 'audit' }, h('h3', {}, t('audit')),
    auditTable(r.data.entries, t('field'), (e) => (e.field ? fieldName(e.field) : ''), shown)));
}

function closeOverlay() { const o = $('#overlay'); o.hidden = true; o.replaceChildren(); }

// The whole page, zoomable (+ / -), with the row's cells highlighted.
async function pageOverlay(pageId, row, { onReopened } = {}) {
  const r = await api('GET', `/api/pages/${enc(pageId)}`);
  if (!r.ok) return toast(errorText(r.data));
  const o = $('#overlay');
  let zoom = Math.min(1, (window.innerWidth - 40) / (r.data.page.width || 1000));
  const wrap = h('div', { class: 'pagewrap', id: 'page-image' });
  const img = h('img', { src: `/api/pages/${enc(pageId)}/image`, alt: r.data.page.file_name });
  wrap.append(img);
  const cells = r.data.cells.filter((c) => c.row === row);
  // Zoom sizes the image in the layout (not a transform), so the page stays centred and
  // every part of it can be scrolled to; the row's box is scaled with it.
  const width = r.data.page.width || 1000;
  const height = r.data.page.height || width * 0.7;
  // A page read turned (scanned upside down or sideways) is shown as it was read: the
  // picture and the row's box turn together, in a frame the size of the turned page.
  const turns = (r.data.page.quarter_turns || 0) % 4;
  const frame = turns ? h('div', { class: 'pageframe' }, wrap) : wrap;
  let box = null;
  const hl = h('div', { class: 'hl', id: 'row-highlight' });
  if (cells.length) {
    const x0 = Math.min(...cells.map((c) => c.x)), y0 = Math.min(...cells.map((c) => c.y));
    const x1 = Math.max(...cells.map((c) => c.x + c.w)), y1 = Math.max(...cells.map((c) => c.y + c.h));
    box = { x0, y0, x1, y1 };
    wrap.append(hl);
    setTimeout(() => (turns ? hl.scrollIntoView({ block: 'center', inline: 'center' }) : o.scrollTo(0, y0 * zoom - 100)), 50);
  }
  const px = (v) => v * zoom + 'px';
  const apply = () => {
    // Both sides from the page's size, so the layout (and the row's box on it) is right
    // before the picture arrives, not only once it has loaded.
    img.style.width = px(width);
    if (r.data.page.height) img.style.height = px(height);
    if (box) Object.assign(hl.style, { left: px(box.x0), top: px(box.y0), width: px(box.x1 - box.x0), height: px(box.y1 - box.y0) });
    if (turns) {
      const [w, ht] = [px(width), px(height)];
      Object.assign(frame.style, { width: turns === 2 ? w : ht, height: turns === 2 ? ht : w });
      wrap.style.transform = { 1: `translateX(${ht}) rotate(90deg)`, 2: `translate(${w}, ${ht}) rotate(180deg)`, 3: `translateY(${w}) rotate(-90deg)` }[turns];
    }
  };
  apply();
  // A page keyed by hand and marked finished goes back to keying from here, for whoever
  // finds rows missing on it (the server lets its keyer and reviewers).
  const keyed = r.data.page.status === 'keyed' && may('POST /api/pages/{page_id}/reopen');
  const reopen = async () => {
    const res = await api('POST', `/api/pages/${enc(pageId)}/reopen`);
    toast(res.ok ? t('key.reopened') : errorText(res.data));
    if (res.ok) { closeOverlay(); onReopened?.(); }
  };
  o.replaceChildren(h('button', { class: 'close', onclick: closeOverlay }, '× Esc'),
    keyed && h('button', { id: 'page-reopen', onclick: reopen }, t('key.reopenPage')), frame);
  o.hidden = false;
  const prev = shortcuts;
  setKeys({ '+': () => { zoom *= 1.25; apply(); }, '=': () => { zoom *= 1.25; apply(); }, '-': () => { zoom /= 1.25; apply(); }, 'Escape': () => { closeOverlay(); setKeys(prev); } });
  const obs = new MutationObserver(() => { if (o.hidden) { setKeys(prev); obs.disconnect(); } });
  obs.observe(o, { attributes: true });
}

// A weight with its sign, as the linkage model adds them up: +14.20, −3.10.
const signed = (w) => (w == null ? '' : (w > 0 ? '+' : w < 0 ? '−' : '') + Math.abs(Number(w)).toFixed(2));
const signClass = (w) => (w > 0 ? 'for' : w < 0 ? 'against' : '');

// A pair's explanation as rows of [what, how it compared, weight, row class], in the
// order the model adds them up (Splink's waterfall): the prior, every field, the name's
// frequency, and the total, which is the pair's match weight. An explanation stored as
// a bare list of fields (before the prior was kept) shows its fields alone.
function explanationRows(pair) {
  const e = pair.explanation;
  const fields = Array.isArray(e?.fields) ? e.fields : Array.isArray(e) ? e : [];
  const rows = fields.map((f) => [fieldName(f.field ?? ''), comparisonText(f.comparison ?? ''), f.weight]);
  if (!rows.length || Array.isArray(e) || e?.prior_weight == null) return rows;
  return [
    [t('pair.prior'), '', e.prior_weight, 'prior'],
    ...rows,
    ...(e.name_frequency_adjustment != null ? [[t('pair.nameFrequency'), '', e.name_frequency_adjustment]] : []),
    [t('pair.total'), `p=${pair.match_probability.toFixed(3)}`, e.match_weight ?? pair.match_weight, 'total'],
  ];
}

// Two records side by side; differing fields highlighted; choose values to merge.
function pairEditor(main, pair, { onDone, onSkip }) {
  const chosen = {};
  const card = h('div', { class: 'card pair', id: 'pair' });
  const fields = pair.a.fields.map((f, i) => [f, pair.b.fields[i]]).filter(([x, y]) => x.value != null || y.value != null);
  const table = h('table', {}, h('tr', {}, h('th', {}, t('field')), h('th', {}, pair.record_a), h('th', {}, pair.record_b)));
  for (const [x, y] of fields) {
    const differs = pair.differing.includes(x.field);
    const pick = (side, td, other) => { chosen[x.field] = side === 'a' ? x.value : y.value; td.classList.add('chosen'); other.classList.remove('chosen'); };
    // A code with what it means (1 男), as the record view shows it.
    const cell = (f) => h('td', { class: 'pick' }, f.value ?? '—', f.meaning ? h('span', { class: 'meaning' }, ' ' + f.meaning) : null);
    const ta = cell(x);
    const tb = cell(y);
    ta.addEventListener('click', () => pick('a', ta, tb));
    tb.addEventListener('click', () => pick('b', tb, ta));
    const tr = h('tr', { class: differs ? 'diff' : '', tabindex: differs ? 0 : null, 'data-field': x.field }, h('td', {}, fieldName(x.field)), ta, tb);
    tr.addEventListener('keydown', (e) => { if (e.key === '1') pick('a', ta, tb); if (e.key === '2') pick('b', tb, ta); });
    table.append(tr);
  }
  const explain = explanationRows(pair);
  const status = h('p', { class: 'err' });
  async function decide(decision, merge) {
    const body = { decision, values: merge ? chosen : {}, versions: { a: pair.a.version, b: pair.b.version } };
    const r = await api('POST', `/api/pairs/${enc(pair.record_a)}/${enc(pair.record_b)}`, body);
    if (r.ok) { toast(t(decision === 'same' ? (merge ? 'merge' : 'same') : 'different')); return onDone(); }
    status.textContent = errorText(r.data);
  }
  card.append(h('p', {}, `${t('pair.weight')}: ${pair.match_weight.toFixed(1)} (p=${pair.match_probability.toFixed(3)})`), table,
    h('p', { class: 'muted' }, t('pair.pick')),
    explain.length ? h('details', { open: true }, h('summary', {}, t('pair.explain')),
      h('table', { id: 'pair-why' }, explain.map(([what, how, weight, kind]) =>
        h('tr', { class: kind ?? '' }, h('td', {}, what), h('td', {}, how), h('td', { class: 'weight ' + signClass(weight) }, signed(weight)))))) : null,
    status,
    h('div', { class: 'actions' },
      h('button', { class: 'primary', id: 'same', onclick: () => decide('same', false) }, t('same')),
      h('button', { id: 'merge', onclick: () => decide('same', true) }, t('merge')),
      h('button', { class: 'danger', id: 'different', onclick: () => decide('different', false) }, t('different')),
      h('button', { id: 'skip', onclick: onSkip }, t('skip'))),
    keyHelp([['Alt+Y', t('same')], ['Alt+M', t('merge')], ['Alt+D', t('different')], ['Alt+K', t('skip')], ['1 / 2', '←/→']]));
  main.append(card);
  setKeys({ 'Alt+Y': () => decide('same', false), 'Alt+M': () => decide('same', true), 'Alt+D': () => decide('different', false), 'Alt+K': () => onSkip() });
  (card.querySelector('tr[tabindex]') || $('#same')).focus();
}

// A page OCR could not read: the image beside a row-by-row form.
function keyingEditor(main, pv, { onDone, onSkip }) {
  let row = (pv.rows.reduce((m, r) => Math.max(m, r.row), 0) || 0) + 1;
  const inputs = {};
  const done = h('ul', { id: 'keyed' }, pv.rows.map((r) => h('li', {}, `${r.row}: ${r.deceased_name ?? ''}`)));
  const rowLabel = h('strong', { id: 'key-row' }, String(row));
  const status = h('p', { class: 'err' });
  const form = h('div', { class: 'fields' });
  const msgs = {};
  const meanings = {};
  const liveValidate = liveValidation(inputs, (f, list) => showFindingsIn(msgs[f], list), meanings);
  for (const f of pv.key_fields) {
    const input = h('input', { id: 'k-' + f, name: f, autocomplete: 'off' });
    input.addEventListener('keydown', (e) => { if (e.key === 'Enter' && !e.ctrlKey) { e.preventDefault(); const l = Object.values(inputs); (l[l.indexOf(input) + 1] || l[0]).focus(); } });
    input.addEventListener('input', liveValidate);
    inputs[f] = input;
    meanings[f] = h('div', { class: 'meaning', id: 'key-means-' + f });
    msgs[f] = h('div', { class: 'msg' });
    form.append(h('label', { for: 'k-' + f }, fieldName(f)), h('div', {}, input, meanings[f], msgs[f]));
  }
  async function saveRow() {
    const fields = typedValues(inputs);
    const r = await api('POST', `/api/pages/${enc(pv.page.page_id)}/rows`, { row, fields });
    if (!r.ok) { status.textContent = errorText(r.data) + ' ' + (r.data.problems || []).join('；') + ' ' + (r.data.findings || []).filter((x) => x.severity === 'error').map(findingText).join('；'); return; }
    status.textContent = '';
    done.append(h('li', {}, `${row}: ${fields.deceased_name ?? ''}`));
    row += 1;
    rowLabel.textContent = String(row);
    for (const el of Object.values(inputs)) el.value = '';
    for (const el of [...Object.values(meanings), ...Object.values(msgs)]) el.textContent = '';
    Object.values(inputs)[0].focus();
  }
  async function finish() {
    const r = await api('POST', `/api/pages/${enc(pv.page.page_id)}/done`);
    if (!r.ok) return void (status.textContent = errorText(r.data));
    justKeyed = pv.page;
    onDone();
  }
  // A page sent to keying has no table OCR could find, so how it lies is not known: a
  // page scanned sideways or upside down is turned by the clerk, a quarter at a time,
  // and kept so for whoever opens it next. A page read short of rows has its cells found
  // on it as it lies (the rows read are listed below, the next row follows them): it
  // stays as it was read.
  const turnable = pv.cells.length === 0;
  let turns = (pv.page.quarter_turns || 0) % 4;
  const img = h('canvas', { id: 'keying-image', 'aria-label': pv.page.file_name });
  const source = new Image();
  // The rows OCR read on a page read short of rows, shaded on it: keying goes on below.
  const body = pv.cells.filter((c) => c.row > 0);
  const readBand = body.length
    ? [Math.min(...body.map((c) => c.x)), Math.min(...body.map((c) => c.y)),
      Math.max(...body.map((c) => c.x + c.w)), Math.max(...body.map((c) => c.y + c.h))]
    : null;
  const draw = () => {
    const [w, ht] = [source.naturalWidth, source.naturalHeight];
    [img.width, img.height] = turns % 2 ? [ht, w] : [w, ht];
    const c = img.getContext('2d');
    c.translate(img.width / 2, img.height / 2);
    c.rotate((turns * Math.PI) / 2);
    c.drawImage(source, -w / 2, -ht / 2);
    if (readBand) {
      // Cell boxes are in the file's pixels as it lies, as the picture is drawn here.
      const [x0, y0, x1, y1] = readBand;
      c.fillStyle = 'rgba(0, 128, 0, 0.18)';
      c.fillRect(x0 - w / 2, y0 - ht / 2, x1 - x0, y1 - y0);
      img.dataset.readBand = readBand.join(',');
    }
    img.dataset.turns = String(turns); // drawn so
  };
  // Each turn is sent after the one before has been kept, so the last one pressed stays.
  let keeping = Promise.resolve();
  const turn = () => {
    turns = (turns + 1) % 4;
    if (source.complete) draw();
    const wanted = turns;
    keeping = keeping.then(async () => {
      const r = await api('POST', `/api/pages/${enc(pv.page.page_id)}/turn`, { quarter_turns: wanted });
      if (r.ok) img.dataset.kept = String(wanted); else status.textContent = errorText(r.data);
    });
  };
  source.onload = draw;
  source.src = `/api/pages/${enc(pv.page.page_id)}/image`;
  // The page beside the form, held in view while the form scrolls: a clerk keys row
  // after row looking from one to the other.
  main.append(h('div', { class: 'card', id: 'keying' },
    h('p', {}, `${pv.page.file_name} — ${pv.page.reason ?? ''}`), h('p', { class: 'muted' }, t('key.help')),
    h('div', { class: 'keying-layout' },
      h('div', { class: 'keying-page', id: 'keying-page' }, img),
      h('div', {},
        h('p', {}, t('key.row'), ' ', rowLabel), form, status,
        h('div', { class: 'actions' }, h('button', { class: 'primary', id: 'key-save', onclick: saveRow }, t('key.save')),
          h('button', { id: 'key-done', onclick: finish }, t('key.done')), h('button', { id: 'skip', onclick: onSkip }, t('skip')),
          turnable && h('button', { id: 'key-turn', onclick: turn }, '↻ ' + t('key.turn'))),
        h('p', {}, t('key.rows')), done,
        keyHelp([['Ctrl+Enter / Alt+A', t('key.save')], ['Alt+E', t('key.done')], ['Alt+K', t('skip')], turnable && ['Alt+R', t('key.turn')]].filter(Boolean))))));
  setKeys({ 'Ctrl+Enter': saveRow, 'Alt+A': saveRow, 'Alt+E': finish, 'Alt+K': () => onSkip(), ...(turnable ? { 'Alt+R': turn } : {}) });
  Object.values(inputs)[0]?.focus();
}

function searchScreen(main) {
  const q = h('input', { id: 'q', placeholder: t('search.q'), size: 40 });
  const type = h('select', { id: 'type' }, h('option', { value: '' }, t('type')), h('option', { value: 'cremation' }, t('type.cremation')), h('option', { value: 'burial' }, t('type.burial')));
  const from = h('input', { id: 'from', type: 'date', title: t('dates.help') });
  const to = h('input', { id: 'to', type: 'date', title: t('dates.help') });
  const status = h('select', { id: 'status' }, ['', 'verified', 'machine', 'needs_review', 'rejected'].map((s) => h('option', { value: s }, s ? t('status.' + s) : `${t('status')}: ${t('status.verified')}`)));
  const out = h('div', { id: 'results' });
  async function go(e) {
    e?.preventDefault();
    const params = new URLSearchParams({ q: q.value, type: type.value, from: from.value, to: to.value, status: status.value });
    const r = await api('GET', '/api/search?' + params);
    out.replaceChildren();
    if (!r.ok) return out.append(h('p', { class: 'err' }, errorText(r.data)));
    out.append(h('p', { class: 'muted' }, `${r.data.total} ${t('search.total')}`));
    // A hit is the record's stored summary, with why it matched.
    for (const x of r.data.hits) {
      out.append(h('div', { class: 'hit' },
        h('a', { href: `#/record/${enc(x.record_id)}` }, x.name ?? x.record_id), ' ',
        [x.gender && t('gender.' + x.gender), x.id_number, x.birth_date, x.death_date, x.household_address].filter(Boolean).join(' · '),
        h('div', { class: 'why' }, `${x.batch} · ${x.page} · ${lang === 'zh' ? '第' + x.row + '行' : 'row ' + x.row} · ${t('status.' + x.status)} · ${x.matched.map(matchedText).join('；')}`)));
    }
  }
  // The dates bound the record's event date (search's event_date), which they say.
  main.append(h('form', { class: 'card', onsubmit: go }, q, ' ', type, ' ', h('label', {}, t('from'), ' ', from), ' ', h('label', {}, t('to'), ' ', to), ' ', status, ' ', h('button', { class: 'primary', type: 'submit' }, t('search.go'))), out);
  q.focus();
}

function progressChart(days) {
  const w = 600, hgt = 120;
  const svg = document.createElementNS('http://www.w3.org/2000/svg', 'svg');
  // A margin round the plot, so a dot at its edge shows whole.
  svg.setAttribute('viewBox', `-6 -6 ${w + 12} ${hgt + 26}`);
  svg.setAttribute('class', 'chart');
  let total = 0;
  const points = days.map((d) => ({ day: d.day, total: (total += d.count) }));
  const max = Math.max(1, total);
  const step = points.length > 1 ? w / (points.length - 1) : 0;
  const y = (p) => (hgt - (p.total / max) * hgt).toFixed(1);
  const path = points.map((p, i) => `${i ? 'L' : 'M'}${(i * step).toFixed(1)},${y(p)}`).join(' ');
  const line = document.createElementNS(svg.namespaceURI, 'path');
  line.setAttribute('d', path || 'M0,' + hgt);
  line.setAttribute('fill', 'none');
  line.setAttribute('stroke', '#1f6feb');
  line.setAttribute('stroke-width', '2');
  svg.append(line);
  for (const [i, p] of points.entries()) {
    // A dot per day: a batch verified on one day so far has no line to draw.
    const dot = document.createElementNS(svg.namespaceURI, 'circle');
    dot.setAttribute('cx', (i * step).toFixed(1));
    dot.setAttribute('cy', y(p));
    dot.setAttribute('r', '3');
    dot.setAttribute('fill', '#1f6feb');
    svg.append(dot);
    const label = document.createElementNS(svg.namespaceURI, 'text');
    label.setAttribute('x', String(Math.min(i * step, w - 60)));
    label.setAttribute('y', String(hgt + 16));
    label.setAttribute('font-size', '10');
    label.textContent = `${p.day.slice(5)} ${p.total}`;
    if (i === 0 || i === points.length - 1) svg.append(label);
  }
  return svg;
}

// A batch's acceptance gate: its verdict, how far the sample's inspection has got, and
// the plan (GB/T 2828.1) it is judged by.
function qaText(qa) {
  if (!qa) return t('qa.none');
  return `${t('qa.' + qa.verdict)} · ${qa.inspected}/${qa.sample_size} · ${t('qa.defects')} ${qa.defects} (Ac ${qa.accept}, Re ${qa.reject}, AQL ${qa.aql})`;
}

async function dashboardScreen(main) {
  const r = await api('GET', '/api/batches');
  if (!main.isConnected) return;
  if (!r.ok) return main.append(h('p', { class: 'err' }, errorText(r.data)));
  main.append(h('div', { class: 'card', id: 'dashboard' },
    h('table', {}, h('tr', {}, [t('batch'), t('agency'), t('pages'), t('records'), t('verified'), t('done'), `${t('waiting')} (${t('waiting.parts')})`, t('qa')].map((x) => h('th', {}, x))),
      r.data.batches.map((b) => {
        const bar = h('span');
        bar.style.width = b.percent_done + '%';
        return h('tr', {}, h('td', {}, b.batch_id), h('td', {}, b.agency_name), h('td', {}, b.pages), h('td', {}, b.records), h('td', {}, b.verified),
          h('td', {}, h('div', { class: 'bar' }, bar), `${b.percent_done}%`),
          h('td', {}, `${b.waiting.records} / ${b.waiting.pairs} / ${b.waiting.pages}`),
          h('td', { class: 'qa-state' }, qaText(b.qa)));
      }))),
  // Element.append does not flatten arrays as h() does: spread the cards.
  ...r.data.batches.filter((b) => b.pages_keyed).map(keyedPagesCard),
  ...r.data.batches.map((b) => h('div', { class: 'card progress' }, h('h4', {}, `${t('progress')} · ${b.batch_id}`),
    b.progress.length ? progressChart(b.progress) : h('p', { class: 'muted' }, t('progress.none')))),
  h('div', { class: 'card' }, h('h4', {}, t('throughput')),
    h('table', {}, h('tr', {}, [t('who'), t('when'), t('items'), t('corrected')].map((x) => h('th', {}, x))),
      r.data.throughput.map((p) => h('tr', {}, h('td', {}, p.username), h('td', {}, p.day), h('td', {}, p.items), h('td', {}, p.fields_corrected))))));
}

// A batch's pages keyed by hand, the latest first: a reviewer opens one whole and, when
// rows are missing on it, reopens its keying there (the row leaves the list).
function keyedPagesCard(b) {
  const opens = may('GET /api/pages/{page_id}');
  const row = (p) => {
    const tr = h('tr', { 'data-page': p.page_id }, h('td', {}, p.file_name), h('td', {}, p.keyed_by ?? t('keyed.elsewhere')),
      h('td', {}, p.keyed_at ? fmtTime(p.keyed_at) : '—'), h('td', {}, p.rows));
    const open = () => pageOverlay(p.page_id, null, { onReopened: () => tr.remove() });
    tr.append(h('td', {}, opens ? h('button', { class: 'open-page', onclick: open }, t('page')) : ''));
    return tr;
  };
  return h('div', { class: 'card keyed-pages', id: 'keyed-' + b.batch_id }, h('h4', {}, `${t('keyed.pages')} · ${b.batch_id} · ${b.pages_keyed}`),
    h('table', {}, h('tr', {}, [t('file'), t('keyed.by'), t('when'), t('keyed.rows'), ''].map((x) => h('th', {}, x))), b.keyed_pages.map(row)),
    b.pages_keyed > b.keyed_pages.length ? h('p', { class: 'muted' }, t('keyed.latest').replace('{n}', b.keyed_pages.length)) : null);
}

async function usersScreen(main) {
  const [r, history, logins] = await Promise.all([api('GET', '/api/users'), api('GET', '/api/audit/accounts'), api('GET', '/api/audit/logins')]);
  if (!main.isConnected) return;
  if (!r.ok) return main.append(h('p', { class: 'err' }, errorText(r.data)));
  const name = h('input', { id: 'new-user', placeholder: t('username') });
  const role = h('select', { id: 'new-role' }, ['data_entry', 'reviewer', 'archivist', 'dba', 'admin'].map((x) => h('option', { value: x }, t('role.' + x))));
  const pass = h('input', { id: 'new-pass', type: 'password', placeholder: t('password'), autocomplete: 'new-password' });
  const temporary = h('input', { id: 'new-temporary', type: 'checkbox', checked: true });
  const err = h('p', { class: 'err' });
  const toggle = (u) => h('button', { class: 'toggle-user', onclick: async () => {
    const res = await api('POST', `/api/users/${encodeURIComponent(u.username)}/disabled`, { disabled: !u.disabled });
    if (res.ok) render(); else err.textContent = errorText(res.data);
  } }, t(u.disabled ? 'enable' : 'disable'));
  // When each password was set, and which are older than the server allows.
  const passwordSet = (u) => (u.password_set_at ? fmtDate(u.password_set_at) : '') + (u.password_expired ? ` (${t('password.expired.short')})` : '');
  main.append(h('div', { class: 'card' }, h('table', {}, h('tr', {}, h('th', {}, t('username')), h('th', {}, t('role')), h('th', {}, t('password.set')), h('th', {})),
    r.data.map((u) => h('tr', {}, h('td', {}, u.username + (u.locked ? ' 🔒' : '') + (u.disabled ? ` (${t('disabled')})` : '')
      + (u.password_change_due ? ` (${t('password.due.short')})` : '')),
      h('td', {}, t('role.' + u.role)), h('td', { class: 'password-set' }, passwordSet(u)), h('td', {}, me && u.username === me.username ? '' : toggle(u)))))),
  h('form', { class: 'card', onsubmit: async (e) => {
    e.preventDefault();
    const res = await api('POST', '/api/users', { username: name.value, role: role.value, password: pass.value, temporary: temporary.checked });
    if (res.ok) render(); else err.textContent = passwordError(res.data);
  } }, name, ' ', role, ' ', pass, ' ', h('label', {}, temporary, t('password.temporary')), ' ', h('button', { type: 'submit' }, t('add')), err));
  if (!history.ok) return main.append(h('p', { class: 'err' }, errorText(history.data)));
  main.append(h('div', { class: 'card', id: 'account-history' }, h('h3', {}, t('accounts.history')),
    auditTable(history.data, t('account'), (e) => e.record_id.replace(/^user:/, ''), (_, role) => (role ? t('role.' + role) : ''))));
  if (!logins.ok) return main.append(h('p', { class: 'err' }, errorText(logins.data)));
  main.append(h('div', { class: 'card', id: 'login-history' }, h('h3', {}, t('logins.history')),
    auditTable(logins.data, t('account'), (e) => e.record_id.replace(/^login:/, ''), () => '')));
}

function applyChrome() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.querySelectorAll('[data-t]').forEach((el) => { el.textContent = t(el.dataset.t); });
  $('#lang').textContent = t('lang');
}

window.addEventListener('hashchange', render);
window.addEventListener('DOMContentLoaded', async () => {
  $('#lang').addEventListener('click', () => { lang = lang === 'zh' ? 'en' : 'zh'; localStorage.setItem('lang', lang); applyChrome(); render(); });
  $('#logout').addEventListener('click', async () => { await api('POST', '/api/logout'); me = null; render(); });
  applyChrome();
  const r = await api('GET', '/api/me');
  if (r.ok) me = r.data;
  render();
});
