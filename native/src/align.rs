//! Matching's token alignment (``payeeflow.agents.matching.logic.similarity``), compiled: the same
//! arithmetic in the same order, so the same floats.

const TOKEN_MIN: f64 = 0.75;
const SHORT_TOKEN_MIN: f64 = 0.85;
const ROMAN: [&str; 12] = [
    "I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII",
];

fn is_digits(t: &str) -> bool {
    !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit())
}

/// Numbers, roman numerals and single letters name different entities when they differ.
pub fn exact_only(t: &str) -> bool {
    t.chars().count() == 1 || is_digits(t) || ROMAN.contains(&t)
}

/// A number or roman numeral (not a lone letter such as an initial).
pub fn numbered(t: &str) -> bool {
    exact_only(t) && (t.chars().count() > 1 || is_digits(t))
}

/// Longest common subsequence; rows on the stack for words up to 64 letters.
pub fn lcs<T: PartialEq>(a: &[T], b: &[T]) -> usize {
    let (mut stack_prev, mut stack_cur) = ([0usize; 65], [0usize; 65]);
    let (mut heap_prev, mut heap_cur);
    let (mut prev, mut cur): (&mut [usize], &mut [usize]) = if b.len() < 65 {
        (&mut stack_prev, &mut stack_cur)
    } else {
        heap_prev = vec![0usize; b.len() + 1];
        heap_cur = vec![0usize; b.len() + 1];
        (&mut heap_prev, &mut heap_cur)
    };
    for x in a {
        for (j, y) in b.iter().enumerate() {
            cur[j + 1] = if x == y {
                prev[j] + 1
            } else {
                prev[j + 1].max(cur[j])
            };
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

/// Whether two strings are at most one edit apart (a substitution, an insertion or deletion, or
/// two neighbours swapped): optimal string alignment distance <= 1, without its table.
fn one_edit_apart<T: PartialEq>(a: &[T], b: &[T]) -> bool {
    let (short, long) = if a.len() <= b.len() { (a, b) } else { (b, a) };
    if long.len() - short.len() > 1 {
        return false;
    }
    let Some(i) = short.iter().zip(long).position(|(x, y)| x != y) else {
        return true; // equal, or one letter added at the end
    };
    if short.len() == long.len() {
        short[i + 1..] == long[i + 1..]
            || (i + 1 < short.len()
                && short[i] == long[i + 1]
                && short[i + 1] == long[i]
                && short[i + 2..] == long[i + 2..])
    } else {
        short[i..] == long[i + 1..]
    }
}

/// 0 when two tokens do not align; short ones need one typo at most, not in the first letter.
pub fn token_similarity(token: &str, other: &str) -> f64 {
    if token.is_ascii() && other.is_ascii() {
        let (a, b) = (token.as_bytes(), other.as_bytes());
        if a.len().min(b.len()) <= 5 {
            if a.first() != b.first() || !one_edit_apart(a, b) {
                return 0.0;
            }
            return SHORT_TOKEN_MIN;
        }
        return dice_of(a.len() + b.len(), lcs(a, b));
    }
    let a: Vec<char> = token.chars().collect();
    let b: Vec<char> = other.chars().collect();
    if a.len().min(b.len()) <= 5 {
        if a.first() != b.first() || !one_edit_apart(&a, &b) {
            return 0.0;
        }
        return SHORT_TOKEN_MIN;
    }
    dice_of(a.len() + b.len(), lcs(&a, &b))
}

/// The LCS similarity of two words of `total` letters together, 0 under `TOKEN_MIN`.
fn dice_of(total: usize, common: usize) -> f64 {
    let distance = total - 2 * common;
    let sim = 1.0 - distance as f64 / total as f64;
    if sim >= TOKEN_MIN {
        sim
    } else {
        0.0
    }
}

/// The points a near match loses, and the score under which it is not looked at closer.
pub struct Rules {
    pub weak_floor: f64,
    pub out_of_order: f64,
    pub other_number: f64,
}

/// IDF-weighted token alignment, 0–100; a cut name is not blamed for the words it lost. Weights
/// are each token's IDF, the query's and the candidate's, as the index gives them.
pub fn similarity(
    query: &[&str],
    query_weights: &[f64],
    candidate: &[&str],
    weights: &[f64],
    truncated: bool,
    rules: &Rules,
) -> f64 {
    let partial = if truncated && !numbered(query[query.len() - 1]) {
        query.len() as isize - 1
    } else {
        -1
    };
    let mut used = vec![false; candidate.len()];
    let (mut matched, mut query_total) = (0.0f64, 0.0f64);
    let mut last_used: isize = -1;
    let mut order: Vec<usize> = Vec::with_capacity(query.len());
    for (i, &token) in query.iter().enumerate() {
        let (mut best, mut best_j) = (0.0f64, -1isize);
        let token_exact_only = exact_only(token);
        for (j, &other) in candidate.iter().enumerate() {
            if used[j] {
                continue;
            }
            let sim = if token == other || (i as isize == partial && other.starts_with(token)) {
                1.0
            } else if token_exact_only || exact_only(other) {
                continue;
            } else {
                let s = token_similarity(token, other);
                if s == 0.0 {
                    continue;
                }
                s
            };
            if sim > best {
                best = sim;
                best_j = j as isize;
                if sim == 1.0 {
                    break;
                }
            }
        }
        if best_j >= 0 {
            let j = best_j as usize;
            used[j] = true;
            last_used = last_used.max(best_j);
            order.push(j);
            let w = weights[j];
            matched += best * w;
            query_total += w;
        } else {
            query_total += query_weights[i];
        }
    }
    let mut candidate_total = 0.0f64;
    for (j, &w) in weights.iter().enumerate() {
        if used[j] || !(truncated && j as isize > last_used) {
            candidate_total += w;
        }
    }
    if matched == 0.0 {
        return 0.0;
    }
    let mut score = 100.0 * 2.0 * matched / (query_total + candidate_total);
    if score < rules.weak_floor {
        return score;
    }
    if order.windows(2).any(|p| p[0] > p[1]) {
        score -= rules.out_of_order;
    }
    let unexplained = candidate
        .iter()
        .enumerate()
        .any(|(j, &t)| !(used[j] || truncated && j as isize > last_used) && numbered(t));
    if unexplained
        || query
            .iter()
            .any(|&t| numbered(t) && !candidate.contains(&t))
    {
        score -= rules.other_number;
    }
    score
}
