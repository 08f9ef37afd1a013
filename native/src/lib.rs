//! `payeeflow.agents.classification.native`: the classifier's featuriser and scorer, and the
//! matcher's token alignment, compiled.
//!
//! A payee costs a few microseconds here instead of ~25 in Python; the algorithm is in
//! `features.rs` and `model.rs`, the word lists and the model stay Python's and arrive at
//! construction, so training and serving read names the same way. `align.rs` scores a payee's
//! name against a supplier's as `matching.logic` did in Python, to the same floats.

mod align;
mod features;
mod model;

use std::borrow::Cow;
use std::sync::Arc;

use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedStr;
use pyo3::types::PyString;

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
    #[pyo3(signature = (*, first_names, surnames, legal, business, titles, generations, professions, known_companies, government))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        first_names: Vec<(String, f64)>,
        surnames: Vec<(String, f64)>,
        legal: Vec<String>,
        business: Vec<String>,
        titles: Vec<String>,
        generations: Vec<String>,
        professions: Vec<String>,
        known_companies: Vec<String>,
        government: Vec<(String, bool)>,
    ) -> PyResult<Self> {
        let words = features::Words {
            first_names,
            surnames,
            legal,
            business,
            titles,
            generations,
            professions,
            known_companies,
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

/// Matching's IDF-weighted token alignment of a payee's name against one supplier's, 0–100.
#[pyfunction(name = "align")]
#[allow(clippy::too_many_arguments)]
fn align_tokens(
    query: Vec<PyBackedStr>,
    query_weights: Vec<f64>,
    candidate: Vec<PyBackedStr>,
    weights: Vec<f64>,
    truncated: bool,
    weak_floor: f64,
    out_of_order: f64,
    other_number: f64,
) -> f64 {
    let rules = align::Rules {
        weak_floor,
        out_of_order,
        other_number,
    };
    align::similarity(
        &strs(&query),
        &query_weights,
        &strs(&candidate),
        &weights,
        truncated,
        &rules,
    )
}

#[pymodule]
fn native(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_function(wrap_pyfunction!(align_tokens, m)?)?;
    m.add_class::<Featurizer>()?;
    m.add_class::<Scorer>()?;
    m.add_class::<features::Signals>()?;
    Ok(())
}
