//! The logistic-regression model over a name's features: softmax of summed weights.

use compact_str::CompactString;
use rustc_hash::FxHashMap;

use crate::features::{Lexicon, Signals};

pub struct Model {
    ids: FxHashMap<CompactString, u32>, // short keys inline: one memory access a lookup
    /// Row per feature, a weight per class but the last, minus the last class's weight: the
    /// softmax is the same and the last class needs no sum.
    rows: Vec<f64>,
    width: usize,
    offsets: Vec<f64>,
    temperature: f64,
    /// Whether a feature says what a name contains rather than only how it looks.
    content: Vec<bool>,
}

impl Model {
    /// `weights` per feature and `bias` hold one value per class; features starting with one of
    /// `shape` are not evidence alone.
    pub fn new(
        weights: Vec<(String, Vec<f64>)>,
        bias: &[f64],
        temperature: f64,
        shape: &[String],
    ) -> Self {
        let width = bias.len().saturating_sub(1);
        let mut rows = Vec::with_capacity(weights.len() * width);
        let mut ids = FxHashMap::default();
        let mut content = Vec::with_capacity(weights.len());
        for (id, (feature, w)) in weights.into_iter().enumerate() {
            rows.extend((0..width).map(|j| w[j] - w[width]));
            content.push(
                !shape
                    .iter()
                    .any(|prefix| feature.starts_with(prefix.as_str())),
            );
            ids.insert(CompactString::from(feature.as_str()), id as u32);
        }
        let offsets = bias[..width].iter().map(|b| b - bias[width]).collect();
        Model {
            ids,
            rows,
            width,
            offsets,
            temperature,
            content,
        }
    }

    /// (class probabilities, signals, whether any feature the model knows is content).
    pub fn probabilities(
        &self,
        lexicon: &Lexicon,
        name: &str,
        tokens: &[&str],
    ) -> (Vec<f64>, Signals, bool) {
        let mut found: Vec<u32> = Vec::with_capacity(64);
        let signals = lexicon.featurize(name, tokens, &mut |feature| {
            if let Some(&id) = self.ids.get(feature) {
                found.push(id);
            }
        });
        found.sort_unstable();
        found.dedup(); // a feature counts once per name, as in training
        let mut logits = self.offsets.clone();
        for &id in &found {
            let row = &self.rows[id as usize * self.width..][..self.width];
            logits
                .iter_mut()
                .zip(row)
                .for_each(|(logit, w)| *logit += w);
        }
        logits.push(0.0);
        let top = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = logits
            .iter()
            .map(|l| ((l - top) / self.temperature).exp())
            .collect();
        let total: f64 = exps.iter().sum();
        let evidence = found.iter().any(|&id| self.content[id as usize]);
        (exps.iter().map(|e| e / total).collect(), signals, evidence)
    }
}
