//! Matching's candidate search and scoring over the supplier network, compiled: the token
//! postings, the typo variants and each row's key, location and legal form.
//! `payeeflow.agents.matching.index` keeps the packed suppliers and the exact keys beside it, and
//! `matching.logic` asks it for candidates and scores (the rules are described there).

use compact_str::CompactString;
use rapidfuzz::distance::{indel, jaro_winkler};
use rustc_hash::FxHashMap;

use crate::align::exact_only;
use crate::forest::Forest;
use crate::pairing::{shortens, PairWords, Pairing, MAX_INITIALS};

/// Rows ranked: (probability, row) best first, and the best probability of another supplier
/// with whether it has the best's match key.
pub type Ranked = (Vec<(f64, u32)>, Option<(f64, bool)>);

/// The rows the match model ranks, those whose names are likeliest by the pairing alone: the
/// trees cost more than the pairing a row. At 8 this cut dropped suppliers the model puts
/// first (`AMERICAN ASSOCIATION OF MOTOR`'s `AMERICAN ASSN MOTOR VEH ADMIN`, behind five
/// `AMERICAN ASSN OF …`), and generated queries went to another supplier 0.41 % of the time,
/// 0.26 % at 12; all 20 rows match 0.02 % more than 12, for twice the cost (0.012 ms a payee).
const FOREST_ROWS: usize = 12;

/// When none of a search's heaviest rows holds the payee's first word, and that word is rare
/// enough to find with, this many rows that hold it, the heaviest, are added: a place's or a
/// founder's name is outweighed by two everyday words its namesakes share (`SPRINGFIELD
/// VOLUNTEER FIRE` lost `SPRINGFIELD FIRE DEPARTMENT` to 85 `… VOLUNTEER FIRE DEPT`).
const LEADING_ROWS: usize = 3;

/// The most rows a search checks for words a payee's unknown word may shorten.
const SHORTENED_CHECKS: usize = 5_000;
/// The heaviest rows a search checks for words an unknown or rare short word may be the
/// initials of.
const INITIALLED_ROWS: usize = 100;

/// An unknown word of this many letters or more may be a name's acronym (`SCPPA`); three
/// letters name too many to find with, though they may still lift a row found otherwise.
const ACRONYM_LETTERS: usize = 4;
/// An acronym shared by more rows than this names none of them.
const ACRONYM_ROWS: usize = 30;
/// Rows added since the acronyms were sorted are read one by one up to this many.
const ACRONYM_TAIL: usize = 4_096;

/// The knobs of the search, set by `matching.index`.
pub struct Search {
    /// A token in more names than this is too common to find candidates with.
    pub max_posting: usize,
    /// A near spelling finds candidates, but less surely than the word itself.
    pub near_weight: f64,
    /// Common words re-rank the candidates weighing at least this share of the best.
    pub boost_from: f64,
    /// The most network tokens a cut word may stand for.
    pub prefix_limit: usize,
}

/// What a payee says besides its name: where it is and the legal form its name states.
pub struct Where<'a> {
    pub state: &'a str,
    pub zip: &'a str,
    pub city: &'a str,
    pub form: Option<&'a str>,
}

impl Where<'_> {
    /// Whether the payee's name states a legal form.
    fn states_form(&self) -> bool {
        self.form.is_some_and(|f| !f.is_empty())
    }
}

/// The network's rows as matching reads them. Rows are append-only; a retired row keeps its
/// postings and is skipped when found (a rebuild drops it).
#[derive(Default)]
pub struct Network {
    token_ids: FxHashMap<CompactString, u32>,
    tokens: Vec<CompactString>,
    postings: Vec<Vec<u32>>,
    variants: FxHashMap<CompactString, Vec<u32>>, // one-letter deletion -> tokens it comes from
    sorted: Option<Vec<u32>>,                     // token ids by text, for prefixes; rebuilt lazily
    acronyms: Vec<(u64, u32)>, // (a row's initials, packed; row), sorted, for rows up to `acronyms_upto`
    acronyms_upto: usize,
    key_starts: Vec<u32>, // row -> its tokens in `keys`
    keys: Vec<u32>,
    key_bits: Vec<u64>, // row -> a bit per token of its key (`token_bit`)
    labels: FxHashMap<CompactString, u32>, // state, city, ZIP and form texts; 0 is none
    label_texts: Vec<CompactString>,
    places: Vec<[u32; 4]>, // row -> state, city, zip, form
    // row -> a rank from its supplier's id: ties go by it, so answers do not depend on the
    // order the network was loaded in (a file's rows, or a topic's partitions interleaved)
    ranks: Vec<u64>,
    alive: Vec<bool>,
    retired: usize, // rows not alive: while none is, searches skip the check
    scratch: Scratch,
}

/// A search's running weights, by row: arrays as long as the network, reused from payee to
/// payee (a stamp says which search or token wrote a slot), so finding candidates hashes nothing.
#[derive(Default)]
struct Scratch {
    search: u32,
    token: u32,
    slots: Vec<Slot>,
    token_rows: Vec<u32>, // rows the current token found
    rows: Vec<u32>,       // rows the search found, first found first
}

/// A row's weights in a search: its best spelling's for the token that last offered it, and its
/// sum for the search that last added to it.
#[derive(Default, Clone, Copy)]
struct Slot {
    token: u32,
    search: u32,
    best: f64,
    total: f64,
}

/// Letters packed 5 bits each (A is 1), when there are `ACRONYM_LETTERS` to `MAX_INITIALS`
/// of them, all A to Z: an acronym and the initials it stands for compare as numbers.
fn acronym(letters: &[u8]) -> Option<u64> {
    if !(ACRONYM_LETTERS..=MAX_INITIALS).contains(&letters.len()) {
        return None;
    }
    letters.iter().try_fold(0u64, |code, &b| {
        b.is_ascii_uppercase()
            .then(|| code << 5 | u64::from(b - b'A' + 1))
    })
}

/// A token's bit in a row's `key_bits`: a row whose bits lack it lacks the token.
fn token_bit(token: u32) -> u64 {
    1 << (token % 64)
}

impl Scratch {
    fn start(&mut self, rows: usize) {
        if self.slots.len() < rows {
            self.slots.resize(rows, Slot::default());
        }
        self.rows.clear();
        if self.search == u32::MAX {
            // wrapped: forget every old stamp
            self.slots.iter_mut().for_each(|slot| slot.search = 0);
            self.search = 0;
        }
        self.search += 1;
    }

    fn next_token(&mut self) {
        self.token_rows.clear();
        if self.token == u32::MAX {
            self.slots.iter_mut().for_each(|slot| slot.token = 0);
            self.token = 0;
        }
        self.token += 1;
    }

    /// A spelling of the current token found `row` at weight `w`: the best spelling counts.
    fn offer(&mut self, row: u32, w: f64) {
        let slot = &mut self.slots[row as usize];
        if slot.token != self.token {
            slot.token = self.token;
            slot.best = w;
            self.token_rows.push(row);
        } else if w > slot.best {
            slot.best = w;
        }
    }

    /// Adds the current token's weights to the rows' totals.
    fn add_token(&mut self) {
        for &row in &self.token_rows {
            let slot = &mut self.slots[row as usize];
            if slot.search != self.search {
                slot.search = self.search;
                slot.total = 0.0 + slot.best;
                self.rows.push(row);
            } else {
                slot.total += slot.best;
            }
        }
    }

    /// Of two rows this search found, the heavier first (`heavier`).
    fn heavier(&self, ranks: &[u64], a: u32, b: u32) -> std::cmp::Ordering {
        let total = |row: u32| (self.slots[row as usize].total, row);
        heavier(ranks, total(a), total(b))
    }

    /// `rows` (found by this search) cut to their `keep` heaviest, in no order.
    fn keep_heaviest(&self, ranks: &[u64], rows: &mut Vec<u32>, keep: usize) {
        if rows.len() > keep {
            if keep > 0 {
                rows.select_nth_unstable_by(keep - 1, |a, b| self.heavier(ranks, *a, *b));
            }
            rows.truncate(keep);
        }
    }

    /// The `limit` heaviest live rows, heaviest first (a tie goes to the lower rank), after words
    /// too common to find with lift the rows near the top whose key holds them. The totals are
    /// read once into a list: a lift is looked for only in a row that could then reach the top
    /// `limit` (reading a row's key is a cache miss), so the answer is that of lifting them all.
    fn heaviest<'k>(
        &self,
        alive: Option<&[bool]>,
        ranks: &[u64],
        limit: usize,
        lift: (&[(u32, f64)], f64),
        key_bits: &[u64],
        key: impl Fn(u32) -> &'k [u32],
    ) -> Vec<u32> {
        let slots = &self.slots;
        let mut ranked: Vec<(f64, u32)> = self
            .rows
            .iter()
            .map(|&r| (slots[r as usize].total, r))
            .collect();
        let (common, from) = lift;
        let top = ranked.iter().map(|r| r.0).fold(f64::MIN, f64::max); // dead rows too
        if let Some(alive) = alive {
            ranked.retain(|&(_, r)| alive[r as usize]);
        }
        if !common.is_empty() {
            let most: f64 = common.iter().map(|&(_, w)| w).sum();
            let bits = common
                .iter()
                .fold(0, |bits, &(near, _)| bits | token_bit(near));
            let mut floor = f64::MIN;
            if limit > 0 && ranked.len() > limit {
                let mut totals: Vec<f64> = ranked.iter().map(|r| r.0).collect();
                totals.select_nth_unstable_by(limit - 1, |a, b| b.total_cmp(a));
                floor = totals[limit - 1] - most - 1e-9; // below it, no lift reaches the top
            }
            for (total, row) in ranked.iter_mut() {
                if *total < top * from || *total < floor || key_bits[*row as usize] & bits == 0 {
                    continue;
                }
                let held = key(*row);
                for &(near, w) in common {
                    if held.contains(&near) {
                        *total += w;
                    }
                }
            }
        }
        let order = |a: &(f64, u32), b: &(f64, u32)| heavier(ranks, *a, *b);
        if limit > 0 && ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, order);
        }
        ranked.truncate(limit);
        ranked.sort_unstable_by(order);
        ranked.into_iter().map(|(_, r)| r).collect()
    }
}

/// (weight, row) pairs heavier first, a tie going to the lower rank.
fn heavier(ranks: &[u64], (wa, a): (f64, u32), (wb, b): (f64, u32)) -> std::cmp::Ordering {
    wb.total_cmp(&wa)
        .then(ranks[a as usize].cmp(&ranks[b as usize]))
}

/// A token's one-letter deletions (tokens of 4+ characters only).
fn deletions(token: &str) -> Vec<CompactString> {
    let chars: Vec<(usize, char)> = token.char_indices().collect();
    if chars.len() < 4 {
        return Vec::new();
    }
    let mut out: Vec<CompactString> = Vec::with_capacity(chars.len());
    for &(at, c) in &chars {
        let mut s = CompactString::with_capacity(token.len() - c.len_utf8());
        s.push_str(&token[..at]);
        s.push_str(&token[at + c.len_utf8()..]);
        if !out.contains(&s) {
            out.push(s);
        }
    }
    out
}

impl Network {
    pub fn new() -> Self {
        Network {
            label_texts: vec![CompactString::default()],
            ..Default::default()
        }
    }

    fn label(&mut self, text: &str) -> u32 {
        if text.is_empty() {
            return 0;
        }
        if let Some(&id) = self.labels.get(text) {
            return id;
        }
        let id = self.label_texts.len() as u32;
        self.label_texts.push(text.into());
        self.labels.insert(text.into(), id);
        id
    }

    fn label_of(&self, text: &str) -> u32 {
        if text.is_empty() {
            0
        } else {
            self.labels.get(text).copied().unwrap_or(u32::MAX)
        }
    }

    /// Appends a row: its key's tokens, location and legal form ("" for none), and its rank.
    pub fn add(&mut self, tokens: &[&str], at: [&str; 4], rank: u64) -> u32 {
        let [state, city, zip, form] = at;
        let row = self.alive.len() as u32;
        self.key_starts.push(self.keys.len() as u32);
        let mut seen: Vec<u32> = Vec::with_capacity(tokens.len());
        for &token in tokens {
            let id = self.token(token);
            self.keys.push(id);
            if !seen.contains(&id) {
                seen.push(id);
                self.postings[id as usize].push(row);
            }
        }
        let place = [
            self.label(state),
            self.label(city),
            self.label(zip),
            self.label(form),
        ];
        self.places.push(place);
        self.ranks.push(rank);
        self.alive.push(true);
        self.key_bits
            .push(seen.iter().fold(0, |bits, &id| bits | token_bit(id)));
        row
    }

    fn token(&mut self, token: &str) -> u32 {
        if let Some(&id) = self.token_ids.get(token) {
            return id;
        }
        let id = self.tokens.len() as u32;
        self.tokens.push(token.into());
        self.token_ids.insert(token.into(), id);
        self.postings.push(Vec::new());
        for variant in deletions(token) {
            self.variants.entry(variant).or_default().push(id);
        }
        self.sorted = None;
        id
    }

    pub fn retire(&mut self, row: usize) {
        if let Some(alive) = self.alive.get_mut(row) {
            self.retired += usize::from(*alive);
            *alive = false;
        }
    }

    /// The canonical legal form a row's name states.
    pub fn form(&self, row: usize) -> Option<&str> {
        let label = self.places.get(row)?[3];
        (label != 0).then(|| self.label_texts[label as usize].as_str())
    }

    fn key(&self, row: usize) -> &[u32] {
        let start = self.key_starts[row] as usize;
        let end = self
            .key_starts
            .get(row + 1)
            .map_or(self.keys.len(), |&e| e as usize);
        &self.keys[start..end]
    }

    /// Inverse document frequency; a token the network lacks weighs like a rare one.
    fn idf_of(&self, posting: usize) -> f64 {
        ((self.alive.len() + 1) as f64 / (posting + 1) as f64).ln() + 1.0
    }

    /// Whether a word the network knows may still be initials: 3 letters to `MAX_INITIALS`, in
    /// no more than `ACRONYM_ROWS` names (`VFD`, where `FIRE` is in thousands).
    fn acronym_like(&self, token: &str) -> bool {
        (3..=MAX_INITIALS).contains(&token.len())
            && token.bytes().all(|b| b.is_ascii_uppercase())
            && self
                .token_ids
                .get(token)
                .is_some_and(|&id| self.postings[id as usize].len() <= ACRONYM_ROWS)
    }

    pub fn idf(&self, token: &str) -> f64 {
        let n = self
            .token_ids
            .get(token)
            .map_or(0, |&id| self.postings[id as usize].len());
        self.idf_of(n)
    }

    /// Network tokens within about two edits of `token` (itself included when known).
    fn similar(&self, token: &str, found: &mut Vec<u32>) {
        if let Some(&id) = self.token_ids.get(token) {
            found.push(id);
        }
        let mut variants = deletions(token);
        for variant in &variants {
            // a letter too many (CROWS, CROW): the network's token is one of the token's deletions
            if let Some(&id) = self.token_ids.get(variant.as_str()) {
                found.push(id);
            }
        }
        variants.push(token.into());
        for variant in &variants {
            if let Some(ids) = self.variants.get(variant.as_str()) {
                found.extend_from_slice(ids);
            }
        }
    }

    /// The two known words `token` may be run together from (`GREEN360`, `XRAY`), or the known
    /// word run together with a legal form (`FENCECO`, `LOGISTICSLTD`). A word the network knows
    /// too (`OTTERTAIL`, for `OTTER TAIL`) splits only into words of three letters or more: a
    /// letter or two split off a known word finds mostly noise.
    fn split(&self, token: &str, words: &PairWords, found: &mut Vec<u32>) {
        if token.len() < 4 || !token.is_ascii() {
            return;
        }
        let known = self.token_ids.contains_key(token);
        let shortest = if known { 3 } else { 1 };
        for at in shortest..=token.len() - shortest {
            let (left, right) = token.split_at(at);
            let Some(&a) = self.token_ids.get(left) else {
                continue;
            };
            if let Some(&b) = self.token_ids.get(right) {
                found.extend([a, b]);
            } else if !known && words.is_legal_form(right) {
                found.push(a);
            }
        }
    }

    /// A row's initials, packed (`acronym`): its key's words but joining ones, each of two
    /// letters or more, 4 to `MAX_INITIALS` of them.
    fn initials(&self, row: usize, words: &PairWords) -> Option<u64> {
        let mut letters = [0u8; MAX_INITIALS];
        let mut n = 0;
        for &id in self.key(row) {
            let token = self.tokens[id as usize].as_str();
            if words.is_joining(token) {
                continue;
            }
            if token.len() < 2 || n == MAX_INITIALS {
                return None;
            }
            letters[n] = token.as_bytes()[0];
            n += 1;
        }
        acronym(&letters[..n])
    }

    /// Rows whose initials are `word`'s letters (`SCPPA`, `SOUTHERN CALIFORNIA PUBLIC POWER
    /// AUTHORITY`), when at most `ACRONYM_ROWS` are. Rows added since the last sort are read
    /// one by one, and sorted in once there are `ACRONYM_TAIL` of them.
    fn acronym_rows(&mut self, word: &str, words: &PairWords, found: &mut Vec<u32>) {
        let Some(code) = acronym(word.as_bytes()) else {
            return;
        };
        if self.alive.len() - self.acronyms_upto > ACRONYM_TAIL {
            let fresh: Vec<(u64, u32)> = (self.acronyms_upto..self.alive.len())
                .filter_map(|row| self.initials(row, words).map(|c| (c, row as u32)))
                .collect();
            self.acronyms.extend(fresh);
            self.acronyms.sort_unstable();
            self.acronyms_upto = self.alive.len();
        }
        let start = self.acronyms.partition_point(|&(c, _)| c < code);
        found.extend(
            self.acronyms[start..]
                .iter()
                .take_while(|&&(c, _)| c == code)
                .map(|&(_, row)| row),
        );
        found.extend(
            (self.acronyms_upto..self.alive.len())
                .filter(|&row| self.initials(row, words) == Some(code))
                .map(|row| row as u32),
        );
        if found.len() > ACRONYM_ROWS {
            found.clear();
        }
    }

    /// Network tokens that start with `prefix` (a token cut by a bank-file field limit).
    fn prefixed(&mut self, prefix: &str, limit: usize, found: &mut Vec<u32>) {
        if prefix.chars().count() < 3 {
            return;
        }
        let tokens = &self.tokens;
        let sorted = self.sorted.get_or_insert_with(|| {
            let mut ids: Vec<u32> = (0..tokens.len() as u32).collect();
            ids.sort_unstable_by(|&a, &b| tokens[a as usize].cmp(&tokens[b as usize]));
            ids
        });
        let start = sorted.partition_point(|&id| tokens[id as usize].as_str() < prefix);
        for &id in sorted[start..].iter().take(limit) {
            if !tokens[id as usize].starts_with(prefix) {
                break;
            }
            found.push(id);
        }
    }

    /// Rows sharing the payee's tokens or their near spellings, heaviest first, `limit` of them,
    /// and `LEADING_ROWS` more that hold its first word when none of those does; each token
    /// counts once per row, at its best spelling. A token's spellings: itself, those within two
    /// edits, its listed equivalents (and, for a shortening, the other shortenings of its word),
    /// the two known words it may be run together from (`GREEN360`), and, for the last word,
    /// those it begins (a cut, `EXAMI`). Words the payee ran apart (`BRIGHT PATH`) count as the
    /// known word they make together.
    pub fn candidates(
        &mut self,
        tokens: &[&str],
        truncated: bool,
        limit: usize,
        search: &Search,
        words: &PairWords,
    ) -> Vec<u32> {
        let mut unique: Vec<&str> = Vec::with_capacity(tokens.len());
        for &t in tokens {
            if !unique.contains(&t) {
                unique.push(t);
            }
        }
        let mut joined: Vec<String> = Vec::new();
        for k in [2, 3] {
            for run in tokens.windows(k) {
                let word = run.concat();
                if self.token_ids.contains_key(word.as_str()) && !unique.contains(&word.as_str()) {
                    joined.push(word);
                }
            }
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.start(self.alive.len());
        let mut common: Vec<(u32, f64)> = Vec::new(); // too common to find with, but they rank
        let mut similar: Vec<u32> = Vec::new();
        let mut orphans: Vec<&str> = Vec::new();
        let mut initialisms: Vec<&str> = Vec::new();
        let mut acronymed: Vec<u32> = Vec::new();
        let mut leading: Vec<u32> = Vec::new(); // rows the first word found
        let last = unique.len().saturating_sub(1);
        let terms = unique
            .iter()
            .copied()
            .chain(joined.iter().map(String::as_str));
        for (position, token) in terms.enumerate() {
            similar.clear();
            self.similar(token, &mut similar);
            if position < unique.len() {
                // its listed spellings, and a longer one's (`PRTSP`: `PARTNERSHIP`, `PTNRSHP`)
                for other in words.equivalents(token) {
                    let longer = other.len() > token.len();
                    let sibling = if longer {
                        words.equivalents(other)
                    } else {
                        &[]
                    };
                    for spelling in std::iter::once(other).chain(sibling) {
                        if let Some(&id) = self.token_ids.get(spelling.as_str()) {
                            similar.push(id);
                        }
                    }
                }
                self.split(token, words, &mut similar);
            }
            // any name may have been cut; one at a field limit surely was, even short of a word
            let shortest = if truncated { 3 } else { 4 };
            if position == last && !exact_only(token) && token.chars().count() >= shortest {
                self.prefixed(token, search.prefix_limit, &mut similar);
            }
            similar.sort_unstable();
            similar.dedup();
            // the word itself, and without a possessive's or a plural's S (CROWS, CROW)
            let own = [
                token,
                token
                    .strip_suffix('S')
                    .filter(|t| t.len() >= 3)
                    .unwrap_or(token),
            ]
            .map(|t| self.token_ids.get(t).copied());
            let unknown = own == [None, None] && position < unique.len();
            if unknown && !exact_only(token) {
                orphans.push(token); // a word the network lacks: perhaps a shortening (PNTG)
            } else if position < unique.len() && self.acronym_like(token) {
                initialisms.push(token); // a rare short word: perhaps initials (VFD)
            }
            // a near spelling weighs no more than the word itself: PENS, rare, is not found
            // for PEST, common, ahead of a rare word's typo
            let ceiling = self.idf(token);
            scratch.next_token();
            for &near in &similar {
                let posting = &self.postings[near as usize];
                let w = if own.contains(&Some(near)) {
                    self.idf_of(posting.len())
                } else {
                    self.idf_of(posting.len()).min(ceiling) * search.near_weight
                };
                if posting.len() > search.max_posting {
                    match common.iter_mut().find(|(id, _)| *id == near) {
                        Some(entry) => entry.1 = entry.1.max(w),
                        None => common.push((near, w)),
                    }
                    continue;
                }
                for &row in posting {
                    scratch.offer(row, w);
                }
            }
            if unknown {
                // a word the network lacks may be a name's acronym (SCPPA)
                acronymed.clear();
                self.acronym_rows(token, words, &mut acronymed);
                let w = self.idf_of(acronymed.len());
                for &row in &acronymed {
                    scratch.offer(row, w);
                }
            }
            scratch.add_token();
            let findable = own
                .iter()
                .flatten()
                .any(|&id| self.postings[id as usize].len() <= search.max_posting);
            if position == 0 && findable {
                leading.extend_from_slice(&scratch.token_rows);
            }
        }
        let mut lift_from = search.boost_from;
        if scratch.rows.is_empty() {
            // every word too common to find with: the rarest finds, the others rank all it found
            let rarest =
                (0..common.len()).min_by_key(|&i| self.postings[common[i].0 as usize].len());
            if let Some(at) = rarest {
                let (id, w) = common.swap_remove(at);
                scratch.next_token();
                for &row in &self.postings[id as usize] {
                    scratch.offer(row, w);
                }
                scratch.add_token();
                lift_from = 0.0;
            }
        }
        if !orphans.is_empty() && scratch.rows.len() <= SHORTENED_CHECKS {
            // a word nothing finds may shorten one of a found row's words (PNTG, PAINTING)
            for &row in &scratch.rows {
                let key = self.key(row as usize);
                for &orphan in &orphans {
                    if key
                        .iter()
                        .any(|&id| shortens(orphan, &self.tokens[id as usize]))
                    {
                        scratch.slots[row as usize].total += self.idf(orphan) * search.near_weight;
                    }
                }
            }
        }
        initialisms.extend_from_slice(&orphans);
        if !initialisms.is_empty() {
            // it, or a rare short word, may stand for a run of a heavy row's words (VFD, VOL FIRE
            // DEPARTMENT): only the heaviest rows are read, a row's key being a cache miss
            let mut heavy = scratch.rows.clone();
            scratch.keep_heaviest(&self.ranks, &mut heavy, INITIALLED_ROWS);
            let mut held: Vec<&str> = Vec::new();
            for row in heavy {
                held.clear();
                held.extend(
                    self.key(row as usize)
                        .iter()
                        .map(|&id| self.tokens[id as usize].as_str()),
                );
                for &word in &initialisms {
                    if words.initialled(word, &held, |_| true).is_some() {
                        scratch.slots[row as usize].total += self.idf(word) * search.near_weight;
                    }
                }
            }
        }
        let alive = (self.retired > 0).then_some(self.alive.as_slice());
        let lift = (common.as_slice(), lift_from);
        let mut found = scratch.heaviest(alive, &self.ranks, limit, lift, &self.key_bits, |row| {
            self.key(row as usize)
        });
        if found.iter().any(|row| leading.contains(row)) {
            leading.clear(); // the first word has its rows among them
        }
        leading.retain(|row| alive.is_none_or(|a| a[*row as usize]));
        if limit > 0 && !leading.is_empty() && found.len() >= limit {
            scratch.keep_heaviest(&self.ranks, &mut leading, LEADING_ROWS);
            leading.sort_unstable_by(|a, b| scratch.heavier(&self.ranks, *a, *b));
            found.extend(leading);
        }
        self.scratch = scratch;
        found
    }

    /// How a row's legal form, state, ZIP and city compare with the payee's: +1 the same (for a
    /// legal form, also none on both sides), -1 another (a ZIP or city that differs says little:
    /// 0), 0 unknown on either side.
    fn place(&self, row: usize, at: &Where, labels: [u32; 4]) -> [f64; 4] {
        let [s, c, z, f] = self.places[row];
        let [state, zip, city, form] = labels;
        let compare = |known: bool, theirs: u32, ours: u32, differs: f64| {
            if !known || theirs == 0 {
                0.0
            } else if theirs == ours {
                1.0
            } else {
                differs
            }
        };
        let stated = at.states_form();
        [
            match (stated, f != 0) {
                (false, false) => 1.0, // neither states one: as alike as the same one
                (true, true) => compare(true, f, form, -1.0),
                _ => 0.0,
            },
            compare(!at.state.is_empty(), s, state, -1.0),
            compare(!at.zip.is_empty(), z, zip, 0.0),
            compare(!at.city.is_empty(), c, city, 0.0),
        ]
    }

    /// A row's key words and their weights.
    fn words_of(&self, row: usize) -> (Vec<&str>, Vec<f64>) {
        self.key(row)
            .iter()
            .map(|&id| {
                let posting = self.postings[id as usize].len();
                (self.tokens[id as usize].as_str(), self.idf_of(posting))
            })
            .unzip()
    }

    /// The features of each row against the payee's name and place (`pairing.rs`), a row's
    /// after another's.
    pub fn features(
        &self,
        words: &PairWords,
        tokens: &[&str],
        rows: &[u32],
        at: &Where,
    ) -> Vec<f64> {
        let asked = Asked::new(self, tokens, at);
        let mut out = Vec::with_capacity(rows.len() * 40);
        for &row in rows {
            asked.features(self, words, row as usize, &mut out);
        }
        out
    }

    /// How the payee's words pair with a row's: the pairing, and the row's words.
    pub fn pairing(&self, words: &PairWords, tokens: &[&str], row: usize) -> (Pairing, Vec<&str>) {
        let (theirs, _) = self.words_of(row);
        (words.pair(tokens, &theirs), theirs)
    }

    /// Every row with the model's probability that it is the payee's supplier, best first (ties:
    /// the lower rank first), and the best probability of another supplier: one with another
    /// key, or the best's twin (its key spelled otherwise, at a place the payee's state, ZIP and
    /// city do not tell apart, nor a legal form the payee states: a sibling). A sibling the
    /// payee tells apart is no rival, nor the best's very name elsewhere (`spelled_alike`: a
    /// chain's other place, which the readers judge one supplier; the lower rank is answered).
    pub fn rank(
        &self,
        words: &PairWords,
        model: &Forest,
        tokens: &[&str],
        rows: &[u32],
        at: &Where,
        spelled_alike: impl Fn(u32, u32) -> bool,
    ) -> Ranked {
        let asked = Asked::new(self, tokens, at);
        let width = model.features();
        let mut x = Vec::with_capacity(rows.len() * width);
        for &row in rows {
            asked.features(self, words, row as usize, &mut x);
        }
        // the trees read the rows whose names are likeliest: the rest could not come first
        let mut order: Vec<usize> = (0..rows.len()).collect();
        if order.len() > FOREST_ROWS {
            order.select_nth_unstable_by(FOREST_ROWS - 1, |&a, &b| {
                x[b * width].total_cmp(&x[a * width])
            });
            order.truncate(FOREST_ROWS);
        }
        let mut scored: Vec<(f64, u32)> = order
            .iter()
            .map(|&i| (model.probability(&x[i * width..(i + 1) * width]), rows[i]))
            .collect();
        scored.sort_unstable_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(self.ranks[a.1 as usize].cmp(&self.ranks[b.1 as usize]))
        });
        let runner = scored.first().and_then(|&(_, top)| {
            let (key, place) = (self.key(top as usize), &self.places[top as usize][..2]);
            let said = |row: u32| self.place(row as usize, at, asked.labels);
            let best = said(top);
            let stated = at.states_form();
            scored[1..].iter().find_map(|&(s, r)| {
                if self.key(r as usize) != key {
                    return Some((s, false));
                }
                if &self.places[r as usize][..2] == place || spelled_alike(top, r) {
                    // the network's duplicate of the best at its place, or its very name
                    // elsewhere: a chain's other place, one supplier to readers
                    return None;
                }
                // its key spelled otherwise elsewhere (a sibling): no rival when the payee's place,
                // or a legal form it states that the best has and this one has not (`… INC`
                // between `… INC` and `… LLC`), tells them apart; else a twin
                let theirs = said(r);
                let form_tells = stated && best[0] == 1.0 && theirs[0] != 1.0;
                (theirs[1..] == best[1..] && !form_tells).then_some((s, true))
            })
        });
        (scored, runner)
    }
}

/// A payee's name and place as rows are compared with it: its words' weights, its name with
/// the spaces taken out (compared by rapidfuzz's bit-parallel scorers), its place's labels.
struct Asked<'a> {
    tokens: &'a [&'a str],
    weights: Vec<f64>,
    indel: indel::BatchComparator<char>,
    jaro: jaro_winkler::BatchComparator<char>,
    at: &'a Where<'a>,
    labels: [u32; 4],
    top: f64,
}

impl<'a> Asked<'a> {
    fn new(network: &Network, tokens: &'a [&'a str], at: &'a Where<'a>) -> Self {
        let squashed: Vec<char> = tokens.concat().chars().collect();
        Asked {
            tokens,
            weights: tokens.iter().map(|t| network.idf(t)).collect(),
            indel: indel::BatchComparator::new(squashed.iter().copied()),
            jaro: jaro_winkler::BatchComparator::new(squashed.iter().copied()),
            at,
            labels: [
                network.label_of(at.state),
                network.label_of(at.zip),
                network.label_of(at.city),
                at.form.map_or(0, |f| network.label_of(f)),
            ],
            top: network.idf_of(0),
        }
    }

    fn features(&self, network: &Network, words: &PairWords, row: usize, out: &mut Vec<f64>) {
        let (theirs, weights) = network.words_of(row);
        let pairing = words.pair(self.tokens, &theirs);
        let squashed: Vec<char> = theirs.concat().chars().collect();
        let text = (
            self.indel.normalized_similarity(squashed.iter().copied()),
            self.jaro.similarity(squashed.iter().copied()),
        );
        let place = network.place(row, self.at, self.labels);
        words.features(
            self.tokens,
            &self.weights,
            &theirs,
            &weights,
            &pairing,
            self.top,
            text,
            place,
            out,
        );
    }
}
