//! A payee name's features, as the classifier's model knows them, computed without Python objects.
//!
//! The input is the name as received and its canonical tokens (`agents.text.canonical_tokens`:
//! upper-case ASCII words); the output is a stream of feature strings, each handed to a sink as a
//! borrowed `&str`, so scoring looks them up without allocating, and training collects them. The
//! word lists come from Python (`agents/classification/features.py` and the trained lexicon).

use aho_corasick::AhoCorasick;
use pyo3::pyclass;
use rustc_hash::{FxHashMap, FxHashSet};

/// The signal a name in `LAST, FIRST` form gives, as the `reason` names it.
pub const LAST_FIRST: &str = "LAST, FIRST form";
const TITLE_SIGNAL: &str = "title";
const GENERATION_SIGNAL: &str = "generational suffix";

const LEGAL: u8 = 1;
const BUSINESS: u8 = 1 << 1;
const TITLE: u8 = 1 << 2;
const GENERATION: u8 = 1 << 3;
const PROFESSION: u8 = 1 << 4;
const NAME_WORD: u8 = 1 << 5;
const KNOWN_NAME: u8 = 1 << 6;
const TRADE: u8 = 1 << 7;

/// What a name shows, in words a person reads: the `reason` of a decision is made of these.
#[pyclass(frozen, get_all, module = "payeeflow._native")]
#[derive(Debug, Default)]
pub struct Signals {
    pub legal_form: Option<String>,
    pub government: Option<String>,
    pub business_word: Option<String>,
    pub known_company: bool,
    pub first_name: bool,
    pub surname: bool,
    pub person: Vec<&'static str>,
    pub digits: bool,
}

/// The word lists a name is read against.
pub struct Lexicon {
    /// Every word any list knows, with what the lists say of it: one lookup per word.
    words: FxHashMap<Box<str>, Known>,
    known_companies: FxHashSet<String>,
    places: FxHashSet<String>,
    government: AhoCorasick,
    /// (phrase, weak) per government pattern, in the automaton's pattern order.
    government_phrases: Vec<(String, bool)>,
}

/// What the word lists say of one word.
#[derive(Clone, Copy, Default)]
struct Known {
    /// LEGAL | BUSINESS | TITLE | GENERATION | PROFESSION | KNOWN_NAME | TRADE, and NAME_WORD in a
    /// name
    flags: u8,
    /// Its first-name and surname frequency features, when it is one.
    first_name: Option<&'static str>,
    surname: Option<&'static str>,
}

/// The word lists, as plain collections.
pub struct Words {
    pub first_names: Vec<(String, f64)>,
    pub surnames: Vec<(String, f64)>,
    pub legal: Vec<String>,
    pub business: Vec<String>,
    /// Words company names hold and people's names seldom do (a wider, weaker list than `business`).
    pub trade: Vec<String>,
    pub titles: Vec<String>,
    pub generations: Vec<String>,
    pub professions: Vec<String>,
    pub known_companies: Vec<String>,
    /// Canonical town and city names, alone and with their state: a name that is only a place is
    /// most often the town's government (IRONDALE, HAHIRA GEORGIA).
    pub places: Vec<String>,
    /// Canonical government phrases, each with whether it is weak evidence on its own.
    pub government: Vec<(String, bool)>,
}

const LENGTHS: [&str; 8] = ["n=0", "n=1", "n=2", "n=3", "n=4", "n=5", "n=6", "n=7"];
const AND_SIDES: [[&str; 4]; 4] = [
    ["and=0/0", "and=0/1", "and=0/2", "and=0/3"],
    ["and=1/0", "and=1/1", "and=1/2", "and=1/3"],
    ["and=2/0", "and=2/1", "and=2/2", "and=2/3"],
    ["and=3/0", "and=3/1", "and=3/2", "and=3/3"],
];

/// Hands `emit` the parts joined, built in a reused buffer.
fn joined(buf: &mut String, emit: &mut impl FnMut(&str), parts: &[&str]) {
    buf.clear();
    parts.iter().for_each(|p| buf.push_str(p));
    emit(buf);
}

/// The feature of a name's frequency (per 100,000 people): the hi, mid or lo one of three.
fn bucket(features: [&'static str; 3], share: f64) -> &'static str {
    let at = if share >= 100.0 {
        0
    } else if share >= 10.0 {
        1
    } else {
        2
    };
    features[at]
}

/// Python's `str.isspace()`, which `str.split()` splits on: Unicode White_Space and U+001C..U+001F.
fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c)
}

impl Lexicon {
    pub fn new(lists: Words) -> Result<Self, aho_corasick::BuildError> {
        let mut words: FxHashMap<Box<str>, Known> = FxHashMap::default();
        let mut mark = |list: Vec<String>, flag: u8| {
            for word in list {
                words.entry(word.into()).or_default().flags |= flag;
            }
        };
        mark(lists.legal, LEGAL);
        mark(lists.business, BUSINESS);
        mark(lists.trade, TRADE);
        mark(lists.titles, TITLE);
        mark(lists.generations, GENERATION);
        mark(lists.professions, PROFESSION);
        for (word, share) in lists.first_names {
            let known = words.entry(word.into()).or_default();
            known.flags |= KNOWN_NAME;
            known.first_name = Some(bucket(["fn_hi", "fn_mid", "fn_lo"], share));
        }
        for (word, share) in lists.surnames {
            let known = words.entry(word.into()).or_default();
            known.flags |= KNOWN_NAME;
            known.surname = Some(bucket(["sn_hi", "sn_mid", "sn_lo"], share));
        }
        for known in words.values_mut() {
            if known.flags & (TITLE | GENERATION) != 0 {
                known.flags &= !BUSINESS; // MR, JR: a person's, whatever company names hold them
            }
        }
        let mut seen = FxHashSet::default();
        let government_phrases: Vec<(String, bool)> = lists
            .government
            .into_iter()
            .filter(|(phrase, _)| !phrase.is_empty() && seen.insert(phrase.clone()))
            .collect();
        let patterns = government_phrases
            .iter()
            .map(|(phrase, _)| format!(" {phrase} "));
        Ok(Lexicon {
            words,
            known_companies: lists.known_companies.into_iter().collect(),
            places: lists.places.into_iter().collect(),
            government: AhoCorasick::new(patterns)?,
            government_phrases,
        })
    }

    /// What the lists say of a word, and whether it can be part of a person's name.
    fn word(&self, tok: &str) -> Known {
        let mut known = self.words.get(tok).copied().unwrap_or_default();
        // a trade or legal word no list knows as a name is no part of one: STATE FARM INSURANCE
        let not_name = if known.flags & KNOWN_NAME != 0 {
            TITLE | GENERATION | PROFESSION
        } else {
            TITLE | GENERATION | PROFESSION | TRADE | BUSINESS | LEGAL
        };
        if tok.len() > 1 && known.flags & not_name == 0 && tok != "AND" {
            known.flags |= NAME_WORD;
        }
        known
    }

    /// Every feature of a name, each handed to `emit` (a feature may come more than once: the
    /// model counts it once), and the name's signals.
    pub fn featurize(&self, name: &str, tokens: &[&str], emit: &mut impl FnMut(&str)) -> Signals {
        let mut signals = Signals::default();
        let mut buf = String::with_capacity(64);
        emit(LENGTHS[tokens.len().min(7)]);
        if tokens.is_empty() {
            return signals;
        }
        if name.contains(',') {
            emit("comma");
            let first_chunk = name
                .trim_start_matches(is_py_space)
                .split(is_py_space)
                .next();
            if first_chunk.is_some_and(|chunk| chunk.contains(',')) {
                emit("comma_after_first");
                signals.person.push(LAST_FIRST);
            }
        }
        if tokens.iter().any(|t| t.bytes().any(|b| b.is_ascii_digit())) {
            emit("digit");
            signals.digits = true;
        }
        match name.chars().count() {
            22 => emit("len22"),
            35 => emit("len35"),
            _ => {}
        }
        let words: Vec<Known> = tokens.iter().map(|t| self.word(t)).collect();
        joined(&mut buf, emit, &["f=", tokens[0]]);
        joined(&mut buf, emit, &["l=", tokens[tokens.len() - 1]]);
        for pair in tokens.windows(2) {
            joined(&mut buf, emit, &["b=", pair[0], "_", pair[1]]);
        }
        self.lexicon_features(tokens, &words, emit, &mut signals);
        let mut padded: Vec<char> = Vec::with_capacity(32);
        for tok in tokens {
            joined(&mut buf, emit, &["w=", tok]);
            if tok.chars().count() == 1 {
                emit("initial");
            }
            padded.clear();
            padded.push('^');
            padded.extend(tok.chars());
            padded.push('$');
            for gram in padded.windows(4) {
                buf.clear();
                buf.push_str("c=");
                buf.extend(gram);
                emit(&buf);
            }
        }
        signals
    }

    fn lexicon_features(
        &self,
        tokens: &[&str],
        words: &[Known],
        emit: &mut impl FnMut(&str),
        signals: &mut Signals,
    ) {
        let (mut flags, mut nbiz, mut ntrade, mut known) = (0u8, 0usize, 0usize, 0usize);
        let mut core: Vec<&str> = Vec::with_capacity(tokens.len()); // without legal forms or THE
        let mut named: Vec<Known> = Vec::with_capacity(tokens.len()); // words of a person's name
        for (&tok, word) in tokens.iter().zip(words) {
            flags |= word.flags;
            if word.flags & LEGAL != 0 {
                signals.legal_form = Some(tok.to_owned());
            } else if tok != "THE" {
                core.push(tok);
            }
            ntrade += usize::from(word.flags & TRADE != 0);
            if word.flags & BUSINESS != 0 {
                nbiz += 1;
                signals.business_word.get_or_insert_with(|| tok.to_owned());
            }
            if word.flags & NAME_WORD != 0 {
                named.push(*word);
                known += usize::from(word.flags & KNOWN_NAME != 0);
            }
        }
        if flags & LEGAL != 0 {
            emit("legal");
            if words[words.len() - 1].flags & LEGAL != 0 {
                emit("legal_last");
            }
        }
        if let Some((phrase, strong)) = self.government(tokens) {
            emit(if strong { "gov" } else { "gov_weak" });
            signals.government = Some(phrase.to_owned());
        }
        if nbiz > 0 {
            emit(["biz=1", "biz=2", "biz=3"][nbiz.min(3) - 1]);
        }
        if ntrade > 0 {
            emit(["trade=1", "trade=2", "trade=3"][ntrade.min(3) - 1]);
            if words[words.len() - 1].flags & TRADE != 0 {
                emit("trade_last");
            }
        }
        let core = core.join(" ");
        if self.known_companies.contains(core.as_str()) {
            emit("known_co");
            signals.known_company = true;
        }
        if flags & LEGAL == 0 && self.places.contains(core.as_str()) {
            emit("place");
        }
        if tokens[0] == "THE" {
            emit("the_first");
        }
        if flags & TITLE != 0 {
            emit("title");
            signals.person.push(TITLE_SIGNAL);
        }
        if flags & GENERATION != 0 {
            emit("generation");
            signals.person.push(GENERATION_SIGNAL);
        }
        if flags & PROFESSION != 0 {
            emit("profession");
        }
        if let Some(at) = tokens.iter().position(|&t| t == "AND") {
            // words either side of the first AND: NELSON & OLSON (1/1) and SMITH, JONES & BROWN
            // (2/1) are firms, JOHN & MARY SMITH (1/2) and JOHN SMITH & MARY JONES (2/2) people
            let sides = (at.min(3), (tokens.len() - at - 1).min(3));
            emit(AND_SIDES[sides.0][sides.1]);
        }
        if named.is_empty() {
            return;
        }
        if name_then_word(words) {
            // the last word is the trade, not the name: JANE DOE FUEL reads as a name of two; a
            // word no company name holds is more likely a rare surname (EDWARD JAY POLLYEA)
            let trade = words[words.len() - 1].flags & TRADE != 0;
            emit(if trade {
                "name_then_trade"
            } else {
                "name_then_word"
            });
            named.pop();
            known -= usize::from(words[words.len() - 1].flags & KNOWN_NAME != 0);
        }
        if named.len() > 1 && signals.person.first() == Some(&LAST_FIRST) {
            named.rotate_left(1); // LAST, FIRST -> FIRST LAST
        }
        let (first, last) = (named[0], named[named.len() - 1]);
        if let Some(feature) = first.first_name {
            emit(feature);
            signals.first_name = true;
        }
        if let Some(feature) = last.surname {
            emit(feature);
            signals.surname = named.len() > 1 || tokens.iter().any(|t| t.chars().count() == 1);
        }
        emit(&format!("namelike={known}/{}", named.len().min(5)));
        if known == named.len() && tokens.contains(&"AND") {
            emit("couple");
        }
    }

    /// The government phrase a name holds, preferring one that is strong evidence, longest
    /// first, then leftmost; and whether it is strong.
    fn government(&self, tokens: &[&str]) -> Option<(&str, bool)> {
        let mut padded =
            String::with_capacity(tokens.iter().map(|t| t.len() + 1).sum::<usize>() + 1);
        for tok in tokens {
            padded.push(' ');
            padded.push_str(tok);
        }
        padded.push(' ');
        // (strong, length, leftmost end): the largest wins
        let mut best: Option<(bool, usize, std::cmp::Reverse<usize>, usize)> = None;
        for hit in self.government.find_overlapping_iter(&padded) {
            let pattern = hit.pattern().as_usize();
            let key = (
                !self.government_phrases[pattern].1,
                hit.len(),
                std::cmp::Reverse(hit.end()),
                pattern,
            );
            if best.is_none_or(|b| (key.0, key.1, key.2) > (b.0, b.1, b.2)) {
                best = Some(key);
            }
        }
        best.map(|(strong, _, _, pattern)| (self.government_phrases[pattern].0.as_str(), strong))
    }
}

/// A known first name and surname followed by a word that is none of a name's parts: a trade
/// name such as JANE DOE CABINETS, where JANE DOE JR or JANE DOE MD is still a person. A word
/// that is at most a rare surname (FUEL is one, in the census list) counts as no name.
fn name_then_word(words: &[Known]) -> bool {
    match words {
        [first, second, .., last] if words.len() >= 3 => {
            first.first_name.is_some()
                && second.surname.is_some()
                && last.first_name.is_none()
                && matches!(last.surname, None | Some("sn_lo"))
                && last.flags & (TITLE | GENERATION | PROFESSION | LEGAL) == 0
                && last.flags & NAME_WORD != 0
        }
        _ => false,
    }
}
