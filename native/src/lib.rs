//! `payeeflow.agents.classification.native`: the classifier's featuriser and scorer, and the
//! matcher's token alignment, compiled.
//!
//! A payee costs a few microseconds here instead of ~25 in Python; the algorithm is in
//! `features.rs` and `model.rs`, the word lists and the model stay Python's and arrive at
//! construction, so training and serving read names the same way. `postings.rs` finds and scores
//! a payee's candidate suppliers (with `align.rs`'s token alignment) as `matching.logic` did in
//! Python.

mod align;
mod features;
mod model;
mod names;
mod postings;

use std::borrow::Cow;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::{PyString, PyTuple};
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
#[pyclass(frozen, module = "agents.classification.native")]
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
#[pyclass(frozen, module = "agents.classification.native")]
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

/// The supplier network as matching searches it: each row's key tokens, location and legal
/// form, the postings of every token and its typo variants.
#[pyclass(module = "agents.classification.native")]
struct Network {
    network: postings::Network,
    search: postings::Search,
}

#[pymethods]
impl Network {
    #[new]
    #[pyo3(signature = (*, max_posting, near_weight, boost_from, prefix_limit))]
    fn new(max_posting: usize, near_weight: f64, boost_from: f64, prefix_limit: usize) -> Self {
        Network {
            network: postings::Network::new(),
            search: postings::Search {
                max_posting,
                near_weight,
                boost_from,
                prefix_limit,
            },
        }
    }

    fn __len__(&self) -> usize {
        self.network.row_count()
    }

    /// Appends a row ("" for an unknown field) and returns its number. `rank` orders rows that
    /// tie (a hash of the supplier's id: the same whatever order the network arrives in).
    #[allow(clippy::too_many_arguments)]
    fn add(
        &mut self,
        tokens: Vec<PyBackedStr>,
        state: &str,
        city: &str,
        zip: &str,
        form: &str,
        rank: u64,
    ) -> u32 {
        self.network
            .add(&strs(&tokens), [state, city, zip, form], rank)
    }

    fn retire(&mut self, row: usize) {
        self.network.retire(row);
    }

    fn alive(&self, row: usize) -> bool {
        self.network.is_alive(row)
    }

    fn idf(&self, token: &str) -> f64 {
        self.network.idf(token)
    }

    /// Rows sharing the name's tokens or their near spellings, heaviest first.
    fn candidates(&mut self, tokens: Vec<PyBackedStr>, truncated: bool, limit: usize) -> Vec<u32> {
        self.network
            .candidates(&strs(&tokens), truncated, limit, &self.search)
    }

    /// ((score, row) best first, the best score of another supplier) of a name over `rows`:
    /// the name's alignment with each row's (100 for `exact` rows), plus the evidence of the
    /// payee's place and legal form. `rules`: (weak floor, out-of-order and other-number points).
    #[pyo3(signature = (tokens, truncated, rows, exact, *, state, zip, city, form, rules))]
    #[allow(clippy::too_many_arguments)]
    fn score(
        &self,
        tokens: Vec<PyBackedStr>,
        truncated: bool,
        rows: Vec<u32>,
        exact: bool,
        state: &str,
        zip: &str,
        city: &str,
        form: Option<&str>,
        rules: (f64, f64, f64),
    ) -> (Vec<(f64, u32)>, Option<f64>) {
        let at = postings::Where {
            state,
            zip,
            city,
            form,
        };
        let rules = align::Rules {
            weak_floor: rules.0,
            out_of_order: rules.1,
            other_number: rules.2,
        };
        self.network
            .score(&strs(&tokens), truncated, &rows, exact, &at, &rules)
    }
}

/// Clean text, canonical tokens and ERP wording, the same for every stage.
#[pyclass(frozen, module = "agents.classification.native")]
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
#[pyclass(frozen, module = "agents.classification.native")]
struct MatchKeys {
    keys: names::MatchKeys,
}

#[pymethods]
impl MatchKeys {
    #[new]
    #[pyo3(signature = (*, abbreviations, legal_forms, noise, plurals, form_of, long_forms, form_prefixes, begun_forms, swapped_forms, cut_lengths))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        abbreviations: FxHashMap<String, String>,
        legal_forms: FxHashSet<String>,
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

#[pymodule]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Network>()?;
    m.add_class::<Text>()?;
    m.add_class::<MatchKeys>()?;
    m.add_class::<Featurizer>()?;
    m.add_class::<Scorer>()?;
    m.add_class::<features::Signals>()?;
    Ok(())
}
