//! usaddress's street-line tagger, compiled: its tokeniser, its token features and the Viterbi
//! path of its linear-chain CRF (crfsuite's first-order model: state and transition weights, no
//! start or end weights), over the weights usaddress's own model holds.
//!
//! Only printable ASCII is read here; anything else, and any token usaddress itself could not
//! featurise, is left to usaddress (`tag` answers `None`).

use regex::Regex;
use rustc_hash::{FxHashMap, FxHashSet};

/// Where an attribute's weights apply: the token's own features, or its neighbours'.
#[derive(Clone, Copy)]
enum Place {
    Own = 0,
    Previous = 1,
    Next = 2,
}

pub struct Tagger {
    labels: Vec<String>,
    /// attribute (without its `previous:` or `next:` prefix), by place -> (label, weight)
    state: [FxHashMap<String, Vec<(usize, f64)>>; 3],
    /// `from * labels + to`
    transitions: Vec<f64>,
    directions: FxHashSet<String>,
    street_names: FxHashSet<String>,
    entities: Regex,
    tokens: Regex,
}

impl Tagger {
    pub fn new(
        labels: Vec<String>,
        state: Vec<(String, usize, f64)>,
        transitions: Vec<(usize, usize, f64)>,
        directions: FxHashSet<String>,
        street_names: FxHashSet<String>,
    ) -> Self {
        let n = labels.len();
        let mut by_place: [FxHashMap<String, Vec<(usize, f64)>>; 3] = Default::default();
        for (attribute, label, weight) in state {
            let (place, bare) = if let Some(rest) = attribute.strip_prefix("previous:") {
                (Place::Previous, rest)
            } else if let Some(rest) = attribute.strip_prefix("next:") {
                (Place::Next, rest)
            } else {
                (Place::Own, attribute.as_str())
            };
            by_place[place as usize]
                .entry(bare.to_string())
                .or_default()
                .push((label, weight));
        }
        let mut matrix = vec![0.0; n * n];
        for (from, to, weight) in transitions {
            matrix[from * n + to] = weight;
        }
        Tagger {
            labels,
            state: by_place,
            transitions: matrix,
            directions,
            street_names,
            entities: Regex::new("&#38;|&amp;").expect("a valid pattern"),
            tokens: Regex::new(r"\(*\b[^\s,;#&()]+[.,;)\n]*|[#&]").expect("a valid pattern"),
        }
    }

    /// `(token, label)` of each token of a line, as `usaddress.parse` gives them; `None` for a
    /// line this reader leaves to usaddress.
    pub fn tag(&self, line: &str) -> Option<Vec<(String, &str)>> {
        if !line.bytes().all(|b| (b' '..=b'~').contains(&b)) {
            return None;
        }
        let line = self.entities.replace_all(line, "&");
        let tokens: Vec<&str> = self.tokens.find_iter(&line).map(|m| m.as_str()).collect();
        if tokens.is_empty() {
            return Some(Vec::new());
        }
        let features = tokens
            .iter()
            .map(|t| self.features(t))
            .collect::<Option<Vec<_>>>()?;
        let n = self.labels.len();
        let last = tokens.len() - 1;
        let mut scores = vec![0.0; tokens.len() * n];
        for (t, own) in features.iter().enumerate() {
            let row = &mut scores[t * n..(t + 1) * n];
            let mut add = |place: Place, attribute: &str| {
                if let Some(weights) = self.state[place as usize].get(attribute) {
                    for &(label, weight) in weights {
                        row[label] += weight;
                    }
                }
            };
            own.iter().for_each(|a| add(Place::Own, a));
            if t > 0 {
                features[t - 1].iter().for_each(|a| add(Place::Previous, a));
            }
            if t < last {
                features[t + 1].iter().for_each(|a| add(Place::Next, a));
            }
            if t == 0 {
                add(Place::Own, "address.start");
            }
            if t == last {
                add(Place::Own, "address.end");
            }
            if t == 1 {
                add(Place::Previous, "address.start");
            }
            if t + 2 == tokens.len() {
                add(Place::Next, "address.end");
            }
        }
        let path = self.viterbi(&scores, tokens.len());
        Some(
            tokens
                .into_iter()
                .zip(path)
                .map(|(token, label)| (token.to_string(), self.labels[label].as_str()))
                .collect(),
        )
    }

    /// The best label path (crfsuite's: on a tie the lower label wins).
    fn viterbi(&self, scores: &[f64], length: usize) -> Vec<usize> {
        let n = self.labels.len();
        let mut best = scores[..n].to_vec();
        let mut back = vec![0usize; length * n];
        for t in 1..length {
            let mut next = vec![0.0; n];
            for to in 0..n {
                let (mut from_best, mut score_best) = (0, f64::NEG_INFINITY);
                for (from, score) in best.iter().enumerate() {
                    let score = score + self.transitions[from * n + to];
                    if score > score_best {
                        (from_best, score_best) = (from, score);
                    }
                }
                back[t * n + to] = from_best;
                next[to] = score_best + scores[t * n + to];
            }
            best = next;
        }
        let (mut label, mut top) = (0, f64::NEG_INFINITY);
        for (y, &score) in best.iter().enumerate() {
            if score > top {
                (label, top) = (y, score);
            }
        }
        let mut path = vec![label; length];
        for t in (1..length).rev() {
            label = back[t * n + label];
            path[t - 1] = label;
        }
        path
    }

    /// A token's attributes (each weighing 1), as `usaddress.tokenFeatures` gives them; `None`
    /// when nothing is left of it once its punctuation is stripped (usaddress raises there).
    fn features(&self, token: &str) -> Option<Vec<String>> {
        let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
        let clean = if token == "&" || token == "#" {
            token
        } else {
            token
                .trim_start_matches(|c| !word(c))
                .trim_end_matches(|c| !(word(c) || c == '.'))
        };
        let last = clean.chars().last()?;
        let abbrev: String = clean
            .chars()
            .filter(|&c| c != '.')
            .map(|c| c.to_ascii_lowercase())
            .collect();
        let all_digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
        let mut found = Vec::with_capacity(9);
        if last == '.' {
            found.push("abbrev".to_string());
        }
        found.push(
            if all_digits(clean) {
                "digits:all_digits"
            } else if clean.bytes().any(|b| b.is_ascii_digit()) {
                "digits:some_digits"
            } else {
                "digits:no_digits"
            }
            .to_string(),
        );
        if all_digits(&abbrev) {
            let zeros = abbrev.len() - abbrev.trim_end_matches('0').len();
            found.push(format!(
                "trailing.zeros:{}",
                &abbrev[abbrev.len() - zeros..]
            ));
            found.push(format!("length:d:{}", abbrev.len()));
        } else {
            found.push(format!("word:{abbrev}"));
            found.push(format!("length:w:{}", abbrev.len()));
        }
        // usaddress: `re.match(r".+[^.\w]", token)`, then the token's last character
        if token.chars().skip(1).any(|c| !(word(c) || c == '.')) {
            found.push(format!("endsinpunc:{}", token.chars().last()?));
        }
        if self.directions.contains(&abbrev) {
            found.push("directional".to_string());
        }
        if self.street_names.contains(&abbrev) {
            found.push("street_name".to_string());
        }
        if abbrev.chars().skip(1).any(|c| "aeiou".contains(c)) {
            found.push("has.vowels".to_string());
        }
        Some(found)
    }
}
