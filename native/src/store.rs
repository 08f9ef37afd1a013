//! The supplier rows matching answers with, beside their postings (`postings.rs`): each supplier
//! packed into one byte buffer, and the maps from its id, its match key and its tax id to rows.
//!
//! Rows are append-only: an upsert appends a row and retires the supplier's old one, a delete
//! retires it (its bytes stay until a rebuild, as its postings do). A network file is read here
//! whole (`read_csv`), so a 483k-supplier index builds without a Python object per supplier.

use std::fs::File;
use std::io::BufReader;

use blake2::digest::{Update, VariableOutput};
use blake2::Blake2bVar;
use rustc_hash::FxHashMap;

/// Separates a packed supplier's fields; a field's own is written as a space.
pub const SEP: char = '\x1f';

/// A supplier's fields in `matching.index.SUPPLIER_FIELDS` order, "" for none: id, name, city,
/// state, ZIP (five digits), tax id, SIC code, card acceptance ("1", "0" or "").
pub type Fields<'a> = [&'a str; 8];

#[derive(Default)]
pub struct Store {
    blob: Vec<u8>,
    starts: Vec<u64>,
    sizes: Vec<u32>, // 0: retired
    row_of: FxHashMap<Box<str>, u32>,
    key_ids: FxHashMap<Box<str>, u32>,
    key_texts: Vec<Box<str>>,
    key_rows: Vec<Vec<u32>>, // live rows per key, first added first
    key_of_row: Vec<u32>,
    by_tax: FxHashMap<Box<str>, Vec<u32>>,
}

/// Where a supplier stands among rows that tie: the first 8 bytes of its id's BLAKE2b, so that
/// matching gives the same answers whatever order the network was loaded in.
pub fn rank(supplier_id: &str) -> u64 {
    let mut hasher = Blake2bVar::new(8).expect("8 is a valid BLAKE2b size");
    hasher.update(supplier_id.as_bytes());
    let mut digest = [0u8; 8];
    hasher
        .finalize_variable(&mut digest)
        .expect("the buffer is the digest's size");
    u64::from_be_bytes(digest)
}

fn pack(fields: &Fields) -> String {
    let mut packed = String::with_capacity(fields.iter().map(|f| f.len() + 1).sum());
    for (at, field) in fields.iter().enumerate() {
        if at > 0 {
            packed.push(SEP);
        }
        packed.extend(field.chars().map(|c| if c == SEP { ' ' } else { c }));
    }
    packed
}

impl Store {
    /// Rows ever added, retired ones included.
    pub fn row_count(&self) -> usize {
        self.sizes.len()
    }

    /// Suppliers in the network.
    pub fn len(&self) -> usize {
        self.row_of.len()
    }

    pub fn is_alive(&self, row: usize) -> bool {
        self.sizes.get(row).is_some_and(|&size| size != 0)
    }

    /// A live row's packed supplier.
    pub fn packed(&self, row: usize) -> Option<&str> {
        let size = *self.sizes.get(row)? as usize;
        if size == 0 {
            return None;
        }
        let start = self.starts[row] as usize;
        std::str::from_utf8(&self.blob[start..start + size]).ok()
    }

    /// Whether two rows' names are spelled alike, but for case and spacing: one supplier's name
    /// at several places (a chain), not siblings of another legal form.
    pub fn spelled_alike(&self, a: usize, b: usize) -> bool {
        let name = |row| self.packed(row).and_then(|packed| packed.split(SEP).nth(1));
        match (name(a), name(b)) {
            (Some(a), Some(b)) => a
                .split_whitespace()
                .map(str::to_uppercase)
                .eq(b.split_whitespace().map(str::to_uppercase)),
            _ => false,
        }
    }

    pub fn row_of(&self, supplier_id: &str) -> Option<u32> {
        self.row_of.get(supplier_id).copied()
    }

    /// Whether `fields` would change the supplier: a daily full sync repeats most unchanged,
    /// and a new row would only cost memory.
    pub fn changes(&self, fields: &Fields) -> Option<String> {
        let packed = pack(fields);
        match self.row_of(fields[0]) {
            Some(old) if self.packed(old as usize) == Some(packed.as_str()) => None,
            _ => Some(packed),
        }
    }

    /// Appends the supplier's row under its match key (the old row, if any, retired by the
    /// caller first) and returns its number.
    pub fn append(&mut self, fields: &Fields, packed: &str, key: &str) -> u32 {
        let row = self.sizes.len() as u32;
        self.starts.push(self.blob.len() as u64);
        self.sizes.push(packed.len() as u32);
        self.blob.extend_from_slice(packed.as_bytes());
        let key_id = match self.key_ids.get(key) {
            Some(&id) => id,
            None => {
                let id = self.key_texts.len() as u32;
                self.key_texts.push(key.into());
                self.key_ids.insert(key.into(), id);
                self.key_rows.push(Vec::new());
                id
            }
        };
        self.key_rows[key_id as usize].push(row);
        self.key_of_row.push(key_id);
        self.row_of.insert(fields[0].into(), row);
        if !fields[5].is_empty() {
            self.by_tax.entry(fields[5].into()).or_default().push(row);
        }
        row
    }

    /// Retires the supplier's row; its row, or None when the network lacks it.
    pub fn remove(&mut self, supplier_id: &str) -> Option<u32> {
        let row = self.row_of.remove(supplier_id)?;
        let tax_id = self
            .packed(row as usize)
            .and_then(|p| p.split(SEP).nth(5))
            .unwrap_or("")
            .to_owned();
        self.sizes[row as usize] = 0;
        self.key_rows[self.key_of_row[row as usize] as usize].retain(|&r| r != row);
        if !tax_id.is_empty() {
            if let Some(rows) = self.by_tax.get_mut(tax_id.as_str()) {
                rows.retain(|&r| r != row);
                if rows.is_empty() {
                    self.by_tax.remove(tax_id.as_str());
                }
            }
        }
        Some(row)
    }

    /// The live rows whose match key is `key`.
    /// A row's match key.
    pub fn key(&self, row: usize) -> Option<&str> {
        let id = *self.key_of_row.get(row)?;
        Some(&self.key_texts[id as usize])
    }

    pub fn exact(&self, key: &str) -> &[u32] {
        self.key_ids
            .get(key)
            .map_or(&[], |&id| self.key_rows[id as usize].as_slice())
    }

    /// The row of the supplier last given this tax id, of those still in the network.
    pub fn by_tax(&self, tax_id: &str) -> Option<u32> {
        self.by_tax
            .get(tax_id)
            .and_then(|rows| rows.last().copied())
    }
}

/// A network CSV's suppliers, normalised as `Supplier.from_values` does (codes trimmed and
/// upper-cased, the ZIP as its first five characters, card acceptance TRUE/FALSE), each handed
/// to `add`; a row without an id or a name is skipped. `positions` are the columns of
/// `SUPPLIER_FIELDS`, None for one the file lacks.
pub fn read_csv(
    path: &str,
    positions: &[Option<usize>; 8],
    mut add: impl FnMut(&Fields),
) -> Result<usize, String> {
    let file = File::open(path).map_err(|e| format!("{path}: cannot read network CSV: {e}"))?;
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(BufReader::with_capacity(1 << 20, file));
    let mut record = csv::StringRecord::new();
    let mut count = 0;
    let mut codes: [String; 6] = Default::default();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(format!("{path}: {e}")),
        }
        let cell = |at: usize| positions[at].and_then(|i| record.get(i)).unwrap_or("");
        let (id, name) = (cell(0), cell(1));
        if id.is_empty() || name.is_empty() {
            continue;
        }
        for (code, at) in codes.iter_mut().zip(2..8) {
            code.clear();
            code.push_str(&cell(at).trim().to_uppercase());
        }
        let zip: String = codes[2].chars().take(5).collect();
        let card = match codes[5].as_str() {
            "TRUE" => "1",
            "FALSE" => "0",
            _ => "",
        };
        let fields = [
            id.trim(),
            name.trim(),
            &codes[0],
            &codes[1],
            &zip,
            &codes[3],
            &codes[4],
            card,
        ];
        add(&fields);
        count += 1;
    }
    Ok(count)
}
