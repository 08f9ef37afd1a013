//! Search by name in memory: every payee's name, folded as PostgreSQL's `ILIKE` folds it under
//! the C collation (ASCII letters only), with the payees holding each of its three-byte windows.
//!
//! A term's matches are the payees whose folded name contains it, found among those holding its
//! rarest windows: their lists are intersected in `payee_id` order, so a page stops as soon as
//! it is full. The bulk (`Segment`) is built once and never changed: a payee stored or
//! renamed since goes to a small `Tail` (its old entry shadowed), and a merge folds the tail in.

use memchr::memmem::Finder;
use rustc_hash::FxHashMap;

use crate::sortedlists::{intersect, Packed, Seek, Slice};

/// What `ILIKE` compares under the C collation: the bytes, with ASCII letters in lower case.
pub fn fold(text: &str) -> Vec<u8> {
    text.as_bytes().to_ascii_lowercase()
}

/// A folded text's distinct three-byte windows, each as a number.
pub fn grams(folded: &[u8]) -> Vec<u32> {
    let mut grams: Vec<u32> = folded
        .windows(3)
        .map(|w| (w[0] as u32) << 16 | (w[1] as u32) << 8 | w[2] as u32)
        .collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// Texts packed end to end: one allocation, not one a text.
#[derive(Default)]
pub struct Texts {
    bytes: Vec<u8>,
    ends: Vec<u32>, // 4 GiB of names is far beyond a payee table
}

impl Texts {
    pub fn push(&mut self, text: &[u8]) {
        self.bytes.extend_from_slice(text);
        self.ends
            .push(u32::try_from(self.bytes.len()).expect("under 4 GiB of text"));
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.bytes[start..self.ends[i] as usize]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// Each window's entries (a name's place in `names`), counted first and then filled, so the
/// plain lists are allocated once at their size, then packed.
fn postings(names: &Texts) -> Packed {
    let mut counts: FxHashMap<u32, usize> = FxHashMap::default();
    for i in 0..names.len() {
        for gram in grams(names.get(i)) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
    let mut spans = FxHashMap::with_capacity_and_hasher(counts.len(), Default::default());
    let mut total = 0;
    for (gram, count) in counts {
        spans.insert(gram, (total, total));
        total += count;
    }
    let mut entries = vec![0u32; total];
    for i in 0..names.len() {
        for gram in grams(names.get(i)) {
            let span = spans.get_mut(&gram).expect("counted above");
            entries[span.1] = i as u32;
            span.1 += 1;
        }
    }
    Packed::of(
        spans
            .into_iter()
            .map(|(gram, (start, end))| (gram, &entries[start..end])),
    )
}

/// The bulk of the names, in `payee_id` order; never changed once built.
struct Segment {
    ids: Texts,
    names: Texts,
    postings: Packed,
}

impl Segment {
    /// From (id, folded name) pairs in id order, each id once.
    fn of<'a>(rows: impl Iterator<Item = (&'a [u8], &'a [u8])>) -> Self {
        let mut ids = Texts::default();
        let mut names = Texts::default();
        for (id, name) in rows {
            ids.push(id);
            names.push(name);
        }
        let postings = postings(&names);
        Segment {
            ids,
            names,
            postings,
        }
    }

    fn position(&self, id: &[u8]) -> Result<usize, usize> {
        let (mut low, mut high) = (0, self.ids.len());
        while low < high {
            let mid = (low + high) / 2;
            match self.ids.get(mid).cmp(id) {
                std::cmp::Ordering::Less => low = mid + 1,
                std::cmp::Ordering::Greater => high = mid,
                std::cmp::Ordering::Equal => return Ok(mid),
            }
        }
        Err(low)
    }
}

/// Payees stored or renamed since the segment was built, in the order they came. A payee renamed
/// again leaves a dead slot behind.
#[derive(Default)]
struct Tail {
    ids: Vec<Vec<u8>>,
    names: Vec<Vec<u8>>,
    live: Vec<bool>,
    slot_of: FxHashMap<Vec<u8>, usize>,
    grams: FxHashMap<u32, Vec<u32>>,
}

impl Tail {
    fn push(&mut self, id: Vec<u8>, name: Vec<u8>) {
        let slot = self.ids.len();
        for gram in grams(&name) {
            self.grams.entry(gram).or_default().push(slot as u32);
        }
        if let Some(old) = self.slot_of.insert(id.clone(), slot) {
            self.live[old] = false;
        }
        self.ids.push(id);
        self.names.push(name);
        self.live.push(true);
    }

    fn kill(&mut self, id: &[u8]) {
        if let Some(old) = self.slot_of.remove(id) {
            self.live[old] = false;
        }
    }
}

/// Every payee's folded name, searchable by substring.
pub struct NameIndex {
    main: Segment,
    shadowed: Vec<bool>, // a main entry whose payee the tail holds now
    shadows: usize,      // how many
    tail: Tail,
}

impl NameIndex {
    /// From ids and their folded names in any order; an id given twice keeps its last name.
    pub fn of(ids: &Texts, names: &Texts) -> Self {
        // the last of an id sorts first among its equals, and the dedup keeps the first
        let mut order: Vec<u32> = (0..ids.len() as u32).collect();
        order.sort_unstable_by(|&a, &b| {
            ids.get(a as usize).cmp(ids.get(b as usize)).then(b.cmp(&a))
        });
        order.dedup_by(|later, first| ids.get(*later as usize) == ids.get(*first as usize));
        let rows = order
            .into_iter()
            .map(|i| (ids.get(i as usize), names.get(i as usize)));
        let main = Segment::of(rows);
        NameIndex {
            shadowed: vec![false; main.ids.len()],
            shadows: 0,
            main,
            tail: Tail::default(),
        }
    }

    /// Payees held.
    pub fn len(&self) -> usize {
        self.main.ids.len() - self.shadows + self.tail.slot_of.len()
    }

    /// Slots in the tail, dead ones included: what a merge would fold in.
    pub fn tail_len(&self) -> usize {
        self.tail.ids.len()
    }

    /// Records a payee's name, stored or changed; false when it already held that name.
    pub fn put(&mut self, id: &[u8], name: &str) -> bool {
        let name = fold(name);
        let in_main = self.main.position(id).ok();
        if let Some(&slot) = self.tail.slot_of.get(id) {
            if self.tail.names[slot] == name {
                return false;
            }
        } else if let Some(position) = in_main {
            if !self.shadowed[position] && self.main.names.get(position) == name {
                return false;
            }
        }
        match in_main {
            // renamed back to the name the segment holds: the segment's entry serves again
            Some(position) if self.main.names.get(position) == name => {
                self.shadows -= usize::from(self.shadowed[position]);
                self.shadowed[position] = false;
                self.tail.kill(id);
            }
            Some(position) => {
                self.shadows += usize::from(!self.shadowed[position]);
                self.shadowed[position] = true;
                self.tail.push(id.to_vec(), name);
            }
            None => self.tail.push(id.to_vec(), name),
        }
        true
    }

    /// Up to `count` ids above `after` ("" for the first page) whose folded name contains the
    /// folded `term`, in order; None for a term shorter than a window (the caller searches
    /// another way).
    pub fn find(&self, term: &str, after: &[u8], count: usize) -> Option<Vec<Vec<u8>>> {
        let term = fold(term);
        let grams = grams(&term);
        if grams.is_empty() {
            return None;
        }
        let finder = Finder::new(&term);
        let mut found: Vec<Vec<u8>> = Vec::new();
        if let Some(walks) = walks(
            &grams,
            |gram| self.main.postings.len(gram),
            |gram| self.main.postings.walk(gram),
        ) {
            let from = match self.main.position(after) {
                Ok(position) => position + 1,
                Err(position) => position,
            };
            intersect(walks, from as u32, |entry| {
                let entry = entry as usize;
                if !self.shadowed[entry] && finder.find(self.main.names.get(entry)).is_some() {
                    found.push(self.main.ids.get(entry).to_vec());
                }
                found.len() < count
            });
        }
        let tail_list = |gram| self.tail.grams.get(&gram);
        if let Some(walks) = walks(
            &grams,
            |gram| tail_list(gram).map_or(0, Vec::len),
            |gram| tail_list(gram).map(|list| Slice::new(list)),
        ) {
            // the tail is in the order names came: all its matches, then the lowest ids of them
            let tail = &self.tail;
            let mut slots: Vec<usize> = Vec::new();
            intersect(walks, 0, |slot| {
                let slot = slot as usize;
                if tail.live[slot]
                    && tail.ids[slot].as_slice() > after
                    && finder.find(&tail.names[slot]).is_some()
                {
                    slots.push(slot);
                }
                true
            });
            if slots.len() > count {
                slots.select_nth_unstable_by(count, |&a, &b| tail.ids[a].cmp(&tail.ids[b]));
                slots.truncate(count);
            }
            found.extend(slots.into_iter().map(|slot| tail.ids[slot].clone()));
            found.sort_unstable();
            found.truncate(count);
        }
        Some(found)
    }

    /// The same payees with the tail folded into a new segment.
    pub fn merged(&self) -> Self {
        let main = (0..self.main.ids.len())
            .filter(|&i| !self.shadowed[i])
            .map(|i| (self.main.ids.get(i), self.main.names.get(i)));
        let mut tail: Vec<usize> = self.tail.slot_of.values().copied().collect();
        tail.sort_unstable_by(|&a, &b| self.tail.ids[a].cmp(&self.tail.ids[b]));
        let tail = tail.into_iter().map(|slot| {
            (
                self.tail.ids[slot].as_slice(),
                self.tail.names[slot].as_slice(),
            )
        });
        let main = Segment::of(merge(main, tail));
        NameIndex {
            shadowed: vec![false; main.ids.len()],
            shadows: 0,
            main,
            tail: Tail::default(),
        }
    }
}

/// Windows whose lists are walked, the rarest: the name's own test settles the rest. A common
/// window's list, walked too, cost more than the names it spared that test (the benchmark's
/// words: 41 → 33 µs a search on average with three).
const WALKED: usize = 3;

/// A walk along the rarest windows' lists, the shortest first; None when a window has none
/// (nothing can match).
fn walks<W: Seek>(
    grams: &[u32],
    len: impl Fn(u32) -> usize,
    walk: impl Fn(u32) -> Option<W>,
) -> Option<Vec<W>> {
    let mut grams = grams.to_vec();
    grams.sort_by_key(|&gram| len(gram));
    if len(grams[0]) == 0 {
        return None;
    }
    grams.truncate(WALKED);
    grams.into_iter().map(walk).collect()
}

/// Two id-ordered sequences without common ids as one.
fn merge<'a>(
    a: impl Iterator<Item = (&'a [u8], &'a [u8])>,
    b: impl Iterator<Item = (&'a [u8], &'a [u8])>,
) -> impl Iterator<Item = (&'a [u8], &'a [u8])> {
    let mut a = a.peekable();
    let mut b = b.peekable();
    std::iter::from_fn(move || match (a.peek(), b.peek()) {
        (Some(x), Some(y)) if x.0 <= y.0 => a.next(),
        (Some(_), Some(_)) => b.next(),
        (Some(_), None) => a.next(),
        (None, _) => b.next(),
    })
}

/// The ids and folded names of a binary `COPY ... TO STDOUT (FORMAT binary)` of two text
/// columns, in its order.
pub fn read_copy(data: &[u8]) -> Result<(Texts, Texts), String> {
    const SIGNATURE: &[u8] = b"PGCOPY\n\xff\r\n\0";
    let mut at = 0;
    let mut take = |n: usize| -> Result<&[u8], String> {
        let part = data
            .get(at..at + n)
            .ok_or_else(|| format!("the copy ends at byte {at}, within a row"))?;
        at += n;
        Ok(part)
    };
    if take(SIGNATURE.len())? != SIGNATURE {
        return Err("not a binary COPY".into());
    }
    take(4)?; // flags
    let extension = u32::from_be_bytes(take(4)?.try_into().unwrap()) as usize;
    take(extension)?;
    let (mut ids, mut names) = (Texts::default(), Texts::default());
    loop {
        let fields = i16::from_be_bytes(take(2)?.try_into().unwrap());
        if fields == -1 {
            return Ok((ids, names));
        }
        if fields != 2 {
            return Err(format!("a row of {fields} columns: want (payee_id, name)"));
        }
        for texts in [&mut ids, &mut names] {
            let length = i32::from_be_bytes(take(4)?.try_into().unwrap());
            let length = usize::try_from(length).map_err(|_| "a null id or name".to_string())?;
            texts.push(take(length)?);
        }
        let start = names
            .ends
            .len()
            .checked_sub(2)
            .map_or(0, |i| names.ends[i] as usize);
        names.bytes[start..].make_ascii_lowercase();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(rows: &[(&str, &str)]) -> NameIndex {
        let (mut ids, mut names) = (Texts::default(), Texts::default());
        for (id, name) in rows {
            ids.push(id.as_bytes());
            names.push(&fold(name));
        }
        NameIndex::of(&ids, &names)
    }

    fn find(index: &NameIndex, term: &str, after: &str, count: usize) -> Vec<String> {
        index
            .find(term, after.as_bytes(), count)
            .unwrap()
            .into_iter()
            .map(|id| String::from_utf8(id).unwrap())
            .collect()
    }

    #[test]
    fn finds_substrings_in_any_ascii_case_in_id_order_from_the_cursor() {
        let names = index(&[
            ("c", "Carmen Diaz"),
            ("a", "CARMEN LLC"),
            ("b", "Bob"),
            ("d", "carmenita"),
        ]);
        assert_eq!(find(&names, "armen", "", 10), ["a", "c", "d"]);
        assert_eq!(find(&names, "ARMEN", "a", 1), ["c"]);
        assert_eq!(find(&names, "men d", "", 10), ["c"]);
        assert_eq!(find(&names, "zzz", "", 10), Vec::<String>::new());
        assert!(names.find("ab", b"", 10).is_none());
    }

    #[test]
    fn folds_only_ascii_as_ilike_does_under_the_c_collation() {
        let names = index(&[("a", "ÉCOLE"), ("b", "école")]);
        assert_eq!(find(&names, "ÉCO", "", 10), ["a"]);
        assert_eq!(find(&names, "éCO", "", 10), ["b"]);
    }

    #[test]
    fn a_put_shadows_the_old_name_and_a_merge_keeps_the_answers() {
        let mut names = index(&[("a", "alpha"), ("b", "beta"), ("c", "gamma")]);
        assert!(names.put(b"b", "alphabet"));
        assert!(names.put(b"e", "alpha e"));
        assert!(!names.put(b"e", "ALPHA E"));
        assert!(names.put(b"a", "omega"));
        assert_eq!(find(&names, "alpha", "", 10), ["b", "e"]);
        assert_eq!(find(&names, "beta", "", 10), Vec::<String>::new());
        assert!(names.put(b"a", "alpha")); // back to the segment's own name
        assert_eq!(find(&names, "alpha", "", 10), ["a", "b", "e"]);
        assert_eq!(find(&names, "alpha", "a", 1), ["b"]);
        assert_eq!(names.len(), 4);
        let merged = names.merged();
        assert_eq!(merged.tail_len(), 0);
        assert_eq!(merged.len(), 4);
        assert_eq!(find(&merged, "alpha", "", 10), ["a", "b", "e"]);
        assert_eq!(find(&merged, "mma", "", 10), ["c"]);
    }

    #[test]
    fn an_id_given_twice_keeps_its_last_name() {
        let names = index(&[("b", "first"), ("a", "alpha"), ("b", "second")]);
        assert_eq!(names.len(), 2);
        assert_eq!(find(&names, "second", "", 10), ["b"]);
        assert_eq!(find(&names, "first", "", 10), Vec::<String>::new());
    }
}
