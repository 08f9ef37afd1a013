//! A payee's name against one candidate supplier's, word by word: which words of each the other
//! explains and how (the same word, words run together or split, initials, an abbreviation, a
//! typo, a cut), and the features the match model reads from that. `matching.model` names the
//! features (`FEATURES`) and trains the model on them; `postings.rs` computes them for the rows
//! a search found.

use rustc_hash::{FxHashMap, FxHashSet};

use crate::align::{numbered, token_similarity};

/// How a word of one name is explained by the other's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Link {
    /// The same word, or the same number (`1` and `I`).
    Same,
    /// Words run together on one side (`BRIGHT PATH` / `BRIGHTPATH`, `MURPHY S` / `MURPHYS`).
    Joined,
    /// A word of initials for words of the other side (`SD` / `SOUTH DAKOTA`).
    Initials,
    /// A listed abbreviation or equivalent (`SW` / `SOUTHWEST`, `TX` / `TEXAS`).
    Equivalent,
    /// A misspelling (two edits or so).
    Typo,
    /// A shortened word: its letters in order in the other's (`SPLY` / `SUPPLY`).
    Abbreviated,
    /// A last word cut by a field limit (`EXAMI` / `EXAMINERS`).
    Cut,
}

impl Link {
    pub fn name(self) -> &'static str {
        match self {
            Link::Same => "same",
            Link::Joined => "joined",
            Link::Initials => "initials",
            Link::Equivalent => "equivalent",
            Link::Typo => "typo",
            Link::Abbreviated => "abbreviated",
            Link::Cut => "cut",
        }
    }
}

const INITIALS_SIM: f64 = 0.9;
pub const MAX_INITIALS: usize = 7; // LACMTA, LOS ANGELES COUNTY METROPOLITAN TRANSPORTATION AUTHORITY
const EQUIVALENT_SIM: f64 = 0.95;
const ABBREVIATED_SIM: f64 = 0.85;
const SHORT_ABBREVIATED_SIM: f64 = 0.7; // two letters for a word: CO for COUNTY, or for COMPANY
const CUT_SIM: f64 = 0.9;
const QUALIFIER_WEIGHT: f64 = 0.35; // of the highest weight: about a word in 1 name of 50

/// Each word's partner on the other side, if any: (its first position there, how, similarity).
/// A run of words linked to one word (joined, initials) all name that word.
#[derive(Default, Debug)]
pub struct Pairing {
    pub query: Vec<Option<(usize, Link, f64)>>,
    pub candidate: Vec<Option<(usize, Link, f64)>>,
}

impl Pairing {
    fn new(nq: usize, nc: usize) -> Self {
        Pairing {
            query: vec![None; nq],
            candidate: vec![None; nc],
        }
    }

    fn link(&mut self, q: std::ops::Range<usize>, c: std::ops::Range<usize>, how: Link, sim: f64) {
        let (q0, c0) = (q.start, c.start);
        for i in q {
            self.query[i] = Some((c0, how, sim));
        }
        for j in c {
            self.candidate[j] = Some((q0, how, sim));
        }
    }

    fn free_q(&self, range: std::ops::Range<usize>) -> bool {
        range.end <= self.query.len() && self.query[range].iter().all(Option::is_none)
    }

    fn free_c(&self, range: std::ops::Range<usize>) -> bool {
        range.end <= self.candidate.len() && self.candidate[range].iter().all(Option::is_none)
    }
}

/// The word lists pairing reads: equivalent spellings (both ways), words that qualify a name
/// rather than identify it (places, `USA`, `GROUP`, credentials), words that make another body
/// of one named after it (`FOUNDATION`, `SHERIFF`, `CHAPTER`), and joining words.
pub struct PairWords {
    equivalents: FxHashMap<String, Vec<String>>,
    qualifiers: FxHashSet<String>,
    entities: FxHashSet<String>,
    joining: FxHashSet<String>,
    forms: FxHashSet<String>,
    given: FxHashSet<String>, // people's first names
}

/// A number's value: digits, or a roman numeral up to XII.
fn numeral(token: &str) -> Option<u32> {
    const ROMAN: [&str; 12] = [
        "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
    ];
    if token.bytes().all(|b| b.is_ascii_digit()) && !token.is_empty() && token.len() < 10 {
        return token.parse().ok();
    }
    ROMAN.iter().position(|r| *r == token).map(|i| i as u32 + 1)
}

/// Whether `short`'s letters come in order in `long`, from its first letter on, with at least
/// two letters left out: a clerk's shortening (`SPLY`, `SRVCS`, `MGMT`, `INTL`), not a typo.
fn abbreviates(short: &str, long: &str) -> bool {
    let (s, l) = (short.as_bytes(), long.as_bytes());
    if s.len() < 2 || l.len() < s.len() + 2 || s[0] != l[0] || (s.len() == 2 && l.len() < 5) {
        return false;
    }
    if !s.iter().all(u8::is_ascii_alphabetic) {
        return false;
    }
    let mut rest = l[1..].iter();
    s[1..].iter().all(|b| rest.any(|x| x == b))
}

/// The spellings longer than `word`, each without a plural's S.
fn longer<'a>(spellings: &'a [String], word: &str) -> impl Iterator<Item = &'a str> {
    let n = word.len();
    spellings
        .iter()
        .filter(move |s| s.len() > n)
        .map(|s| singular(s))
}

/// A word without a plural's S (`SERVICES`, `SERVICE`), when four letters or more are left.
fn singular(word: &str) -> &str {
    match word.strip_suffix('S') {
        Some(stem) if stem.len() >= 4 => stem,
        _ => word,
    }
}

/// Whether `words` run together are `word`, without joining them.
fn joins(words: &[&str], word: &str) -> bool {
    let mut rest = word;
    words.iter().all(|w| match rest.strip_prefix(w) {
        Some(after) => {
            rest = after;
            true
        }
        None => false,
    }) && rest.is_empty()
}

/// Whether `short` may stand for `long`: a shortening of it, or its first three letters or more.
pub fn shortens(short: &str, long: &str) -> bool {
    abbreviates(short, long)
        || (short.len() >= 3 && long.len() > short.len() && long.starts_with(short))
}

/// How two different words may still be one: a typo, a cut (the last word of either side begun
/// by the other's), a shortening, an initial; the likeliest, or None.
fn near(a: &str, b: &str, (a_last, b_last): (bool, bool)) -> Option<(Link, f64)> {
    let typo = if a.len() > 1 && b.len() > 1 {
        token_similarity(a, b)
    } else {
        0.0
    };
    let mut found = (Link::Typo, typo);
    let cut = (a_last && a.len() >= 2 && b.len() > a.len() && b.starts_with(a))
        || (b_last && b.len() >= 2 && a.len() > b.len() && a.starts_with(b));
    if cut && CUT_SIM > found.1 {
        found = (Link::Cut, CUT_SIM);
    }
    let (short, long) = if a.len() < b.len() { (a, b) } else { (b, a) };
    let initial = short.len() == 1 && long.len() > 1 && long.starts_with(short); // R for RAY
    let sim = if initial || short.len() == 2 {
        SHORT_ABBREVIATED_SIM
    } else {
        ABBREVIATED_SIM
    };
    if (initial || abbreviates(short, long)) && sim > found.1 {
        found = (Link::Abbreviated, sim);
    }
    (found.1 > 0.0).then_some(found)
}

impl PairWords {
    pub fn new(
        equivalents: Vec<(String, String)>,
        qualifiers: FxHashSet<String>,
        entities: FxHashSet<String>,
        joining: FxHashSet<String>,
        forms: FxHashSet<String>,
        given: FxHashSet<String>,
    ) -> Self {
        let mut map: FxHashMap<String, Vec<String>> = FxHashMap::default();
        for (a, b) in equivalents {
            if a == b {
                continue;
            }
            map.entry(a.clone()).or_default().push(b.clone());
            map.entry(b).or_default().push(a);
        }
        for list in map.values_mut() {
            list.sort_unstable();
            list.dedup();
        }
        PairWords {
            equivalents: map,
            qualifiers,
            entities,
            joining,
            forms,
            given,
        }
    }

    /// Listed spellings equivalent to `token`.
    pub fn equivalents(&self, token: &str) -> &[String] {
        self.equivalents.get(token).map_or(&[], Vec::as_slice)
    }

    /// Whether two different words are listed spellings of one word, a plural's S aside: one
    /// the other's (`SW` / `SOUTHWEST`, `SRVCS` / `SERVICE`), or two shortenings of it
    /// (`PRTSP` / `PTNRSHP`, `SERV` / `SRVCS`). Only through a longer word: two words one
    /// shorthand stands for are not one (`STATE` and `STREET`, both `ST`). `theirs`: `b`'s
    /// listed spellings.
    fn equivalent(&self, a: &str, b: &str, theirs: &[String]) -> bool {
        let ours = self.equivalents(a);
        if ours.iter().any(|s| s == b) {
            return true;
        }
        let (one, other) = (singular(a), singular(b));
        longer(ours, a).any(|s| s == other || longer(theirs, b).any(|t| t == s))
            || longer(theirs, b).any(|t| t == one)
    }

    pub fn is_legal_form(&self, token: &str) -> bool {
        self.forms.contains(token)
    }

    pub fn is_joining(&self, token: &str) -> bool {
        self.joining.contains(token)
    }

    /// The first free run of `words` that `word` (2 to 7 letters) is the initials of: as many
    /// words of two letters or more, with up to two joining words between them.
    pub fn initialled(
        &self,
        word: &str,
        words: &[&str],
        free: impl Fn(std::ops::Range<usize>) -> bool,
    ) -> Option<std::ops::Range<usize>> {
        let k = word.len();
        if !(2..=MAX_INITIALS).contains(&k) || !word.bytes().all(|b| b.is_ascii_alphabetic()) {
            return None;
        }
        for j in 0..words.len() {
            let mut letters = word.bytes();
            let mut end = j;
            let mut joining = 0;
            let mut next = letters.next();
            while let (Some(b), Some(&w)) = (next, words.get(end)) {
                if end > j && self.is_joining(w) && joining < 2 {
                    joining += 1;
                } else if w.len() >= 2 && w.as_bytes()[0] == b {
                    next = letters.next();
                } else {
                    break;
                }
                end += 1;
            }
            if next.is_none() && free(j..end) {
                return Some(j..end);
            }
        }
        None
    }

    fn is_qualifier(&self, token: &str) -> bool {
        self.qualifiers.contains(token)
    }

    /// Weights with each unpaired qualifier after a name's last paired word capped at
    /// `QUALIFIER_WEIGHT` of the highest: it places or qualifies the name, whatever its rarity.
    fn capped(
        &self,
        words: &[&str],
        weights: &[f64],
        links: &[Option<(usize, Link, f64)>],
        top: f64,
    ) -> Vec<f64> {
        let last = links.iter().rposition(Option::is_some);
        weights
            .iter()
            .enumerate()
            .map(|(i, &w)| {
                let trailing = last.is_none_or(|l| i > l) && links[i].is_none();
                if trailing && self.is_qualifier(words[i]) {
                    w.min(QUALIFIER_WEIGHT * top)
                } else {
                    w
                }
            })
            .collect()
    }

    /// Pairs the words of two names, surest links first: the same word, words run together or
    /// split, initials, listed equivalents, then typos, shortenings and a cut last word. Each
    /// word links once; among equals the leftmost free partner is taken.
    pub fn pair(&self, q: &[&str], c: &[&str]) -> Pairing {
        let mut p = Pairing::new(q.len(), c.len());
        // the same word (or number), the nearest of a repeated word first: `CITY OF GARDEN
        // CITY` pairs its last CITY with `TOWN OF GARDEN CITY`'s, in order
        let mut same: Vec<(usize, usize)> = Vec::new();
        for (i, &word) in q.iter().enumerate() {
            let value = numeral(word);
            same.extend(c.iter().enumerate().filter_map(|(j, &other)| {
                (word == other || (value.is_some() && value == numeral(other))).then_some((i, j))
            }));
        }
        same.sort_by_key(|&(i, j)| (i.abs_diff(j), i));
        for (i, j) in same {
            if p.query[i].is_none() && p.candidate[j].is_none() {
                p.link(i..i + 1, j..j + 1, Link::Same, 1.0);
            }
        }
        // words run together on either side, two or three at a time
        for k in [2, 3] {
            for i in 0..q.len() {
                if !p.free_q(i..i + k) {
                    continue;
                }
                let found = (0..c.len()).find(|&j| p.free_c(j..j + 1) && joins(&q[i..i + k], c[j]));
                if let Some(j) = found {
                    p.link(i..i + k, j..j + 1, Link::Joined, 1.0);
                }
            }
            for j in 0..c.len() {
                if !p.free_c(j..j + k) {
                    continue;
                }
                let found = (0..q.len()).find(|&i| p.free_q(i..i + 1) && joins(&c[j..j + k], q[i]));
                if let Some(i) = found {
                    p.link(i..i + 1, j..j + k, Link::Joined, 1.0);
                }
            }
        }
        // a word of initials for as many words of the other side, joining words between them
        // left out (`UC`, `UNIVERSITY OF CALIFORNIA`)
        for (i, &word) in q.iter().enumerate() {
            if p.query[i].is_none() {
                if let Some(run) = self.initialled(word, c, |r| p.free_c(r)) {
                    p.link(i..i + 1, run, Link::Initials, INITIALS_SIM);
                }
            }
        }
        for (j, &word) in c.iter().enumerate() {
            if p.candidate[j].is_none() {
                if let Some(run) = self.initialled(word, q, |r| p.free_q(r)) {
                    p.link(run, j..j + 1, Link::Initials, INITIALS_SIM);
                }
            }
        }
        // listed equivalents, or two listed spellings of one word
        let theirs: Vec<&[String]> = c.iter().map(|w| self.equivalents(w)).collect();
        for (i, &word) in q.iter().enumerate() {
            if p.query[i].is_some() {
                continue;
            }
            let found = c.iter().enumerate().position(|(j, other)| {
                p.candidate[j].is_none()
                    && *other != word
                    && self.equivalent(word, other, theirs[j])
            });
            if let Some(j) = found {
                p.link(i..i + 1, j..j + 1, Link::Equivalent, EQUIVALENT_SIM);
            }
        }
        // typos, shortenings and a cut last word: the best free partner of each word; a
        // joining word is no typo or shortening of another (`OF` is not `OFFIC`), only cut
        for (i, &word) in q.iter().enumerate() {
            if p.query[i].is_some() || numbered(word) {
                continue;
            }
            let word_joins = self.is_joining(word);
            let mut best: Option<(usize, Link, f64)> = None;
            for (j, &other) in c.iter().enumerate() {
                if p.candidate[j].is_some() || numbered(other) {
                    continue;
                }
                let ends = (i + 1 == q.len(), j + 1 == c.len());
                let joining = word_joins || self.is_joining(other);
                if let Some((how, sim)) =
                    near(word, other, ends).filter(|&(how, _)| !joining || how == Link::Cut)
                {
                    if best.is_none_or(|(_, _, s)| sim > s) {
                        best = Some((j, how, sim));
                    }
                }
            }
            if let Some((j, how, sim)) = best {
                p.link(i..i + 1, j..j + 1, how, sim);
            }
        }
        restated(self, &mut p.query, q, c);
        restated(self, &mut p.candidate, c, q);
        p
    }

    /// The model's features of a pairing (`FEATURES` in `matching.model`, in this order), from
    /// each word's weight (its IDF in the network; `top` the highest there is). `text`: the
    /// names' similarity with their spaces taken out (indel, Jaro-Winkler); `place`: the
    /// agreement of legal form, state, ZIP and city (+1 agrees, -1 differs, 0 unknown).
    #[allow(clippy::too_many_arguments)]
    pub fn features(
        &self,
        q: &[&str],
        qw: &[f64],
        c: &[&str],
        cw: &[f64],
        p: &Pairing,
        top: f64,
        text: (f64, f64),
        place: [f64; 4],
        out: &mut Vec<f64>,
    ) {
        // a trailing qualifier weighs at most like an everyday word, even one the network lacks
        let (qw, cw) = (
            &self.capped(q, qw, &p.query, top),
            &self.capped(c, cw, &p.candidate, top),
        );
        let (wq, wc): (f64, f64) = (qw.iter().sum(), cw.iter().sum());
        let (mut mq, mut mc, mut inexact) = (0.0, 0.0, 0.0);
        let mut rarest_shared: f64 = 0.0;
        let (mut joined, mut cut) = (0.0, 0.0);
        for (i, link) in p.query.iter().enumerate() {
            if let Some((_, how, sim)) = *link {
                mq += sim * qw[i];
                rarest_shared = rarest_shared.max(qw[i]);
                if matches!(
                    how,
                    Link::Typo | Link::Abbreviated | Link::Cut | Link::Initials
                ) {
                    inexact += qw[i];
                }
                if matches!(how, Link::Joined | Link::Initials) {
                    joined = 1.0;
                }
                if how == Link::Cut {
                    cut = 1.0;
                }
            }
        }
        for (j, link) in p.candidate.iter().enumerate() {
            if let Some((_, _, sim)) = *link {
                mc += sim * cw[j];
            }
        }
        let unlinked = |words: &[&str], weights: &[f64], links: &[Option<(usize, Link, f64)>]| {
            // (inner, trailing, trailing qualifiers, rarest not a qualifier), numbers left over
            let last = links.iter().rposition(Option::is_some);
            let (mut inner, mut trail, mut qualifier, mut rarest) = (0.0, 0.0, 0.0, 0.0f64);
            let (mut numbers, mut entity) = (false, false);
            for (i, link) in links.iter().enumerate() {
                let word = words[i];
                if link.is_some() || self.is_joining(word) {
                    continue;
                }
                let inside = last.is_some_and(|l| i < l);
                entity |= self.entities.contains(word);
                numbers |= numbered(word);
                if !inside && self.is_qualifier(word) {
                    qualifier += weights[i]; // ACME INC OF OHIO, ACME - TULSA, ACME USA
                } else {
                    rarest = rarest.max(weights[i]);
                    if inside {
                        inner += weights[i];
                    } else {
                        trail += weights[i];
                    }
                }
            }
            (inner, trail, qualifier, rarest, numbers, entity)
        };
        let (q_inner, q_trail, q_qual, q_rarest, q_numbers, q_entity) = unlinked(q, qw, &p.query);
        let (c_inner, c_trail, c_qual, c_rarest, c_numbers, c_entity) =
            unlinked(c, cw, &p.candidate);
        let share = |x: f64, total: f64| if total > 0.0 { x / total } else { 0.0 };
        let order: Vec<usize> = p.query.iter().flatten().map(|l| l.0).collect();
        let falls = order.windows(2).filter(|w| w[0] > w[1]).count();
        let out_of_order = falls > 0;
        // one fall and the rest in order: the same words turned round (SMITH JOHN, JOHN SMITH)
        let turned = falls == 1 && order.first() > order.last();
        // initials in another order name another firm (D & B, B & D)
        let initials_moved = out_of_order && {
            let paired: Vec<usize> = (0..q.len()).filter(|&i| p.query[i].is_some()).collect();
            paired.windows(2).any(|w| {
                let (a, b) = (
                    p.query[w[0]].map_or(0, |l| l.0),
                    p.query[w[1]].map_or(0, |l| l.0),
                );
                a > b && (q[w[0]].len() == 1 || q[w[1]].len() == 1)
            })
        };
        let first = p.query.first().copied().flatten();
        let person = self.person_names(q, c, p);
        let same_key = q == c;
        let same_squashed = same_key || q.concat() == c.concat();
        let flag = |b: bool| if b { 1.0 } else { 0.0 };
        out.extend_from_slice(&[
            share(mq + mc, wq + wc),
            share(mq, wq),
            share(mc, wc),
            share(q_inner, wq),
            share(q_trail, wq),
            share(c_inner, wc),
            share(c_trail, wc),
            share(q_qual, wq),
            share(c_qual, wc),
            flag(first.is_some_and(|(j, _, _)| j == 0)),
            flag(first.is_none()),
            flag(p.candidate.first().copied().flatten().is_none()),
            flag(out_of_order),
            flag(q_numbers && c_numbers),
            flag(q_numbers != c_numbers),
            rarest_shared / top,
            q_rarest / top,
            c_rarest / top,
            share(inexact, wq),
            joined,
            cut,
            text.0,
            text.1,
            flag(same_key),
            flag(same_squashed),
            flag(q.len() == 1),
            flag(c.len() == 1),
            (q.len().min(8) as f64) / 8.0,
            (c.len().min(8) as f64) / 8.0,
            place[0],
            place[1],
            place[2],
            place[3],
            flag(q.last().is_some_and(|t| self.is_joining(t))),
            flag(c.last().is_some_and(|t| self.is_joining(t))),
            flag(q_entity),
            flag(c_entity),
            chars(q),
            chars(c),
            flag(turned),
            flag(initials_moved),
            person,
        ]);
    }

    /// Whether two names read as one person or two: +1 when they share a first name (written
    /// out, shortened or listed as its short form) and at most one of them has words left over,
    /// all first names or initials (a middle name dropped: `ROBERTS, KIMBERLY` / `ROBERTS,
    /// KIMBERLY ANN`); -1 when each has such words left over (`FLEMMER, AL` / `FLEMMER, CARLI
    /// E`); else 0.
    fn person_names(&self, q: &[&str], c: &[&str], p: &Pairing) -> f64 {
        let left = |words: &[&str], links: &[Option<(usize, Link, f64)>]| {
            let mut over = words
                .iter()
                .zip(links)
                .filter(|(w, l)| l.is_none() && !self.is_joining(w))
                .map(|(w, _)| *w)
                .peekable();
            let any = over.peek().is_some();
            (
                any,
                any && over.all(|w| w.len() == 1 || self.given.contains(w)),
            )
        };
        let ((q_any, q_given), (c_any, c_given)) = (left(q, &p.query), left(c, &p.candidate));
        if q_given && c_given {
            return -1.0;
        }
        let shared = p.query.iter().zip(q).any(|(link, w)| {
            link.is_some_and(|(j, how, _)| {
                matches!(
                    how,
                    Link::Same | Link::Equivalent | Link::Abbreviated | Link::Cut
                ) && (self.given.contains(*w) || self.given.contains(c[j]))
            })
        });
        let one_side = (q_given && !c_any) || (c_given && !q_any) || (!q_any && !c_any);
        if shared && one_side {
            1.0
        } else {
            0.0
        }
    }
}

/// A word left over on one side that restates the initials of the other's words, paired
/// already (`SO CALIF PUBLIC PWR AUTH/SCPPA`, `ACME WIDGET CORP (AWC)`): it pairs with them, at
/// the run's first word when it leads its name, else at its last, so the order holds.
fn restated(
    words: &PairWords,
    links: &mut [Option<(usize, Link, f64)>],
    ours: &[&str],
    theirs: &[&str],
) {
    for i in 0..ours.len() {
        if links[i].is_some() || ours[i].len() < 3 {
            continue;
        }
        if let Some(run) = words.initialled(ours[i], theirs, |_| true) {
            let leads = links[..i].iter().all(Option::is_none);
            let at = if leads { run.start } else { run.end - 1 };
            links[i] = Some((at, Link::Initials, INITIALS_SIM));
        }
    }
}

/// A name's length in letters and spaces, up to 40, as a share of 40: a long name may have
/// been cut by a field limit (30 and 35 letters are common ones).
fn chars(words: &[&str]) -> f64 {
    let n: usize = words.iter().map(|w| w.len()).sum::<usize>() + words.len().saturating_sub(1);
    n.min(40) as f64 / 40.0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words() -> PairWords {
        let set = |w: &[&str]| w.iter().map(|s| s.to_string()).collect();
        PairWords::new(
            vec![
                ("SW".into(), "SOUTHWEST".into()),
                ("TX".into(), "TEXAS".into()),
                ("PRTSP".into(), "PARTNERSHIP".into()),
                ("PTNRSHP".into(), "PARTNERSHIP".into()),
                ("COMM".into(), "COMMUNITY".into()),
                ("COMM".into(), "COMMISSION".into()),
                ("SRVCS".into(), "SERVICES".into()),
            ],
            set(&["USA", "OHIO", "TULSA"]),
            set(&["FOUNDATION"]),
            set(&["AND", "OF", "THE"]),
            set(&["INC", "CO"]),
            set(&["KIMBERLY", "ANN", "AL", "CARLI", "AARON", "RAY"]),
        )
    }

    fn links(q: &str, c: &str) -> Vec<Option<(usize, Link)>> {
        let (q, c): (Vec<&str>, Vec<&str>) = (q.split(' ').collect(), c.split(' ').collect());
        words()
            .pair(&q, &c)
            .query
            .iter()
            .map(|l| l.map(|(j, how, _)| (j, how)))
            .collect()
    }

    #[test]
    fn words_run_together_or_split_pair_up() {
        assert_eq!(
            links("BRIGHT PATH", "BRIGHTPATH"),
            [Some((0, Link::Joined)), Some((0, Link::Joined))]
        );
        assert_eq!(links("GREEN360", "GREEN 360"), [Some((0, Link::Joined))]);
        assert_eq!(
            links("MURPHY S HARDWARE", "MURPHYS HARDWARE")[2],
            Some((1, Link::Same))
        );
        assert_eq!(
            links("SD STATE", "SOUTH DAKOTA STATE")[0],
            Some((0, Link::Initials))
        );
        // joining words between the initialled words are passed over, one word is not
        assert_eq!(
            links("REGENTS OF UC", "REGENTS OF UNIVERSITY OF CALIFORNIA")[2],
            Some((2, Link::Initials))
        );
        assert_eq!(links("UC", "UNIVERSITY TOWN CALIFORNIA")[0], None);
    }

    #[test]
    fn a_repeated_word_pairs_with_the_nearest_of_its_kind() {
        assert_eq!(
            links("CITY OF GARDEN CITY", "SW OF GARDEN CITY"),
            [
                None,
                Some((1, Link::Same)),
                Some((2, Link::Same)),
                Some((3, Link::Same))
            ]
        );
        assert_eq!(links("ACME ACME", "ACME")[0], Some((0, Link::Same)));
    }

    #[test]
    fn an_acronym_of_the_other_name_pairs_with_its_words() {
        assert_eq!(
            links(
                "LACMTA",
                "LOS ANGELES COUNTY METROPOLITAN TRANSPORTATION AUTHORITY"
            ),
            [Some((0, Link::Initials))]
        );
        // restated beside the name: paired at the run's last word, in order
        assert_eq!(
            links("SOUTH DAKOTA STATE SDS", "SOUTH DAKOTA STATE")[3],
            Some((2, Link::Initials))
        );
        assert_eq!(links("SDX STATE", "SOUTH DAKOTA STATE")[0], None);
    }

    #[test]
    fn shortenings_equivalents_numbers_and_cuts_pair_up() {
        assert_eq!(
            links("MIDWEST SPLY", "MIDWEST SUPPLY")[1],
            Some((1, Link::Abbreviated))
        );
        assert_eq!(
            links("SW SERVICE", "SOUTHWEST SERVICE")[0],
            Some((0, Link::Equivalent))
        );
        // two shortenings of one word, a plural's S aside
        assert_eq!(
            links("FAMILY PRTSP", "FAMILY PTNRSHP")[1],
            Some((1, Link::Equivalent))
        );
        assert_eq!(
            links("COMMUNITY SERVICE", "COMM SRVCS")[1],
            Some((1, Link::Equivalent))
        );
        // but not two words one shorthand stands for
        assert_eq!(links("COMMUNITY SERVICE", "COMMISSION SERVICE")[0], None);
        assert_eq!(links("STATION I", "STATION 1")[1], Some((1, Link::Same)));
        assert_eq!(
            links("NURSING EXAMI", "NURSING EXAMINERS")[1],
            Some((1, Link::Cut))
        );
        assert_eq!(
            links("NURSING EXAMINERS", "NURSING EXAMI")[1],
            Some((1, Link::Cut))
        );
        assert_eq!(links("STATION 2", "STATION 1")[1], None);
        assert_eq!(
            links("MILLS AARON RAY", "MILLS AARON R")[2],
            Some((2, Link::Abbreviated))
        );
        // only a last word is cut; a word's start elsewhere is a shortening
        assert_eq!(
            links("EXAMI NURSING", "EXAMINERS NURSING")[0],
            Some((0, Link::Abbreviated))
        );
        // a joining word shortens nothing, and leaves the word it is not to its shortening
        let of = links("AMER OF SEED OFFCL", "AMER SEED OFFICIAL");
        assert_eq!((of[1], of[3]), (None, Some((2, Link::Abbreviated))));
        assert_eq!(links("BLACK FOR", "BLACK FOREST")[1], Some((1, Link::Cut)));
    }

    #[test]
    fn person_names_tell_a_middle_name_dropped_from_another_person() {
        let person = |q: &str, c: &str| {
            let (q, c): (Vec<&str>, Vec<&str>) = (q.split(' ').collect(), c.split(' ').collect());
            let w = words();
            w.person_names(&q, &c, &w.pair(&q, &c))
        };
        assert_eq!(person("ROBERTS KIMBERLY", "ROBERTS KIMBERLY ANN"), 1.0);
        assert_eq!(person("MILLS AARON RAY", "MILLS AARON R"), 1.0);
        assert_eq!(person("FLEMMER AL", "FLEMMER CARLI E"), -1.0);
        assert_eq!(person("ACME TOWING", "ACME TOWING REPAIR"), 0.0);
    }

    #[test]
    fn features_tell_trailing_qualifiers_from_other_words() {
        let w = words();
        let (q, c) = (["ACME", "OHIO"], ["ACME"]);
        let p = w.pair(&q, &c);
        let mut out = Vec::new();
        w.features(
            &q,
            &[5.0, 3.0],
            &c,
            &[5.0],
            &p,
            10.0,
            (1.0, 1.0),
            [0.0; 4],
            &mut out,
        );
        assert_eq!(out[1], 5.0 / 8.0); // the query's share the candidate explains
        assert_eq!((out[3], out[4], out[7]), (0.0, 0.0, 3.0 / 8.0)); // OHIO qualifies
        let (q, c) = (["ACME", "COMPUTER"], ["ACME"]);
        let p = w.pair(&q, &c);
        out.clear();
        w.features(
            &q,
            &[5.0, 3.0],
            &c,
            &[5.0],
            &p,
            10.0,
            (1.0, 1.0),
            [0.0; 4],
            &mut out,
        );
        assert_eq!((out[4], out[7], out[16]), (3.0 / 8.0, 0.0, 0.3)); // COMPUTER trails
    }
}
