//! The tokenizers, shared by indexing and querying so both sides cut text the same way:
//! names into characters and character pairs (a one-character OCR slip still shares most
//! tokens), pinyin into syllables, the whole name run together and its initials
//! (`wang xiu ying`, `wangxiuying`, `wxy`), Chinese text into jieba words plus character
//! pairs. (ID numbers are not cut: they are ordered keys, see [`crate::ids`].)

use std::sync::OnceLock;

use ledgerline_dedupe::normalize::{fold_name, name_pinyin};
use ledgerline_schemas::lookalike;
use tantivy::tokenizer::{Token, TokenStream, Tokenizer};

pub const NAME: &str = "ll_name";
pub const NAME_SHAPE: &str = "ll_name_shape";
pub const PINYIN: &str = "ll_pinyin";
pub const ZH: &str = "ll_zh";

/// A tokenizer body: calls `emit` once per token. Tokens are borrowed, so a tokenizer
/// copies them into buffers it reuses and indexing allocates nothing per token.
pub type Cut = fn(&str, &mut dyn FnMut(&str));

/// The tokens of `text` as strings (for queries and explanations, not for indexing).
pub fn collect(cut: Cut, text: &str) -> Vec<String> {
    let mut out = Vec::new();
    cut(text, &mut |t| out.push(t.to_string()));
    out
}

fn jieba() -> &'static jieba_rs::Jieba {
    static JIEBA: OnceLock<jieba_rs::Jieba> = OnceLock::new();
    JIEBA.get_or_init(jieba_rs::Jieba::new)
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{3400}'..='\u{9fff}' | '\u{f900}'..='\u{faff}' | '\u{20000}'..='\u{2ffff}')
}

/// Characters, adjacent pairs, and pairs one apart (`王_英`), so a three-character name
/// with any one character misread still shares a pair with the right one; `?`
/// placeholders drop out.
fn cut_chars(chars: &[char], emit: &mut dyn FnMut(&str)) {
    let known = |c: char| c != '?';
    let mut buf = String::with_capacity(12);
    let mut put = |parts: &[char], emit: &mut dyn FnMut(&str)| {
        buf.clear();
        buf.extend(parts);
        emit(&buf);
    };
    for &c in chars.iter().filter(|c| known(**c)) {
        put(&[c], emit);
    }
    for w in chars.windows(2).filter(|w| known(w[0]) && known(w[1])) {
        put(w, emit);
    }
    for w in chars.windows(3).filter(|w| known(w[0]) && known(w[2])) {
        put(&[w[0], '_', w[2]], emit);
    }
}

/// Name tokens of the folded name (traditional forms and variants made one).
pub fn cut_name(name: &str, emit: &mut dyn FnMut(&str)) {
    let chars: Vec<char> = fold_name(name).chars().collect();
    cut_chars(&chars, emit);
}

/// Name tokens of the name's shapes: every look-alike character read as its group's
/// first, so 王秀荚 and 王秀英 cut the same. Nothing when the name is its own shape (most
/// names): its name tokens are its shape tokens, and queries look for shapes in both.
pub fn cut_name_shape(name: &str, emit: &mut dyn FnMut(&str)) {
    let folded: Vec<char> = fold_name(name).chars().collect();
    let shapes: Vec<char> = folded.iter().map(|c| lookalike::shape(*c)).collect();
    if shapes != folded {
        cut_chars(&shapes, emit);
    }
}

/// The shape tokens a query looks for (in the name field and the shape field).
pub fn query_shape_tokens(name: &str) -> Vec<String> {
    let shapes: String = fold_name(name).chars().map(lookalike::shape).collect();
    collect(cut_name, &shapes)
}

pub fn name_tokens(name: &str) -> Vec<String> {
    collect(cut_name, name)
}

pub fn name_shape_tokens(name: &str) -> Vec<String> {
    collect(cut_name_shape, name)
}

/// Pinyin tokens of a name written in characters: syllables, run together, initials,
/// and the name's beginnings (see [`Beginnings`]).
pub fn cut_pinyin_of_name(name: &str, emit: &mut dyn FnMut(&str)) {
    let pinyin = name_pinyin(&fold_name(name));
    let syllables = pinyin
        .split(' ')
        .filter(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase()));
    pinyin_forms(syllables, Beginnings::Emit, emit);
}

pub fn pinyin_tokens_of_name(name: &str) -> Vec<String> {
    collect(cut_pinyin_of_name, name)
}

/// Pinyin tokens of what someone typed: `wang xiu ying`, `wangxiuying` or `wxy`.
pub fn pinyin_tokens_of_query(text: &str) -> Vec<String> {
    let words: Vec<String> = text
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .filter(|w| w.bytes().all(|b| b.is_ascii_lowercase()))
        .collect();
    if words.len() > 1 {
        let mut out = Vec::new();
        pinyin_forms(words.iter().map(String::as_str), Beginnings::Skip, &mut |t| {
            out.push(t.to_string())
        });
        return out;
    }
    words
}

/// Whether a name's beginnings are among its pinyin forms, from its first two syllables
/// on (`wangxiu`, `wx` of 王秀英): so that someone who types the surname and the start of
/// the given name (`wang xiu`, `wx`) finds every 王秀…, since a query of several
/// syllables matches the whole run together or the initials. Names carry them; a query
/// does not (its last two forms must be its whole and its initials).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Beginnings {
    Emit,
    Skip,
}

/// The syllables, then (with their beginnings as they grow) the whole run together and
/// the initials.
fn pinyin_forms<'a>(
    syllables: impl Iterator<Item = &'a str> + Clone,
    beginnings: Beginnings,
    emit: &mut dyn FnMut(&str),
) {
    let n = syllables.clone().count();
    if n == 0 {
        return;
    }
    let mut whole = String::with_capacity(24);
    let mut initials = String::with_capacity(4);
    for (i, s) in syllables.enumerate() {
        emit(s);
        whole.push_str(s);
        initials.extend(s.chars().next());
        if beginnings == Beginnings::Emit && (1..n - 1).contains(&i) {
            emit(&whole);
            emit(&initials);
        }
    }
    emit(&whole);
    emit(&initials);
}

/// Chinese text: jieba's words and every character pair.
/// Short texts (causes, places, agencies, family members' names, addresses without their
/// house numbers) repeat across records and are cut once per thread.
pub fn cut_zh(text: &str, emit: &mut dyn FnMut(&str)) {
    const SHORT: usize = 16;
    const CACHE_ENTRIES: usize = 200_000;
    thread_local! {
        // Keyed by a fast hash: looking up was a twentieth of indexing with SipHash.
        static CACHE: std::cell::RefCell<rustc_hash::FxHashMap<String, Vec<String>>> = Default::default();
    }
    // An address repeats but for its house number: the rest is cut once, the number
    // apart (as jieba would: a number, then 号). House numbers repeat too.
    let head = text.trim_end_matches(|c: char| c.is_ascii_digit() || matches!(c, '号' | '-'));
    if head.len() < text.len() && !head.is_empty() {
        cut_zh(head, emit);
        return cut_zh(&text[head.len()..], emit);
    }
    if text.chars().count() > SHORT {
        return cut_zh_uncached(text, emit);
    }
    CACHE.with(|cache| {
        let mut cache = cache.borrow_mut();
        if let Some(hit) = cache.get(text) {
            hit.iter().for_each(|t| emit(t));
            return;
        }
        let tokens = collect(cut_zh_uncached, text);
        tokens.iter().for_each(|t| emit(t));
        if cache.len() < CACHE_ENTRIES {
            cache.insert(text.to_string(), tokens);
        }
    })
}

pub fn zh_tokens(text: &str) -> Vec<String> {
    collect(cut_zh, text)
}

fn cut_zh_uncached(text: &str, emit: &mut dyn FnMut(&str)) {
    let folded: String = text.chars().map(ledgerline_dedupe::normalize::fold_char).collect();
    // Words of two characters are among the pairs below; longer words and numbers add
    // what the pairs cannot (历城区 inside an address, house numbers). A text of three
    // characters or fewer has no such word but itself, which its pairs already say: jieba
    // is not asked (most family members' names, causes and cemeteries).
    let all_cjk = folded.chars().all(is_cjk);
    let words = if all_cjk && folded.chars().count() <= 3 {
        Vec::new()
    } else {
        jieba().cut(&folded, false)
    };
    for w in words {
        if w.chars().count() >= 3 || w.chars().any(|c| c.is_ascii_alphanumeric()) {
            emit(w);
        }
    }
    let mut buf = String::with_capacity(8);
    for run in folded.split(|c: char| !is_cjk(c)) {
        let chars: Vec<char> = run.chars().collect();
        if chars.len() == 1 {
            emit(run);
        }
        for w in chars.windows(2) {
            buf.clear();
            buf.extend(w);
            emit(&buf);
        }
    }
}

/// A tantivy tokenizer over a [`Cut`], with a token buffer reused from text to text.
#[derive(Clone)]
pub struct FnTokenizer {
    cut: Cut,
    tokens: Vec<Token>,
}

impl FnTokenizer {
    pub fn new(cut: Cut) -> FnTokenizer {
        FnTokenizer {
            cut,
            tokens: Vec::new(),
        }
    }
}

pub struct BufferStream<'a> {
    tokens: &'a mut [Token],
    next: usize,
}

impl TokenStream for BufferStream<'_> {
    fn advance(&mut self) -> bool {
        self.next += 1;
        self.next <= self.tokens.len()
    }

    fn token(&self) -> &Token {
        &self.tokens[self.next - 1]
    }

    fn token_mut(&mut self) -> &mut Token {
        &mut self.tokens[self.next - 1]
    }
}

impl Tokenizer for FnTokenizer {
    type TokenStream<'a> = BufferStream<'a>;

    fn token_stream<'a>(&'a mut self, text: &'a str) -> BufferStream<'a> {
        let tokens = &mut self.tokens;
        let mut len = 0;
        (self.cut)(text, &mut |t| {
            if len == tokens.len() {
                tokens.push(Token::default());
            }
            let token = &mut tokens[len];
            token.text.clear();
            token.text.push_str(t);
            token.position = len;
            token.position_length = 1;
            token.offset_from = 0;
            token.offset_to = 0;
            len += 1;
        });
        BufferStream {
            tokens: &mut tokens[..len],
            next: 0,
        }
    }
}

/// Registers the tokenizers on an index (needed on every open, for writing or reading).
pub fn register(index: &tantivy::Index) {
    let m = index.tokenizers();
    m.register(NAME, FnTokenizer::new(cut_name));
    m.register(NAME_SHAPE, FnTokenizer::new(cut_name_shape));
    m.register(PINYIN, FnTokenizer::new(cut_pinyin_of_name));
    m.register(ZH, FnTokenizer::new(cut_zh));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_pinyin() {
        assert_eq!(name_tokens("王秀英"), ["王", "秀", "英", "王秀", "秀英", "王_英"]);
        assert_eq!(name_tokens("王?英"), ["王", "英", "王_英"]);
        assert_eq!(query_shape_tokens("王秀荚"), query_shape_tokens("王秀英"));
        assert_eq!(name_shape_tokens("王秀荚"), query_shape_tokens("王秀英"));
        assert!(name_shape_tokens("王秀英").is_empty(), "a name that is its own shape");
        assert_ne!(name_tokens("王秀荚"), name_tokens("王秀英"));
        let p = pinyin_tokens_of_name("王秀英");
        assert!(
            p.contains(&"wangxiuying".to_string()) && p.contains(&"wxy".to_string()),
            "{p:?}"
        );
        assert_eq!(pinyin_tokens_of_query("wxy"), ["wxy"]);
        // Its beginnings too, for a surname and the start of a given name.
        assert!(
            p.contains(&"wangxiu".to_string()) && p.contains(&"wx".to_string()),
            "{p:?}"
        );
        let two = pinyin_tokens_of_name("王芳");
        assert!(!two.contains(&"w".to_string()), "no one-letter beginning: {two:?}");
        assert!(pinyin_tokens_of_query("Wang Xiu Ying").contains(&"wangxiuying".to_string()));
    }

    #[test]
    fn chinese_text() {
        let t = zh_tokens("济南市历城区山大路12号");
        for want in ["济南市", "济南", "南市", "历城区", "历城", "城区", "12"] {
            assert!(t.contains(&want.to_string()), "{want} missing from {t:?}");
        }
        assert_eq!(zh_tokens("东"), ["东"], "a lone character is a token");
        assert_eq!(
            zh_tokens("安乐园"),
            ["安乐", "乐园"],
            "a three-character text is its pairs"
        );
        assert_eq!(zh_tokens("呼吸衰竭"), ["呼吸衰竭", "呼吸", "吸衰", "衰竭"]);
        let first = zh_tokens("山大路12号");
        assert!(
            first.iter().any(|t| t == "12") && first.iter().any(|t| t == "号"),
            "{first:?}"
        );
        assert_eq!(zh_tokens("山大路12号"), first, "the same again from the cache");
        // However jieba cuts it among other words, a place keeps the pairs it has alone.
        let alone: Vec<String> = zh_tokens("历城区")
            .into_iter()
            .filter(|w| w.chars().count() == 2)
            .collect();
        assert!(alone.iter().all(|w| t.contains(w)), "{alone:?} not all in {t:?}");
    }
}
