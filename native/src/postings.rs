//! Matching's candidate search and scoring over the supplier network, compiled: the token
//! postings, the typo variants and each row's key, location and legal form.
//! `payeeflow.agents.matching.index` keeps the packed suppliers and the exact keys beside it, and
//! `matching.logic` asks it for candidates and scores (the rules are described there).

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::align::{exact_only, similarity, Rules};

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

/// The network's rows as matching reads them. Rows are append-only; a retired row keeps its
/// postings and is skipped when found (a rebuild drops it).
#[derive(Default)]
pub struct Network {
    token_ids: FxHashMap<CompactString, u32>,
    tokens: Vec<CompactString>,
    postings: Vec<Vec<u32>>,
    variants: FxHashMap<CompactString, Vec<u32>>, // one-letter deletion -> tokens it comes from
    sorted: Option<Vec<u32>>,                     // token ids by text, for prefixes; rebuilt lazily
    key_starts: Vec<u32>,                         // row -> its tokens in `keys`
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
        let order = |a: &(f64, u32), b: &(f64, u32)| {
            b.0.total_cmp(&a.0)
                .then(ranks[a.1 as usize].cmp(&ranks[b.1 as usize]))
        };
        if limit > 0 && ranked.len() > limit {
            ranked.select_nth_unstable_by(limit - 1, order);
        }
        ranked.truncate(limit);
        ranked.sort_unstable_by(order);
        ranked.into_iter().map(|(_, r)| r).collect()
    }
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
        variants.push(token.into());
        for variant in &variants {
            if let Some(ids) = self.variants.get(variant.as_str()) {
                found.extend_from_slice(ids);
            }
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

    /// Rows sharing the payee's tokens or their near spellings, heaviest first, `limit` at most;
    /// each token counts once per row, at its best spelling.
    pub fn candidates(
        &mut self,
        tokens: &[&str],
        truncated: bool,
        limit: usize,
        search: &Search,
    ) -> Vec<u32> {
        let mut unique: Vec<&str> = Vec::with_capacity(tokens.len());
        for &t in tokens {
            if !unique.contains(&t) {
                unique.push(t);
            }
        }
        let mut scratch = std::mem::take(&mut self.scratch);
        scratch.start(self.alive.len());
        let mut common: Vec<(u32, f64)> = Vec::new(); // too common to find with, but they rank
        let mut similar: Vec<u32> = Vec::new();
        for (position, &token) in unique.iter().enumerate() {
            similar.clear();
            self.similar(token, &mut similar);
            if truncated
                && position == tokens.len() - 1
                && !exact_only(token)
                && token.chars().count() >= 3
            {
                self.prefixed(token, search.prefix_limit, &mut similar);
            }
            similar.sort_unstable();
            similar.dedup();
            let own = self.token_ids.get(token).copied();
            scratch.next_token();
            for &near in &similar {
                let posting = &self.postings[near as usize];
                let scale = if Some(near) == own {
                    1.0
                } else {
                    search.near_weight
                };
                let w = self.idf_of(posting.len()) * scale;
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
            scratch.add_token();
        }
        let found = if scratch.rows.is_empty() {
            match common
                .iter()
                .min_by_key(|(id, _)| self.postings[*id as usize].len())
            {
                Some(&(rarest, _)) => self.postings[rarest as usize]
                    .iter()
                    .copied()
                    .filter(|&r| self.alive[r as usize])
                    .take(limit)
                    .collect(),
                None => Vec::new(),
            }
        } else {
            let alive = (self.retired > 0).then_some(self.alive.as_slice());
            let lift = (common.as_slice(), search.boost_from);
            scratch.heaviest(alive, &self.ranks, limit, lift, &self.key_bits, |row| {
                self.key(row as usize)
            })
        };
        self.scratch = scratch;
        found
    }

    /// Location and legal form agreeing add points; another state takes some.
    fn evidence(&self, row: usize, at: &Where, state: u32, zip: u32, city: u32, form: u32) -> f64 {
        let [s, c, z, f] = self.places[row];
        let mut bonus = 0.0;
        if !at.state.is_empty() && s != 0 {
            bonus += if state == s { 3.0 } else { -6.0 };
        }
        if !at.zip.is_empty() && zip == z {
            bonus += 3.0;
        }
        if !at.city.is_empty() && city == c {
            bonus += 2.0;
        }
        if at.form.is_some_and(|f| !f.is_empty()) && f != 0 {
            bonus += if form == f { 1.0 } else { -1.0 };
        }
        bonus
    }

    /// Every row scored, best first (ties: the lower rank first), and the best score of another
    /// supplier: one with another key or another place than the best. `exact` rows hold the
    /// name's key, and score 100 plus their evidence.
    pub fn score(
        &self,
        tokens: &[&str],
        truncated: bool,
        rows: &[u32],
        exact: bool,
        at: &Where,
        rules: &Rules,
    ) -> (Vec<(f64, u32)>, Option<f64>) {
        let (state, zip, city) = (
            self.label_of(at.state),
            self.label_of(at.zip),
            self.label_of(at.city),
        );
        let form = at.form.map_or(0, |f| self.label_of(f));
        let query_weights: Vec<f64> = tokens.iter().map(|t| self.idf(t)).collect();
        let mut words: Vec<&str> = Vec::new();
        let mut weights: Vec<f64> = Vec::new();
        let mut scored: Vec<(f64, u32)> = Vec::with_capacity(rows.len());
        for &row in rows {
            let r = row as usize;
            let base = if exact {
                100.0
            } else {
                words.clear();
                weights.clear();
                for &id in self.key(r) {
                    words.push(&self.tokens[id as usize]);
                    weights.push(self.idf_of(self.postings[id as usize].len()));
                }
                similarity(tokens, &query_weights, &words, &weights, truncated, rules)
            };
            scored.push((base + self.evidence(r, at, state, zip, city, form), row));
        }
        scored.sort_unstable_by(|a, b| {
            b.0.total_cmp(&a.0)
                .then(self.ranks[a.1 as usize].cmp(&self.ranks[b.1 as usize]))
        });
        let runner = scored.first().and_then(|&(_, top)| {
            let (key, place) = (self.key(top as usize), &self.places[top as usize][..2]);
            scored[1..]
                .iter()
                .find(|&&(_, r)| {
                    self.key(r as usize) != key || &self.places[r as usize][..2] != place
                })
                .map(|&(s, _)| s)
        });
        (scored, runner)
    }
}
