//! `payeeflow._native`: the classifier's featuriser and scorer, and the
//! matcher's token alignment, compiled.
//!
//! A payee costs a few microseconds here instead of ~25 in Python; the algorithm is in
//! `features.rs` and `model.rs`, the word lists and the model stay Python's and arrive at
//! construction, so training and serving read names the same way. `postings.rs` finds and scores
//! a payee's candidate suppliers (with `align.rs`'s token alignment) as `matching.logic` did in
//! Python.

mod align;
mod avro;
mod crf;
mod features;
mod forest;
mod model;
mod nameindex;
mod names;
mod pairing;
mod postings;
mod sortedlists;
mod store;

use std::borrow::Cow;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyBytes, PyString, PyTuple};
use rustc_hash::{FxHashMap, FxHashSet};

/// A name as UTF-8. A lone surrogate, which a Python str may hold and UTF-8 cannot, reads as `?`:
/// one character for one, as `str.encode("utf-8", "replace")` gives.
fn utf8<'a>(name: &'a Bound<'_, PyString>) -> PyResult<Cow<'a, str>> {
    match name.to_str() {
        Ok(text) => Ok(Cow::Borrowed(text)),
        Err(_) => {
            let bytes: Vec<u8> = name
                .call_method1("encode", ("utf-8", "replace"))?
                .extract()?;
            Ok(Cow::Owned(String::from_utf8_lossy(&bytes).into_owned()))
        }
    }
}

fn strs(tokens: &[PyBackedStr]) -> Vec<&str> {
    tokens.iter().map(|t| &**t).collect()
}

/// A name's features against the lexicon's word lists.
#[pyclass(frozen, module = "payeeflow._native")]
struct Featurizer {
    lexicon: Arc<features::Lexicon>,
}

#[pymethods]
impl Featurizer {
    #[new]
    #[pyo3(signature = (*, first_names, surnames, legal, business, trade, titles, generations, professions, known_companies, places, government))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        first_names: Vec<(String, f64)>,
        surnames: Vec<(String, f64)>,
        legal: Vec<String>,
        business: Vec<String>,
        trade: Vec<String>,
        titles: Vec<String>,
        generations: Vec<String>,
        professions: Vec<String>,
        known_companies: Vec<String>,
        places: Vec<String>,
        government: Vec<(String, bool)>,
    ) -> PyResult<Self> {
        let words = features::Words {
            first_names,
            surnames,
            legal,
            business,
            trade,
            titles,
            generations,
            professions,
            known_companies,
            places,
            government,
        };
        let lexicon =
            features::Lexicon::new(words).map_err(|e| PyValueError::new_err(e.to_string()))?;
        Ok(Featurizer {
            lexicon: Arc::new(lexicon),
        })
    }

    /// (features, signals) of a name and its canonical tokens; a feature may repeat.
    fn features(
        &self,
        name: &Bound<'_, PyString>,
        tokens: Vec<PyBackedStr>,
    ) -> PyResult<(Vec<String>, features::Signals)> {
        let mut out = Vec::with_capacity(48);
        let signals = self
            .lexicon
            .featurize(&utf8(name)?, &strs(&tokens), &mut |f| {
                out.push(f.to_owned())
            });
        Ok((out, signals))
    }
}

/// The model's class probabilities for a name, over a featuriser's features.
#[pyclass(frozen, module = "payeeflow._native")]
struct Scorer {
    lexicon: Arc<features::Lexicon>,
    model: model::Model,
}

#[pymethods]
impl Scorer {
    #[new]
    fn new(
        featurizer: &Featurizer,
        weights: Vec<(String, Vec<f64>)>,
        bias: Vec<f64>,
        temperature: f64,
        shape: Vec<String>,
    ) -> PyResult<Self> {
        if bias.is_empty() || weights.iter().any(|(_, w)| w.len() != bias.len()) {
            return Err(PyValueError::new_err(
                "every feature needs one weight per class of the bias",
            ));
        }
        let model = model::Model::new(weights, &bias, temperature, &shape);
        Ok(Scorer {
            lexicon: featurizer.lexicon.clone(),
            model,
        })
    }

    /// (class probabilities, signals, whether any content feature is known) of a name and its
    /// canonical tokens.
    fn probabilities(
        &self,
        name: &Bound<'_, PyString>,
        tokens: Vec<PyBackedStr>,
    ) -> PyResult<(Vec<f64>, features::Signals, bool)> {
        Ok(self
            .model
            .probabilities(&self.lexicon, &utf8(name)?, &strs(&tokens)))
    }
}

/// The supplier network as matching holds and searches it: each supplier packed, the maps from
/// its id, match key and tax id to its rows (`store.rs`), and the postings of every key token and
/// its typo variants, with each row's location and legal form (`postings.rs`).
#[pyclass(module = "payeeflow._native")]
struct Suppliers {
    store: store::Store,
    network: postings::Network,
    search: postings::Search,
    keys: Py<MatchKeys>,
    words: pairing::PairWords,
    model: Option<forest::Forest>,
}

impl Suppliers {
    /// Adds a supplier or replaces its row; false when nothing changed. `key` gives the name's
    /// match key (tokens, legal form), asked only when the row changed.
    fn put(
        &mut self,
        fields: &store::Fields,
        key: impl FnOnce() -> (Vec<String>, Option<String>),
    ) -> bool {
        let Some(packed) = self.store.changes(fields) else {
            return false;
        };
        if let Some(old) = self.store.remove(fields[0]) {
            self.network.retire(old as usize);
        }
        let (tokens, form) = key();
        let row = self.store.append(fields, &packed, &tokens.join(" "));
        let tokens: Vec<&str> = tokens.iter().map(String::as_str).collect();
        let place = [
            fields[3],
            fields[2],
            fields[4],
            form.as_deref().unwrap_or(""),
        ];
        let added = self.network.add(&tokens, place, store::rank(fields[0]));
        debug_assert_eq!(row, added);
        true
    }
}

#[pymethods]
impl Suppliers {
    /// `equivalents`: pairs of spellings of one word (both ways); `qualifiers`: words that
    /// qualify a name rather than identify it; `entities`: words that make another body of one
    /// named after it; `joining`: words that join others (`AND`, `OF`); `forms`: legal forms;
    /// `given`: people's first names.
    #[new]
    #[pyo3(signature = (*, keys, max_posting, near_weight, boost_from, prefix_limit, equivalents, qualifiers, entities, joining, forms, given))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        keys: Py<MatchKeys>,
        max_posting: usize,
        near_weight: f64,
        boost_from: f64,
        prefix_limit: usize,
        equivalents: Vec<(String, String)>,
        qualifiers: FxHashSet<String>,
        entities: FxHashSet<String>,
        joining: FxHashSet<String>,
        forms: FxHashSet<String>,
        given: FxHashSet<String>,
    ) -> Self {
        Suppliers {
            store: store::Store::default(),
            network: postings::Network::new(),
            search: postings::Search {
                max_posting,
                near_weight,
                boost_from,
                prefix_limit,
            },
            keys,
            words: pairing::PairWords::new(
                equivalents,
                qualifiers,
                entities,
                joining,
                forms,
                given,
            ),
            model: None,
        }
    }

    /// The match model: trees of nodes (feature, threshold, left, right, value; `left` 0 for a
    /// leaf, the root first) over `features` features, and the raw score they add to.
    fn set_model(&mut self, features: usize, trees: Vec<Vec<TreeNode>>, base: f64) -> PyResult<()> {
        let trees = trees
            .into_iter()
            .map(|nodes| {
                nodes
                    .into_iter()
                    .map(|(feature, threshold, left, right, value)| forest::Node {
                        feature,
                        threshold,
                        left,
                        right,
                        value,
                    })
                    .collect()
            })
            .collect();
        self.model =
            Some(forest::Forest::new(features, trees, base).map_err(PyValueError::new_err)?);
        Ok(())
    }

    /// Suppliers in the network.
    fn __len__(&self) -> usize {
        self.store.len()
    }

    /// Rows ever added, retired ones included.
    #[getter]
    fn row_count(&self) -> usize {
        self.store.row_count()
    }

    /// Adds a supplier (its `SUPPLIER_FIELDS`, "" for none, as `Supplier.from_values` normalises
    /// them) or replaces its row; false when nothing changed (a daily full sync).
    fn upsert(&mut self, py: Python<'_>, fields: [Bound<'_, PyString>; 8]) -> PyResult<bool> {
        let texts = fields.iter().map(utf8).collect::<PyResult<Vec<_>>>()?;
        let fields: store::Fields = std::array::from_fn(|i| texts[i].as_ref());
        let keys = self.keys.clone_ref(py);
        Ok(self.put(&fields, || keys.get().keys.key(fields[1])))
    }

    /// Retires a supplier's row; false when the network lacks it.
    fn delete(&mut self, supplier_id: &str) -> bool {
        match self.store.remove(supplier_id) {
            Some(row) => {
                self.network.retire(row as usize);
                true
            }
            None => false,
        }
    }

    /// Adds every supplier of a network CSV; `positions` are the columns of `SUPPLIER_FIELDS`
    /// (None for one the file lacks). Returns the rows read; ValueError for a file it cannot read.
    /// Other Python threads run meanwhile.
    fn read_csv(
        &mut self,
        py: Python<'_>,
        path: &str,
        positions: [Option<usize>; 8],
    ) -> PyResult<usize> {
        let keys = self.keys.clone_ref(py);
        let keys = &keys.get().keys;
        // without the GIL: the file command loads its other stages meanwhile. A second thread
        // reads the file and works out each name's match key (a third of the time) while this
        // one adds the rows, in the file's order.
        py.detach(|| {
            std::thread::scope(|scope| {
                let (send, batches) = std::sync::mpsc::sync_channel::<Vec<KeyedRow>>(8);
                let reader = scope.spawn(move || {
                    let mut batch = Vec::with_capacity(READ_BATCH);
                    let read = store::read_csv(path, &positions, |fields| {
                        batch.push((fields.map(str::to_string), keys.key(fields[1])));
                        if batch.len() == READ_BATCH {
                            // a closed channel: this thread's rows are no longer wanted
                            let _ = send.send(std::mem::replace(
                                &mut batch,
                                Vec::with_capacity(READ_BATCH),
                            ));
                        }
                    });
                    let _ = send.send(batch);
                    read
                });
                for (owned, key) in batches.into_iter().flatten() {
                    let fields: store::Fields = std::array::from_fn(|i| owned[i].as_str());
                    self.put(&fields, || key);
                }
                reader.join().expect("the network reader does not panic")
            })
        })
        .map_err(PyValueError::new_err)
    }

    /// A live row's supplier, its fields joined by U+001F; None for a retired row.
    fn packed(&self, row: usize) -> Option<&str> {
        self.store.packed(row)
    }

    fn alive(&self, row: usize) -> bool {
        self.store.is_alive(row)
    }

    fn row_of(&self, supplier_id: &str) -> Option<u32> {
        self.store.row_of(supplier_id)
    }

    /// The live rows whose match key is `key`.
    fn exact(&self, key: &str) -> Vec<u32> {
        self.store.exact(key).to_vec()
    }

    /// A row's match key.
    fn key(&self, row: usize) -> Option<&str> {
        self.store.key(row)
    }

    /// The row of the supplier last given this tax id, of those still in the network.
    fn by_tax(&self, tax_id: &str) -> Option<u32> {
        self.store.by_tax(tax_id)
    }

    /// The canonical legal form a row's name states.
    fn form(&self, row: usize) -> Option<&str> {
        self.network.form(row)
    }

    /// Rows sharing the name's tokens or their near spellings, heaviest first.
    fn candidates(&mut self, tokens: Vec<PyBackedStr>, truncated: bool, limit: usize) -> Vec<u32> {
        self.network
            .candidates(&strs(&tokens), truncated, limit, &self.search, &self.words)
    }

    /// The match model's features of each row against a name's key tokens and the payee's
    /// place and legal form, a row's after another's (for training).
    #[pyo3(signature = (tokens, rows, *, state, zip, city, form))]
    fn features(
        &self,
        tokens: Vec<PyBackedStr>,
        rows: Vec<u32>,
        state: &str,
        zip: &str,
        city: &str,
        form: Option<&str>,
    ) -> Vec<f64> {
        let at = postings::Where {
            state,
            zip,
            city,
            form,
        };
        self.network
            .features(&self.words, &strs(&tokens), &rows, &at)
    }

    /// ((probability, row) best first, (the best probability of another supplier, whether it has
    /// the best's key)) of a name's key tokens over `rows`, by the match model; ValueError before
    /// a model is set.
    #[pyo3(signature = (tokens, rows, *, state, zip, city, form))]
    fn rank(
        &self,
        tokens: Vec<PyBackedStr>,
        rows: Vec<u32>,
        state: &str,
        zip: &str,
        city: &str,
        form: Option<&str>,
    ) -> PyResult<postings::Ranked> {
        let model = self
            .model
            .as_ref()
            .ok_or_else(|| PyValueError::new_err("no match model set"))?;
        let at = postings::Where {
            state,
            zip,
            city,
            form,
        };
        let chain = |a: u32, b: u32| self.store.spelled_alike(a as usize, b as usize);
        Ok(self
            .network
            .rank(&self.words, model, &strs(&tokens), &rows, &at, chain))
    }

    /// How a name's key tokens pair with a row's: the row's key tokens, then for each word of
    /// the name and of the row its partner's position on the other side, how they pair and
    /// their similarity (None: unpaired).
    #[allow(clippy::type_complexity)]
    fn pairing(
        &self,
        tokens: Vec<PyBackedStr>,
        row: usize,
    ) -> (
        Vec<String>,
        Vec<Option<(usize, &'static str, f64)>>,
        Vec<Option<(usize, &'static str, f64)>>,
    ) {
        let (pairing, theirs) = self.network.pairing(&self.words, &strs(&tokens), row);
        let named = |links: Vec<Option<(usize, pairing::Link, f64)>>| {
            links
                .into_iter()
                .map(|l| l.map(|(at, how, sim)| (at, how.name(), sim)))
                .collect()
        };
        (
            theirs.into_iter().map(str::to_owned).collect(),
            named(pairing.query),
            named(pairing.candidate),
        )
    }
}

/// A tree node as Python gives it: (feature, threshold, left, right, value); `left` 0 for a leaf.
type TreeNode = (u32, f64, u32, u32, f64);

/// A network row as read, with its name's match key (tokens, legal form).
type KeyedRow = ([String; 8], (Vec<String>, Option<String>));
const READ_BATCH: usize = 1024; // rows handed from the reading thread at a time

/// Where a supplier stands among rows that tie (a hash of its id).
#[pyfunction]
fn rank(supplier_id: &str) -> u64 {
    store::rank(supplier_id)
}

/// Clean text, canonical tokens and ERP wording, the same for every stage.
#[pyclass(frozen, module = "payeeflow._native")]
struct Text {
    text: names::Text,
}

#[pymethods]
impl Text {
    #[new]
    #[pyo3(signature = (*, abbreviations))]
    fn new(abbreviations: FxHashMap<String, String>) -> Self {
        Text {
            text: names::Text::new(abbreviations),
        }
    }

    /// Upper-case, ASCII-folded, punctuation-free, single-spaced; `&` becomes `AND`.
    fn clean(&self, text: &Bound<'_, PyString>) -> PyResult<String> {
        Ok(self.text.clean_words(&utf8(text)?).join(" "))
    }

    /// The clean words with AP abbreviations expanded.
    fn canonical_tokens<'py>(
        &self,
        py: Python<'py>,
        text: &Bound<'py, PyString>,
    ) -> PyResult<Bound<'py, PyTuple>> {
        PyTuple::new(py, self.text.canonical_tokens(&utf8(text)?))
    }

    /// The name without remit-to, attention, care-of and department wording around it.
    fn strip_erp_noise(&self, name: &Bound<'_, PyString>) -> PyResult<String> {
        Ok(self.text.strip_erp_noise(&utf8(name)?))
    }
}

/// Match keys: the part of a name that identifies a supplier, for index and query alike.
#[pyclass(frozen, module = "payeeflow._native")]
struct MatchKeys {
    keys: names::MatchKeys,
}

#[pymethods]
impl MatchKeys {
    #[new]
    #[pyo3(signature = (*, abbreviations, legal_forms, trailing_forms, noise, plurals, form_of, long_forms, form_prefixes, begun_forms, swapped_forms, cut_lengths))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        abbreviations: FxHashMap<String, String>,
        legal_forms: FxHashSet<String>,
        trailing_forms: FxHashSet<String>,
        noise: FxHashSet<String>,
        plurals: FxHashMap<String, String>,
        form_of: FxHashMap<String, String>,
        long_forms: Vec<String>,
        form_prefixes: FxHashSet<String>,
        begun_forms: FxHashSet<String>,
        swapped_forms: FxHashSet<String>,
        cut_lengths: Vec<usize>,
    ) -> Self {
        let words = names::KeyWords {
            legal_forms,
            trailing_forms,
            noise,
            plurals,
            form_of,
            long_forms,
            form_prefixes,
            begun_forms,
            swapped_forms,
            cut_lengths,
        };
        MatchKeys {
            keys: names::MatchKeys::new(names::Text::new(abbreviations), words),
        }
    }

    /// (key tokens, legal form) of a supplier's name, as the index stores them.
    fn key(&self, name: &Bound<'_, PyString>) -> PyResult<(Vec<String>, Option<String>)> {
        Ok(self.keys.key(&utf8(name)?))
    }

    /// (identity tokens, whether cut, legal form) of a payee's name, as a query reads it.
    fn query(&self, name: &Bound<'_, PyString>) -> PyResult<(Vec<String>, bool, Option<String>)> {
        let query = self.keys.query(&utf8(name)?);
        Ok((query.tokens, query.truncated, query.form))
    }

    /// The name's (last) legal form, canonical.
    fn legal_form(&self, name: &Bound<'_, PyString>) -> PyResult<Option<String>> {
        Ok(self.keys.legal_form(&utf8(name)?))
    }
}

/// usaddress's street-line tagger over its own model's weights (`crf.rs`).
#[pyclass(frozen, module = "payeeflow._native")]
struct AddressTagger {
    tagger: crf::Tagger,
}

#[pymethods]
impl AddressTagger {
    #[new]
    #[pyo3(signature = (*, labels, state, transitions, directions, street_names))]
    fn new(
        labels: Vec<String>,
        state: Vec<(String, usize, f64)>,
        transitions: Vec<(usize, usize, f64)>,
        directions: FxHashSet<String>,
        street_names: FxHashSet<String>,
    ) -> Self {
        AddressTagger {
            tagger: crf::Tagger::new(labels, state, transitions, directions, street_names),
        }
    }

    /// `(token, label)` of each token, as `usaddress.parse` gives them; None for a line to leave
    /// to usaddress (not printable ASCII).
    fn parse(&self, line: &str) -> Option<Vec<(String, &str)>> {
        self.tagger.tag(line)
    }
}

/// A topic's Avro schema compiled for reading and writing its records (`avro.rs`).
#[pyclass(frozen, module = "payeeflow._native")]
struct AvroSchema {
    schema: avro::Schema,
}

#[pymethods]
impl AvroSchema {
    /// ``spec``: the parsed schema; ``timestamp`` makes a `timestamp-millis` of its
    /// milliseconds, ``millis`` its milliseconds of a value. A ``ValueError`` for a schema it
    /// does not compile.
    #[new]
    fn new(
        py: Python<'_>,
        spec: &Bound<'_, PyAny>,
        timestamp: Py<PyAny>,
        millis: Py<PyAny>,
    ) -> PyResult<Self> {
        Ok(AvroSchema {
            schema: avro::Schema::new(py, spec, timestamp, millis)?,
        })
    }

    /// The value written at ``start`` of ``data``, and the offset after it; a ``ValueError``
    /// for bytes the schema does not read.
    fn read(&self, py: Python<'_>, data: &[u8], start: usize) -> PyResult<(Py<PyAny>, usize)> {
        self.schema.read(py, data, start)
    }

    /// ``header`` and ``value`` written; given ``previous`` (the previous stage's message of
    /// the record), its body and then only the record's last field.
    #[pyo3(signature = (value, header, previous = None))]
    fn write<'py>(
        &self,
        py: Python<'py>,
        value: &Bound<'py, PyAny>,
        header: &[u8],
        previous: Option<&[u8]>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(
            py,
            &self.schema.write(value, header, previous)?,
        ))
    }
}

/// Every payee's name, searchable by substring in memory (`nameindex.rs`); `api.names` keeps
/// one per API process.
#[pyclass(module = "payeeflow._native")]
struct NameIndex {
    index: nameindex::NameIndex,
}

#[pymethods]
impl NameIndex {
    /// From a binary `COPY (SELECT payee_id, name ...) TO STDOUT`; ValueError for anything else.
    /// Other Python threads run meanwhile.
    #[staticmethod]
    fn from_copy(py: Python<'_>, data: &[u8]) -> PyResult<Self> {
        let index = py
            .detach(|| {
                nameindex::read_copy(data)
                    .map(|(ids, names)| nameindex::NameIndex::of(&ids, &names))
            })
            .map_err(PyValueError::new_err)?;
        Ok(NameIndex { index })
    }

    /// Payees held.
    fn __len__(&self) -> usize {
        self.index.len()
    }

    /// Names recorded since the bulk was built: what `merged` folds in.
    #[getter]
    fn tail(&self) -> usize {
        self.index.tail_len()
    }

    /// Records a payee's name, stored or changed; false when it already held that name.
    fn put(
        &mut self,
        payee_id: &Bound<'_, PyString>,
        name: &Bound<'_, PyString>,
    ) -> PyResult<bool> {
        Ok(self.index.put(utf8(payee_id)?.as_bytes(), &utf8(name)?))
    }

    /// Up to `count` ids above `after` ("" for the first) whose name holds `term` in any ASCII
    /// case, in order; None for a term without three bytes in a row.
    fn find(
        &self,
        term: &Bound<'_, PyString>,
        after: &Bound<'_, PyString>,
        count: usize,
    ) -> PyResult<Option<Vec<String>>> {
        let found = self
            .index
            .find(&utf8(term)?, utf8(after)?.as_bytes(), count);
        Ok(found.map(|ids| {
            ids.into_iter()
                .map(|id| String::from_utf8(id).expect("ids come from str or text"))
                .collect()
        }))
    }

    /// The same payees with the recorded names folded into the bulk. Other Python threads run
    /// meanwhile.
    fn merged(&self, py: Python<'_>) -> Self {
        let index = &self.index;
        NameIndex {
            index: py.detach(|| index.merged()),
        }
    }
}

#[pymodule]
#[pyo3(name = "_native")]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<NameIndex>()?;
    m.add_class::<Suppliers>()?;
    m.add_class::<AddressTagger>()?;
    m.add_class::<AvroSchema>()?;
    m.add_function(wrap_pyfunction!(rank, m)?)?;
    m.add_class::<Text>()?;
    m.add_class::<MatchKeys>()?;
    m.add_class::<Featurizer>()?;
    m.add_class::<Scorer>()?;
    m.add_class::<features::Signals>()?;
    Ok(())
}
