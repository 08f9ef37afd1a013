//! Name normalisation (`agents.text`) and match keys (`agents.matching.normalize`), compiled:
//! every stage reads a name this way, and an index build reads 483k of them.
//!
//! The word lists stay Python's and arrive at construction. The patterns are those of the Python
//! they replaced, with Python's `re` semantics kept where the `regex` crate differs: `\s` also
//! holds the separators U+001C..U+001F, and an end anchor also matches before a final newline.

use regex::Regex;
use rustc_hash::{FxHashMap, FxHashSet};
use unicode_normalization::UnicodeNormalization;

use rapidfuzz::distance::indel;

/// Python's `\s`: Unicode white space and the information separators `str.isspace` counts.
const SPACE: &str = r"[\s\x1C-\x1F]";
const DEPARTMENT: &str = r"AP|A/P|AR|A/R|ACCOUNTS\s+(?:PAYABLE|RECEIVABLE)|ACCTS?\s+(?:PAY|REC)\w*|BILLING|REMIT\w*|LOCKBOX(?:\s+\d+)?|PAYMENTS?|DEPT|DEPARTMENT";

fn pattern(source: &str) -> Regex {
    Regex::new(&source.replace(r"\s", SPACE)).expect("a valid pattern")
}

/// `pattern.sub("", text)` for a pattern that ends at Python's `$`: at the end, or before a
/// final newline (the newline stays).
fn cut_at_end(pattern: &Regex, text: &str) -> String {
    let (body, newline) = match text.strip_suffix('\n') {
        Some(body) => (body, "\n"),
        None => (text, ""),
    };
    match pattern.find(body) {
        Some(m) => format!("{}{}{newline}", &body[..m.start()], &body[m.end()..]),
        None => text.to_owned(),
    }
}

/// Clean text and canonical tokens, the same for every stage.
pub struct Text {
    abbreviations: FxHashMap<String, String>,
    remit_prefix: Regex,
    erp_suffixes: [Regex; 3],
}

impl Text {
    pub fn new(abbreviations: FxHashMap<String, String>) -> Self {
        Text {
            abbreviations,
            remit_prefix: pattern(r"(?i)^\s*(?:(?:REMIT(?:TANCE)?(?:\s+TO)?|PAY\s+TO)\b\s*:?\s*)+"),
            erp_suffixes: [
                pattern(r"(?i)[\s,;-]*\b(?:ATTN|ATTENTION|C/O|C\\O|CARE\s+OF)\b.*\z"),
                pattern(&format!(r"(?i)\s+-\s+(?:{DEPARTMENT})\b.*\z")),
                pattern(
                    r"(?i)\s+(?:ACCOUNTS\s+(?:RECEIVABLE|PAYABLE)|ACCTS?\s+REC\w*|(?:AR|A/R|AP|A/P|BILLING)\s+DEPT\w*|LOCKBOX\s+\d+)\b.*\z",
                ),
            ],
        }
    }

    /// Upper-case, ASCII-folded, punctuation-free words; `&` becomes `AND`; dotted initials
    /// (`I.R.S.`) and apostrophes inside a word (`O'BRIEN`) are closed up.
    pub fn clean_words(&self, text: &str) -> Vec<String> {
        let mut bytes: Vec<u8> = if text.is_ascii() {
            text.as_bytes().to_ascii_uppercase()
        } else {
            let folded: String = text.nfkd().filter(char::is_ascii).collect();
            folded.into_bytes().to_ascii_uppercase()
        };
        if bytes.contains(&b'.') {
            bytes = close_dotted(&bytes);
        }
        if bytes.contains(&b'\'') {
            bytes = close_apostrophes(&bytes);
        }
        let mut words = Vec::new();
        let mut word = String::new();
        for &b in &bytes {
            if b.is_ascii_uppercase() || b.is_ascii_digit() {
                word.push(b as char);
                continue;
            }
            if !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            if b == b'&' {
                words.push("AND".to_owned());
            }
        }
        if !word.is_empty() {
            words.push(word);
        }
        words
    }

    /// The clean words with AP abbreviations expanded.
    pub fn canonical_tokens(&self, text: &str) -> Vec<String> {
        let mut words = self.clean_words(text);
        for word in &mut words {
            if let Some(full) = self.abbreviations.get(word.as_str()) {
                word.clone_from(full);
            }
        }
        words
    }

    /// The name without remit-to, attention, care-of and department wording around it; never
    /// stripped down to nothing.
    pub fn strip_erp_noise(&self, name: &str) -> String {
        let mut stripped = self.remit_prefix.replace(name, "").into_owned();
        for pattern in &self.erp_suffixes {
            let cut = cut_at_end(pattern, &stripped);
            if cut != stripped && cut.chars().any(char::is_alphanumeric) {
                stripped = cut;
            }
        }
        stripped.trim_matches(is_py_space).to_owned()
    }
}

/// Python's `str.isspace`.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

/// `I.R.S.` -> `IRS`: two or more letter-dot pairs at a word start, not followed by a letter.
fn close_dotted(text: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(text.len());
    let mut i = 0;
    while i < text.len() {
        let starts_word = i == 0 || !is_word_byte(text[i - 1]);
        if starts_word && text[i].is_ascii_uppercase() {
            let mut end = i;
            while end + 1 < text.len() && text[end].is_ascii_uppercase() && text[end + 1] == b'.' {
                end += 2;
            }
            let pairs = (end - i) / 2;
            if pairs >= 2 && !(end < text.len() && text[end].is_ascii_uppercase()) {
                out.extend(text[i..end].iter().filter(|&&b| b != b'.'));
                i = end;
                continue;
            }
        }
        out.push(text[i]);
        i += 1;
    }
    out
}

fn is_word_byte(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// `O'BRIEN` -> `OBRIEN`: an apostrophe between two letters.
fn close_apostrophes(text: &[u8]) -> Vec<u8> {
    (0..text.len())
        .filter(|&i| {
            !(text[i] == b'\''
                && i > 0
                && text[i - 1].is_ascii_uppercase()
                && text.get(i + 1).is_some_and(u8::is_ascii_uppercase))
        })
        .map(|i| text[i])
        .collect()
}

/// The word lists of match keys (`agents.matching.normalize`).
pub struct KeyWords {
    pub legal_forms: FxHashSet<String>,
    /// Forms that are also words or state codes (`AG`, `PA`): a legal form only where a name
    /// ends, and not after `OF`.
    pub trailing_forms: FxHashSet<String>,
    pub noise: FxHashSet<String>,
    pub plurals: FxHashMap<String, String>,
    pub form_of: FxHashMap<String, String>,
    pub long_forms: Vec<String>,
    pub form_prefixes: FxHashSet<String>,
    pub begun_forms: FxHashSet<String>,
    pub swapped_forms: FxHashSet<String>,
    pub cut_lengths: Vec<usize>,
}

/// A name as matching reads it: identity tokens, whether it was cut, its legal form.
pub struct Query {
    pub tokens: Vec<String>,
    pub truncated: bool,
    pub form: Option<String>,
}

/// Match keys: the part of a name that identifies a supplier, the same for index and query.
pub struct MatchKeys {
    text: Text,
    words: KeyWords,
    store_number: Regex,
    appended_form: Regex,
    filed_under_place: Regex,
}

impl MatchKeys {
    pub fn new(text: Text, words: KeyWords) -> Self {
        MatchKeys {
            text,
            words,
            store_number: pattern(
                r"\bSTORE\s*(?:#|NO\b\.?|NUMBER\b)?\s*\d+\b|#\s*\d+|\bNO\b\.?\s*\d+\b",
            ),
            appended_form: pattern(
                r"(?i)[\s,]+(?:INC|LLC|CORP|CO|LTD|LP|LLP|PLLC|PLLP|PC|PA)\.?\z",
            ),
            filed_under_place: pattern(&format!(
                r"(?i)[,-]\s*(?:{})\s+OF\s*\z",
                INVERTED_HEADS.join("|")
            )),
        }
    }

    /// A supplier's key tokens and legal form, as the index stores them.
    pub fn key(&self, name: &str) -> (Vec<String>, Option<String>) {
        let stripped = self.text.strip_erp_noise(name);
        let words = self.name_words(&stripped, false);
        let form = self.form_of_words(&words);
        (self.identity_tokens(words, &stripped, false), form)
    }

    /// A payee's name as a query. A name is cut when it is as long as a field limit (or one
    /// less), or when it was and then got a legal form, which then says nothing of the supplier's.
    pub fn query(&self, name: &str) -> Query {
        let name = self.text.strip_erp_noise(name);
        let appended = self.cut_then_formed(&name);
        let truncated = appended || self.words.cut_lengths.contains(&name.chars().count());
        let words = self.name_words(&name, truncated);
        let form = if appended {
            None
        } else if truncated {
            self.form_of_words(&self.name_words(&name, false)) // read as whole words
        } else {
            self.form_of_words(&words)
        };
        Query {
            tokens: self.identity_tokens(words, &name, truncated),
            truncated,
            form,
        }
    }

    /// The name's (last) legal form, canonical: `Acme Corporation` -> `CORP`. Read, as the key
    /// is, without ERP wording, noise words and store numbers: `SIEMENS AG #12` is an `AG`.
    pub fn legal_form(&self, name: &str) -> Option<String> {
        self.form_of_words(&self.name_words(&self.text.strip_erp_noise(name), false))
    }

    /// `legal_form` of a name's `name_words`.
    fn form_of_words(&self, tokens: &[String]) -> Option<String> {
        let w = &self.words;
        let mut ending = true; // in the run of forms the name ends with
        let last = (0..tokens.len()).rev().find(|&i| {
            let form = w.legal_forms.contains(&tokens[i]);
            ending &= form;
            form && (ending || !w.trailing_forms.contains(&tokens[i]))
                && !self.placed(&tokens[..=i])
        })?;
        let last = &tokens[last];
        Some(w.form_of.get(last).unwrap_or(last).clone())
    }

    /// Whether the last of `tokens` is a form that is also a state's code, named as a place
    /// (`STATE OF PA`, `COMMONWEALTH OF PA`): no legal form there.
    fn placed(&self, tokens: &[String]) -> bool {
        let n = tokens.len();
        n >= 2 && tokens[n - 2] == "OF" && self.words.trailing_forms.contains(&tokens[n - 1])
    }

    /// A name cut at a field limit, then given a legal form: `DRIAXOU PROPERTY MANAG INC`.
    fn cut_then_formed(&self, name: &str) -> bool {
        let stem = cut_at_end(&self.appended_form, name);
        stem != name
            && self
                .words
                .cut_lengths
                .contains(&stem.trim_end_matches([' ', ',']).chars().count())
    }

    /// A stripped name's words, canonical, without noise words and store numbers. `cut`: its
    /// last word may be partial.
    fn name_words(&self, stripped: &str, cut: bool) -> Vec<String> {
        let name = self
            .store_number
            .replace_all(&stripped.to_uppercase(), " ")
            .into_owned();
        let words = joined_co_op(if cut {
            self.cut_words(&name)
        } else {
            self.text.canonical_tokens(&name)
        });
        words
            .into_iter()
            .filter(|t| !self.words.noise.contains(t))
            .collect()
    }

    /// Identity tokens of a stripped name from its `name_words`: without legal forms, plurals
    /// singular. `cut`: its last word may be partial.
    fn identity_tokens(&self, words: Vec<String>, stripped: &str, cut: bool) -> Vec<String> {
        let w = &self.words;
        let tokens: Vec<String> = words
            .into_iter()
            .map(|t| w.plurals.get(&t).cloned().unwrap_or(t))
            .collect();
        let mut end = tokens.len();
        while end > 1 {
            let pieces = self.form_pieces(&tokens[..end]);
            if pieces > 0 {
                end -= pieces;
            } else if w.legal_forms.contains(&tokens[end - 1]) && !self.placed(&tokens[..end]) {
                end -= 1;
            } else {
                break;
            }
        }
        let core: Vec<String> = tokens[..end]
            .iter()
            .enumerate()
            .filter(|(i, t)| !self.is_form(t, *i + 1 == end, cut))
            .map(|(_, t)| t.clone())
            .collect();
        let core = if core.is_empty() { tokens } else { core };
        // A place set off before its head (`VALLEY SPRINGS-CITY OF`) is a ledger's filing, cut or not.
        let may_go_on = cut && !self.filed_under_place.is_match(stripped.trim_end());
        turned_back(join_initials(core), may_go_on)
    }

    /// The clean words of a cut name, abbreviations expanded except in its cut word: `MEDICAL
    /// SUPP` was cut from SUPPLY as likely as from SUPPORT.
    fn cut_words(&self, name: &str) -> Vec<String> {
        let mut words = self.text.clean_words(name);
        let mut end = words.len();
        while end > 1 && self.words.legal_forms.contains(&words[end - 1]) {
            end -= 1;
        }
        for (i, word) in words.iter_mut().enumerate() {
            if i + 1 != end {
                if let Some(full) = self.text.abbreviations.get(word.as_str()) {
                    word.clone_from(full);
                }
            }
        }
        words
    }

    /// How many last tokens are a legal form typed with stray dots (`L.L..C` -> `LL C`).
    fn form_pieces(&self, tokens: &[String]) -> usize {
        for k in [3, 2] {
            if tokens.len() <= k {
                continue;
            }
            let tail = &tokens[tokens.len() - k..];
            if tail
                .iter()
                .all(|t| t.len() <= 2 && t.bytes().all(|b| b.is_ascii_alphabetic()))
            {
                let joined: String = tail.concat();
                if self.words.legal_forms.contains(&joined)
                    || self.words.form_prefixes.contains(&joined)
                {
                    return k;
                }
            }
        }
        0
    }

    /// A legal form, also misspelled (CORPORATINO), or as the last word begun (COR, COMP), and as
    /// a cut name's last word begun further (INC -> I) or with two letters swapped (ICN, CMO).
    fn is_form(&self, token: &str, last: bool, cut: bool) -> bool {
        let w = &self.words;
        if w.legal_forms.contains(token) && !w.trailing_forms.contains(token) {
            return true;
        }
        if last
            && (w.begun_forms.contains(token)
                || (cut && (w.form_prefixes.contains(token) || w.swapped_forms.contains(token))))
        {
            return true;
        }
        token.chars().count() >= 6 && w.long_forms.iter().any(|form| indel_similar(token, form))
    }
}

/// Public bodies a ledger files under their place, `SIOUX FALLS, CITY OF`.
const INVERTED_HEADS: [&str; 9] = [
    "CITY",
    "TOWN",
    "COUNTY",
    "VILLAGE",
    "TOWNSHIP",
    "BOROUGH",
    "PARISH",
    "STATE",
    "UNIVERSITY",
];

/// A name filed under its place (`SIOUX FALLS CITY OF`) in the order it is spoken
/// (`CITY OF SIOUX FALLS`), unless its trailing `CITY OF` may have been followed by more (`may_go_on`:
/// cut at a field limit right after it).
fn turned_back(mut tokens: Vec<String>, may_go_on: bool) -> Vec<String> {
    let n = tokens.len();
    if !may_go_on
        && n >= 3
        && tokens[n - 1] == "OF"
        && INVERTED_HEADS.contains(&tokens[n - 2].as_str())
    {
        tokens.rotate_right(2);
    }
    tokens
}

/// `CO-OP` read as one word, `COOP`, not as the legal form `CO` and a stray `OP`.
fn joined_co_op(mut words: Vec<String>) -> Vec<String> {
    let mut i = 0;
    while i + 1 < words.len() {
        if words[i] == "CO" && words[i + 1] == "OP" {
            words[i] = "COOP".to_owned();
            words.remove(i + 1);
        }
        i += 1;
    }
    words
}

/// Initials typed apart, or joined by `&`, as one word: `K T` and `T AND W` are `KT` and `TW`,
/// as clerks also write them.
fn join_initials(tokens: Vec<String>) -> Vec<String> {
    let letter = |t: &str| t.len() == 1 && t.as_bytes()[0].is_ascii_uppercase();
    if !tokens.iter().any(|t| letter(t)) {
        return tokens;
    }
    let n = tokens.len();
    let mut out: Vec<String> = Vec::with_capacity(n);
    let mut i = 0;
    while i < n {
        let mut word = tokens[i].clone();
        let mut j = i;
        while letter(&tokens[j]) {
            j = if j + 1 < n && letter(&tokens[j + 1]) {
                j + 1
            } else if j + 2 < n && tokens[j + 1] == "AND" && letter(&tokens[j + 2]) {
                j + 2
            } else {
                break;
            };
            word.push_str(&tokens[j]);
        }
        out.push(word);
        i = j + 1;
    }
    out
}

/// rapidfuzz's `Indel.normalized_similarity(a, b) >= 0.8`.
fn indel_similar(a: &str, b: &str) -> bool {
    let args = indel::Args::default().score_cutoff(0.8);
    indel::normalized_similarity_with_args(a.chars(), b.chars(), &args).is_some()
}
